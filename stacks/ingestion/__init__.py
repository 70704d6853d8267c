"""The ingestion path: upload events to the validator function, through a queue."""

from .ingestion_stack import IngestionStack, ValidatorMetrics

__all__ = ["IngestionStack", "ValidatorMetrics"]
