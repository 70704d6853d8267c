"""Add the serving stacks to a stage: the approval notice always, the endpoint when asked for."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_sns as sns

from ..config import StageConfig
from ..constructs.vpc_permissions import SubnetPlacement
from ..data_stack import PlatformBuckets, PlatformKeys
from .approval_stack import ApprovalNotificationStack, deploy_command
from .selection import select_model_package
from .serving_stack import ServingStack


def skipped_notice(stage: str) -> str:
    return (
        f"Serving stack of stage {stage!r} skipped: no model package ARN. To serve an approved "
        f"version: {deploy_command(stage, '<model package ARN>')} (or set "
        "serving.model_package_arn in cdk.json)."
    )


@dataclass(frozen=True)
class ServingStacks:
    approvals: ApprovalNotificationStack
    serving: ServingStack | None  # None: no model package ARN was given


def build_serving_stacks(
    app: cdk.App,
    config: StageConfig,
    *,
    env: cdk.Environment,
    keys: PlatformKeys,
    buckets: PlatformBuckets,
    alerts_topic: sns.ITopic,
    model_package_group_name: str,
    network: SubnetPlacement | None = None,
) -> ServingStacks:
    prefix = f"MlPlatform-{config.name}"
    approvals = ApprovalNotificationStack(
        app,
        f"{prefix}-Approvals",
        config=config,
        model_package_group_name=model_package_group_name,
        alerts_topic=alerts_topic,
        env=env,
        description=f"ml-platform {config.name}: tells on-call how to deploy an approved model",
    )
    package = select_model_package(
        app.node, config, model_package_group_name=model_package_group_name
    )
    if package is None:
        cdk.Annotations.of(approvals).add_info(skipped_notice(config.name))
        return ServingStacks(approvals=approvals, serving=None)
    serving = ServingStack(
        app,
        f"{prefix}-Serving",
        config=config,
        settings=dataclasses.replace(config.serving, model_package_arn=package.arn),
        package=package,
        keys=keys,
        buckets=buckets,
        alerts_topic=alerts_topic,
        network=network,
        env=env,
        description=(
            f"ml-platform {config.name}: {config.serving.mode} endpoint serving "
            f"{package.group} version {package.version}"
        ),
    )
    return ServingStacks(approvals=approvals, serving=serving)
