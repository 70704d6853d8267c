"""The network tests read the shared stages (tests/conftest.py), the served prod stage of the
monitoring tests (an endpoint and a drift job, which cdk.json alone does not produce) and the
staffed prod stage of the workspace tests (Studio user profiles)."""

from tests.monitoring.conftest import served_prod
from tests.workspace.conftest import staffed_prod

__all__ = ["served_prod", "staffed_prod"]
