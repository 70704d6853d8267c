"""Observability of the platform: alarms, one composite "platform health" alarm, one dashboard,
and the scheduled drift check of the served model.

Inputs are typed and optional (``signals.py``): the stack synthesizes with whatever stacks the
stage has, and its dashboard says which sections are absent and why.

Library choice. ``cdk-monitoring-constructs`` (10.3.3, aws-cdk-lib >= 2.160, constructs 10,
jsii: loaded into the same jsii process, about 0.25 s more per synth; adds no finding of the
five packs in a probe with a Lambda function and a queue) was evaluated and not adopted: it
covers the Lambda and SQS alarms (6 of about 20) but not SageMaker endpoints, SageMaker
pipelines, EventBridge delivery or the drift figures, which would be written by hand anyway.
Two ways of defining alarms (its facade with its naming, descriptions and dashboards, and plain
alarms) would make the list harder to read and to test than one small ``AlarmBook`` that gives
every alarm the same name scheme, description form ("what fired. Check first: ..."), explicit
missing-data policy and action, and that the tests enumerate.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..config import StageConfig
from ..constructs.vpc_permissions import SubnetPlacement
from ..data_stack import PlatformBuckets, PlatformKeys
from ..pipeline.sourcedir import build_sourcedir
from ..serving.image import pinned_framework_version, sklearn_image_repository
from .alarm_book import AlarmBook
from .dashboard import DashboardInputs, build_dashboard
from .drift_alarms import add_drift_alarms
from .drift_check import DriftCheck, DriftRuntime, DriftTarget
from .ingestion_alarms import add_ingestion_alarms
from .rule_alarms import add_pipeline_alarms
from .serving_alarms import add_serving_alarms
from .signals import IngestionSignals, PipelineSignals, ServingSignals

# How often EventBridge delivery failures are summed (they should never happen at all).
DELIVERY_PERIOD = Duration.minutes(5)


def drift_absent_reason(config: StageConfig, serving: ServingSignals | None) -> str | None:
    """Why this stage has no drift check, or None when it has one."""
    if not config.monitoring.drift.enabled:
        return "Drift check disabled (monitoring.drift.enabled is false)."
    if serving is None:
        return "No endpoint in this stage: nothing is captured, so there is no drift check."
    if serving.capture_uri is None:
        return (
            f"The {serving.mode} endpoint captures no data (SageMaker does not capture on "
            "serverless endpoints): no drift check in this stage."
        )
    return None


class MonitoringStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        alerts_topic: sns.ITopic,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        ingestion: IngestionSignals | None = None,
        pipeline: PipelineSignals | None = None,
        serving: ServingSignals | None = None,
        network: SubnetPlacement | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.monitoring
        prefix = config.resource_prefix
        self.book = AlarmBook(self, "Alarms", name_prefix=prefix, topic=alerts_topic)
        if ingestion is not None:
            add_ingestion_alarms(self.book, ingestion, settings.ingestion)
        if pipeline is not None:
            add_pipeline_alarms(self.book, pipeline, DELIVERY_PERIOD)
        if serving is not None:
            add_serving_alarms(self.book, serving, settings.serving)

        self.drift: DriftCheck | None = None
        self.drift_absent_reason = drift_absent_reason(config, serving)
        if self.drift_absent_reason is None:
            assert serving is not None and serving.capture_uri is not None
            repository = sklearn_image_repository(config.region)
            self.drift = DriftCheck(
                self,
                "DriftCheck",
                pipeline_name=f"{prefix}-drift-check",
                target=DriftTarget(
                    endpoint_name=serving.endpoint_name,
                    model_package_arn=serving.model_package_arn,
                    capture_uri=serving.capture_uri,
                    curated_bucket=buckets.curated,
                    data_key=keys.data,
                ),
                runtime=DriftRuntime(
                    source_tarball=str(build_sourcedir()),
                    image_uri=(
                        f"{repository.account}.dkr.ecr.{repository.region}.{self.url_suffix}/"
                        f"{repository.name}:{pinned_framework_version()}-cpu-py3"
                    ),
                    image_repository_arn=self.format_arn(
                        service="ecr",
                        region=repository.region,
                        account=repository.account,
                        resource="repository",
                        resource_name=repository.name,
                    ),
                    network=network,
                ),
                settings=settings.drift,
                alerts_topic=alerts_topic,
            )
            add_drift_alarms(self.book, self.drift, DELIVERY_PERIOD)

        critical: list[cloudwatch.IAlarm] = list(self.book.critical)
        if serving is not None:
            critical += list(serving.rollback_alarms)
        self.health: cloudwatch.CompositeAlarm | None = None
        if critical:
            self.health = cloudwatch.CompositeAlarm(
                self,
                "PlatformHealth",
                composite_alarm_name=f"{prefix}-platform-health",
                alarm_description=(
                    f"ml-platform {config.name}: at least one critical alarm fired (data stopped "
                    "flowing, or the endpoint fails or slows down). Check first: the alarm in "
                    "ALARM on the dashboard's health row, then its own description."
                ),
                alarm_rule=cloudwatch.AlarmRule.any_of(*critical),
                actions_enabled=True,
            )
            self.health.add_alarm_action(actions.SnsAction(alerts_topic))
            self.health.add_ok_action(actions.SnsAction(alerts_topic))

        self.dashboard = build_dashboard(
            self,
            "Dashboard",
            f"{prefix}-platform",
            DashboardInputs(
                stage=config.name,
                book=self.book,
                health=self.health,
                ingestion=ingestion,
                pipeline=pipeline,
                serving=serving,
                drift=self.drift,
                drift_absent_reason=self.drift_absent_reason or "",
                settings=settings,
            ),
        )
