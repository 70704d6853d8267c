"""Build every stack of one stage into an app: shared by app.py, the tests and the tools."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from .compliance import register_compliance_packs
from .config import StageConfig
from .alerts_stack import AlertsStack
from .data_stack import DataStack

PROJECT_TAG = "ml-platform"


@dataclass(frozen=True)
class Platform:
    data: DataStack
    alerts: AlertsStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.data, self.alerts]


def build_platform(app: cdk.App, config: StageConfig) -> Platform:
    env = cdk.Environment(account=config.account, region=config.region)
    prefix = f"MlPlatform-{config.name}"
    data = DataStack(
        app,
        f"{prefix}-Data",
        config=config,
        env=env,
        description=(f"ml-platform {config.name}: KMS keys and S3 buckets for student records"),
    )
    alerts = AlertsStack(
        app,
        f"{prefix}-Alerts",
        config=config,
        platform_key=data.keys.platform,
        env=env,
        description=f"ml-platform {config.name}: the on-call alerts topic",
    )
    platform = Platform(data=data, alerts=alerts)
    for stack in platform.stacks:
        tags = cdk.Tags.of(stack)
        tags.add("project", PROJECT_TAG)
        tags.add("stage", config.name)
        tags.add("data-classification", config.data.data_classification)
    register_compliance_packs(app)
    return platform
