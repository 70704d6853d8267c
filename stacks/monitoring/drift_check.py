"""The scheduled drift check: an EventBridge schedule starts a one-step SageMaker pipeline.

Why a pipeline and not the job itself: CreateProcessingJob needs a unique job name per run,
which neither an EventBridge rule nor a Scheduler universal target can generate reliably;
SageMaker Pipelines names each run's job itself, retries capacity and throttling errors, keeps
an execution history, and emits the same execution-status events as the training pipeline, so
a failed check reaches on-call through a failure rule like the training pipeline's. A
SageMaker pipeline is a native EventBridge target: no Lambda, no Docker, nothing to upload at
synth except the scripts' tarball (a CDK file asset).

The job (``training_scripts/drift.py``) runs in the platform's scikit-learn image with the
data key on its volume and reads only this endpoint's captures and the baselines. It calls
S3, SageMaker (DescribeModelPackage) and CloudWatch (PutMetricData), so it cannot run with
network isolation like the training jobs; given a network it runs in the VPC (which then
needs endpoints for S3, SageMaker API and CloudWatch monitoring), otherwise on SageMaker's
managed network, over TLS, with inter-container encryption on.

Endpoints without data capture (serverless: SageMaker does not capture for them) get no
drift check: the monitoring stack does not create this construct there.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import cast

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from .. import layout
from ..compliance import acknowledge
from ..config.monitoring import DriftConfig
from ..constructs.sagemaker_events import pipeline_execution_failed
from ..constructs.vpc_permissions import SubnetPlacement
from .drift_permissions import (
    DriftJobAccess,
    attach_policy,
    job_statements,
    pipeline_statements,
)
from .metric_names import DriftMetricNames

STEP_NAME = "DriftCheck"
SCRIPT = "drift.py"
CODE_DIR = "/opt/ml/processing/input/code"
SOURCE_DIR = "/opt/ml/processing/source"
# Retries of the step: API throttling and faults quickly; capacity and internal errors later.
RETRY_POLICIES = [
    {
        "ExceptionType": ["Step.SERVICE_FAULT", "Step.THROTTLING"],
        "IntervalSeconds": 10,
        "BackoffRate": 2.0,
        "MaxAttempts": 5,
    },
    {
        "ExceptionType": [
            "SageMaker.JOB_INTERNAL_ERROR",
            "SageMaker.CAPACITY_ERROR",
            "SageMaker.RESOURCE_LIMIT",
        ],
        "IntervalSeconds": 120,
        "BackoffRate": 2.0,
        "MaxAttempts": 3,
    },
]


@dataclass(frozen=True)
class DriftTarget:
    """What the check compares: one endpoint's captures, the baselines of its model."""

    endpoint_name: str
    model_package_arn: str
    capture_uri: str  # the endpoint's DataCaptureConfig destination, s3://bucket/prefix
    curated_bucket: s3.IBucket
    data_key: kms.IKey


@dataclass(frozen=True)
class DriftRuntime:
    """Where the job's code and image come from."""

    source_tarball: str  # path of training_scripts' tarball (stacks/pipeline/sourcedir.py)
    image_uri: str
    image_repository_arn: str
    network: SubnetPlacement | None = None


@jsii.implements(events.IRuleTarget)
class _StartPipeline:
    """Start a SageMaker pipeline (a native EventBridge target) with a given role."""

    def __init__(self, pipeline_arn: str, role: iam.IRole) -> None:
        self._pipeline_arn = pipeline_arn
        self._role = role

    def bind(self, _rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self._pipeline_arn,
            role=self._role,
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=3600, maximum_retry_attempts=10
            ),
        )


@jsii.implements(events.IRuleTarget)
class _NotifyTopic:
    """Deliver a readable message to the alerts topic, whose own policy lets EventBridge in.

    ``aws_events_targets.SnsTopic`` would add a statement to that policy: a change to the alerts
    stack made from this one.
    """

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, _rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


def _rule_target(target: object) -> events.IRuleTarget:
    """jsii.implements is invisible to type checkers: state what the class implements."""
    return cast(events.IRuleTarget, target)


