"""Validation of uploaded student-records files on arrival.

``validation`` holds the pure, streaming validator (standard library only), shared by the Lambda
``handler`` and the local command ``python -m tools.validate_file``.
"""
