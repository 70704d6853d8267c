"""The typed settings of one stage (dev, prod, ...), read from cdk.json context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .alerts import AlertsConfig
from .data import DataConfig, LogsConfig
from .ingestion import IngestionConfig
from .monitoring import MonitoringConfig
from .network import NetworkConfig
from .parsing import SettingError
from .pipeline import PipelineConfig
from .serving import ServingConfig
from .workspace import WorkspaceConfig

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


@dataclass(frozen=True)
class StageConfig:
    # Injected from the stage's key in cdk.json, not written inside the stage's object.
    name: str = field(metadata={"injected": True})
    # Concrete region: SageMaker image URIs differ by region, so synth must know it.
    region: str
    # Optional: without it the stacks are account-agnostic and take the account at deploy time.
    account: str | None = None
    data: DataConfig = field(default_factory=DataConfig)
    logs: LogsConfig = field(default_factory=LogsConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    ingestion: IngestionConfig = field(default_factory=IngestionConfig)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    serving: ServingConfig = field(default_factory=ServingConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    workspace: WorkspaceConfig = field(default_factory=WorkspaceConfig)

    def check(self) -> None:
        if not _STAGE_NAME.match(self.name):
            raise SettingError("name", f"must match {_STAGE_NAME.pattern}, got {self.name!r}")
        if not _REGION.match(self.region):
            raise SettingError(
                "region", f"must be an AWS region like 'eu-west-1', got {self.region!r}"
            )
        if self.account is not None and not _ACCOUNT.match(self.account):
            raise SettingError(
                "account", f"must be a 12-digit AWS account id, got {self.account!r}"
            )
        if self.network.enabled and self.serving.is_serverless:
            # Serverless Inference has no VpcConfig: its endpoint would run outside the network.
            raise SettingError(
                "serving.mode",
                "serverless endpoints cannot run in a VPC and network.enabled is true; set it "
                "to 'provisioned', or turn the network off",
            )
        # Across sections: the Studio domain is VPC-only, so it needs the stage's VPC.
        if self.workspace.enabled and not self.network.enabled:
            raise SettingError(
                "workspace.enabled",
                "needs network.enabled: the Studio domain runs only inside the private VPC",
            )

    @property
    def resource_prefix(self) -> str:
        """Prefix for the few physical names the platform sets (pipeline, model package group)."""
        return f"ml-platform-{self.name}"
