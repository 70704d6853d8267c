"""Observability: alarms, the platform-health composite alarm, the dashboard, the drift check."""

from .drift_permissions import JobNetwork
from .monitoring_stack import MonitoringStack
from .signals import IngestionSignals, PipelineSignals, ServingSignals

__all__ = ["IngestionSignals", "JobNetwork", "MonitoringStack", "PipelineSignals", "ServingSignals"]
