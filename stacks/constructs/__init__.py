"""Reusable constructs: each does one architectural task with secure defaults."""
