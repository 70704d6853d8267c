"""Build every stack of one stage into an app: shared by app.py, the tests and the tools."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from .alerts_stack import AlertsStack
from .compliance import register_compliance_packs
from .config import StageConfig
from .constructs.data_perimeter import DataPerimeter
from .data_stack import DataStack
from .ingestion import IngestionStack
from .monitoring import MonitoringStack, wiring
from .network import NetworkStack
from .pipeline.pipeline_stack import PipelineStack
from .serving.approval_stack import ApprovalNotificationStack
from .serving.serving_stack import ServingStack
from .serving.wiring import build_serving_stacks
from .workspace import CuratedData, WorkspaceNetwork, WorkspaceStack

PROJECT_TAG = "ml-platform"


@dataclass(frozen=True)
class Platform:
    data: DataStack
    alerts: AlertsStack
    ingestion: IngestionStack
    pipeline: PipelineStack
    approvals: ApprovalNotificationStack
    serving: ServingStack | None  # None until a model package ARN is given
    monitoring: MonitoringStack
    network: NetworkStack | None = None  # None when the stage's network is disabled
    workspace: WorkspaceStack | None = None  # None unless the stage's workspace is enabled

    @property
    def stacks(self) -> list[cdk.Stack]:
        serving = [self.serving] if self.serving is not None else []
        network = [self.network] if self.network is not None else []
        workspace = [self.workspace] if self.workspace is not None else []
        return [
            *network,
            self.data,
            *workspace,
            self.alerts,
            self.ingestion,
            self.pipeline,
            self.approvals,
            *serving,
            self.monitoring,
        ]


def build_platform(app: cdk.App, config: StageConfig) -> Platform:
    env = cdk.Environment(account=config.account, region=config.region)
    prefix = f"MlPlatform-{config.name}"
    # The network comes first: the data stack's bucket policies name its S3 endpoint.
    network = None
    if config.network.enabled:
        network = NetworkStack(
            app,
            f"{prefix}-Network",
            config=config,
            env=env,
            description=f"ml-platform {config.name}: private subnets, VPC endpoints, no internet",
        )
    data = DataStack(
        app,
        f"{prefix}-Data",
        config=config,
        perimeter=(
            DataPerimeter(network.s3_endpoint_id, config.network.exempt_role_names)
            if network is not None
            else None
        ),
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
    workloads = network.workloads if network is not None else None
    pipeline = PipelineStack(
        app,
        f"{prefix}-Pipeline",
        config=config,
        keys=data.keys,
        buckets=data.buckets,
        alerts_topic=alerts.topic,
        network=workloads,
        env=env,
        description=f"ml-platform {config.name}: the training pipeline and model registry",
    )
    ingestion = IngestionStack(
        app,
        f"{prefix}-Ingestion",
        config=config,
        keys=data.keys,
        buckets=data.buckets,
        pipeline_name=pipeline.pipeline_name,
        network=workloads,
        env=env,
        description=f"ml-platform {config.name}: upload events, queue and validator function",
    )
    serving = build_serving_stacks(
        app,
        config,
        env=env,
        keys=data.keys,
        buckets=data.buckets,
        alerts_topic=alerts.topic,
        model_package_group_name=pipeline.model_package_group_name,
        network=workloads,
    )
    monitoring = MonitoringStack(
        app,
        f"{prefix}-Monitoring",
        config=config,
        alerts_topic=alerts.topic,
        keys=data.keys,
        buckets=data.buckets,
        ingestion=wiring.ingestion_signals(ingestion),
        pipeline=wiring.pipeline_signals(pipeline),
        serving=wiring.serving_signals(serving.serving),
        network=workloads,
        env=env,
        description=f"ml-platform {config.name}: alarms, dashboard and drift check",
    )
    workspace = None
    if config.workspace.enabled:
        assert network is not None  # StageConfig.check: the workspace needs the network
        workspace = WorkspaceStack(
            app,
            f"{prefix}-Workspace",
            config=config,
            network=WorkspaceNetwork(network.vpc, network.subnets, network.endpoints_group),
            data=CuratedData(data.buckets.curated, data.keys.data),
            env=env,
            description=f"ml-platform {config.name}: VPC-only SageMaker Studio domain",
        )
    platform = Platform(
        data=data,
        alerts=alerts,
        ingestion=ingestion,
        pipeline=pipeline,
        approvals=serving.approvals,
        serving=serving.serving,
        monitoring=monitoring,
        network=network,
        workspace=workspace,
    )
    for stack in platform.stacks:
        tags = cdk.Tags.of(stack)
        tags.add("project", PROJECT_TAG)
        tags.add("stage", config.name)
        tags.add("data-classification", config.data.data_classification)
    register_compliance_packs(app)
    return platform