class DriftCheck(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline_name: str,
        target: DriftTarget,
        runtime: DriftRuntime,
        settings: DriftConfig,
        alerts_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.settings = settings
        self.pipeline_name = pipeline_name
        self.endpoint_name = target.endpoint_name
        self.metrics = DriftMetricNames.load()
        self.pipeline_arn = stack.format_arn(
            service="sagemaker", resource="pipeline", resource_name=pipeline_name
        )

        self.code = s3_assets.Asset(self, "Code", path=runtime.source_tarball)
        code_key = self.code.s3_object_key
        capture_uri = target.curated_bucket.s3_url_for_object(layout.CAPTURE_PREFIX.rstrip("/"))
        if stack.resolve(capture_uri) != stack.resolve(target.capture_uri):
            raise ValueError(
                f"{target.endpoint_name} captures to {target.capture_uri}, but the drift check "
                f"reads (and may read) only the curated bucket's {layout.CAPTURE_PREFIX}"
            )
        # SageMaker writes under <destination>/<endpoint>/<variant>/...: only this endpoint's.
        endpoint_capture_prefix = f"{layout.CAPTURE_PREFIX}{target.endpoint_name}/"

        self.job_role = _sagemaker_role(self, "JobRole", "Drift check job: captures to metrics")
        self.job_policy = attach_policy(
            self.job_role,
            "Policy",
            job_statements(
                stack,
                DriftJobAccess(
                    curated_bucket=target.curated_bucket,
                    capture_prefix=endpoint_capture_prefix,
                    baseline_pattern=f"{layout.PROCESSED_PREFIX}*/baseline/*",
                    data_key=target.data_key,
                    code_bucket=self.code.bucket,
                    code_key=code_key,
                    image_repository_arn=runtime.image_repository_arn,
                    metrics_namespace=settings.namespace,
                    model_package_arn=target.model_package_arn,
                    network=runtime.network,
                ),
            ),
        )
        self.pipeline_role = _sagemaker_role(
            self, "PipelineRole", f"SageMaker Pipeline {pipeline_name}"
        )
        self.pipeline_policy = attach_policy(
            self.pipeline_role,
            "Policy",
            pipeline_statements(
                stack,
                job_role=self.job_role,
                volume_key=target.data_key,
                network=runtime.network,
            ),
        )

        arguments = {
            "--endpoint-name": target.endpoint_name,
            "--capture-uri": target.capture_uri,
            "--model-package-arn": target.model_package_arn,
            "--processed-uri": target.curated_bucket.s3_url_for_object(
                layout.PROCESSED_PREFIX.rstrip("/")
            ),
            "--namespace": settings.namespace,
            "--window-hours": str(settings.window_hours),
            "--min-records": str(settings.min_records),
            "--region": stack.region,
        }
        definition = _definition(
            image_uri=runtime.image_uri,
            role_arn=self.job_role.role_arn,
            code_uri=f"s3://{self.code.s3_bucket_name}/{code_key}",
            tarball_name=posixpath.basename(code_key),
            arguments=[part for pair in arguments.items() for part in pair],
            settings=settings,
            volume_key_arn=target.data_key.key_arn,
            network=runtime.network,
        )
        self.definition = definition
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=pipeline_name,
            pipeline_display_name=pipeline_name,
            pipeline_description=(
                f"Every {settings.window_hours} h: compare {target.endpoint_name}'s captured "
                "requests and predictions with its training baseline; publish the drift figures"
            ),
            role_arn=self.pipeline_role.role_arn,
            pipeline_definition={"PipelineDefinitionBody": stack.to_json_string(definition)},
        )
        self.pipeline.node.add_dependency(self.pipeline_policy, self.job_policy)

        self.schedule_role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description=f"EventBridge: start the {pipeline_name} pipeline on its schedule",
        )
        self.schedule_policy = iam.ManagedPolicy(
            self.schedule_role,
            "Policy",
            description="Start executions of the drift check pipeline, and nothing else",
            statements=[
                iam.PolicyStatement(
                    sid="StartTheDriftCheck",
                    actions=["sagemaker:StartPipelineExecution"],
                    resources=[self.pipeline_arn],
                )
            ],
            roles=[self.schedule_role],
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description=f"Start {pipeline_name} every {settings.window_hours} h",
            schedule=events.Schedule.rate(Duration.hours(settings.window_hours)),
            targets=[_rule_target(_StartPipeline(self.pipeline_arn, self.schedule_role))],
        )
        self.schedule.node.add_dependency(self.pipeline, self.schedule_policy)

        self.failure_rule = events.Rule(
            self,
            "Failed",
            description=f"{pipeline_name}: an execution failed or was stopped",
            event_pattern=pipeline_execution_failed(self.pipeline_arn),
            targets=[
                _rule_target(
                    _NotifyTopic(
                        alerts_topic,
                        events.RuleTargetInput.from_text(
                            f"Drift check of {target.endpoint_name}: pipeline execution "
                            f"{events.EventField.from_path('$.detail.pipelineExecutionArn')} is "
                            f"{events.EventField.from_path('$.detail.currentPipelineExecutionStatus')}"
                            ". Check first: the DriftCheck step's processing job log in "
                            "/aws/sagemaker/ProcessingJobs (a missing baseline or model package is "
                            "named there); no drift figures are published until it runs again."
                        ),
                    )
                )
            ],
        )
        for rule in (self.schedule, self.failure_rule):
            acknowledge(
                rule,
                "Serverless-EventBusDLQ",
                "EventBridge retries delivery (up to 24 hours for the topic, 10 attempts within "
                "an hour for the pipeline) and counts undeliverable events in the rule's "
                "FailedInvocations metric, on which the monitoring stack alarms.",
            )

    def metric(self, name: str, period: Duration, **dimensions: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.settings.namespace,
            metric_name=name,
            dimensions_map={self.metrics.endpoint_dimension: self.endpoint_name, **dimensions},
            statistic="Maximum",
            period=period,
        )


