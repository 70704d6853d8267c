"""The network tests read the shared stages (tests/conftest.py) and the served prod stage of
the monitoring tests (an endpoint and a drift job, which cdk.json alone does not produce)."""

from tests.monitoring.conftest import served_prod

__all__ = ["served_prod"]
