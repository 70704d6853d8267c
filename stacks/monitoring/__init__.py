"""Observability: alarms, the platform-health composite alarm, the dashboard, the drift check."""

from .monitoring_stack import MonitoringStack
from .signals import IngestionSignals, PipelineSignals, ServingSignals

__all__ = ["IngestionSignals", "MonitoringStack", "PipelineSignals", "ServingSignals"]