def _sagemaker_role(scope: Construct, construct_id: str, description: str) -> iam.Role:
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description=description,
    )


def _definition(
    *,
    image_uri: str,
    role_arn: str,
    code_uri: str,
    tarball_name: str,
    arguments: list[str],
    settings: DriftConfig,
    volume_key_arn: str,
    network: SubnetPlacement | None,
) -> dict:
    """The pipeline definition: one processing step, as CreateProcessingJob takes it."""
    command = (
        f"set -eu; mkdir -p {SOURCE_DIR}; tar -xzf {CODE_DIR}/{tarball_name} -C {SOURCE_DIR}; "
        f'exec python3 {SOURCE_DIR}/{SCRIPT} "$@"'
    )
    network_config: dict = {
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": True,
    }
    if network is not None:
        network_config["VpcConfig"] = {
            "Subnets": [subnet.subnet_id for subnet in network.subnets],
            "SecurityGroupIds": [group.security_group_id for group in network.security_groups],
        }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [],
        "Steps": [
            {
                "Name": STEP_NAME,
                "Type": "Processing",
                "Arguments": {
                    "ProcessingResources": {
                        "ClusterConfig": {
                            "InstanceType": settings.instance_type,
                            "InstanceCount": 1,
                            "VolumeSizeInGB": settings.volume_size_gb,
                            "VolumeKmsKeyId": volume_key_arn,
                        }
                    },
                    "AppSpecification": {
                        "ImageUri": image_uri,
                        "ContainerEntrypoint": ["/bin/sh", "-c", command, SCRIPT],
                        "ContainerArguments": arguments,
                    },
                    "RoleArn": role_arn,
                    "ProcessingInputs": [
                        {
                            "InputName": "code",
                            "AppManaged": False,
                            "S3Input": {
                                "S3Uri": code_uri,
                                "LocalPath": CODE_DIR,
                                "S3DataType": "S3Prefix",
                                "S3InputMode": "File",
                                "S3DataDistributionType": "FullyReplicated",
                            },
                        }
                    ],
                    "NetworkConfig": network_config,
                    "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_minutes * 60},
                },
                "RetryPolicies": RETRY_POLICIES,
            }
        ],
    }
