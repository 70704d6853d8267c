"""The training pipeline: SageMaker Pipeline, its roles, the model registry and its alerts.

Inputs are typed: the data stack's keys and buckets, the alerts topic (owned elsewhere: this
stack only routes events to it) and, optionally, the network the jobs run in.

Where data goes (``stacks/layout.py``)::

    curated/validated/.../data/                 InputDataUrl (required: one validated upload)
    curated/processed/<execution id>/<split>/   preprocess: train, validation, test, baseline,
                                                report
    artifacts/models/<training job>/output/     train: model.tar.gz
    artifacts/evaluation/<execution id>/        evaluate: evaluation.json (the quality gate's input)
"""

from __future__ import annotations

from typing import cast

import jsii
from aws_cdk import RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from .. import layout
from ..compliance import acknowledge
from ..config import StageConfig
from ..config.pipeline import JobConfig
from ..constructs.sagemaker_events import MODEL_PACKAGE_STATE_CHANGE, pipeline_execution_failed
from ..constructs.vpc_permissions import SubnetPlacement
from ..data_stack import PlatformBuckets, PlatformKeys
from . import definition as names
from .definition import BuiltDefinition, DefinitionSpec, JobSpec, NetworkSpec, build_definition
from .placeholders import Placeholders
from .roles import (
    JobKind,
    JobPermissions,
    ObjectAccess,
    PipelinePermissions,
    attach_policy,
    job_statements,
    pipeline_statements,
    sagemaker_role,
)
from .sourcedir import build_sourcedir, sklearn_framework_version


@jsii.implements(events.IRuleTarget)
class _AlertsTopicTarget:
    """Deliver to the alerts topic as it is: its own policy already lets EventBridge publish.

    ``aws_events_targets.SnsTopic`` would add a statement to the topic's policy, i.e. change the
    alerts stack from this one.
    """

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


class PipelineStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        alerts_topic: sns.ITopic,
        network: SubnetPlacement | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.pipeline_name = f"{config.resource_prefix}-training"
        self.model_package_group_name = f"{config.resource_prefix}-student-grades"
        self.pipeline_arn = self.format_arn(
            service="sagemaker", resource="pipeline", resource_name=self.pipeline_name
        )

        source = s3_assets.Asset(self, "SourceDir", path=str(build_sourcedir()))
        if Token.is_unresolved(source.s3_object_key):
            raise ValueError("the source dir asset's S3 key must be known at synth")

        self.preprocess_role = sagemaker_role(
            self, "PreprocessRole", description="Preprocessing job: validated data to splits"
        )
        self.train_role = sagemaker_role(
            self, "TrainRole", description="Training job: train/validation splits to a model"
        )
        self.evaluate_role = sagemaker_role(
            self, "EvaluateRole", description="Evaluation job: model and test split to a report"
        )
        self.pipeline_role = sagemaker_role(
            self, "PipelineRole", description=f"SageMaker Pipeline {self.pipeline_name}"
        )

        built, definition_body = self._definition(config, keys, buckets, source, network)
        image_account, image_region, image_repository = built.image_repository
        repository_arn = self.format_arn(
            service="ecr",
            region=image_region,
            account=image_account,
            resource="repository",
            resource_name=image_repository,
        )
        self._grant_jobs(keys, buckets, source, repository_arn, network)
        pipeline_policy = self._grant_pipeline(keys, buckets, network)

        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=self.model_package_group_name,
            model_package_group_description=(
                "Student final-grade (G3) regressors that passed the pipeline's quality gate"
            ),
        )
        # The registry is the audit trail of what was approved: never deleted with the stack.
        self.model_package_group.apply_removal_policy(RemovalPolicy.RETAIN)
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=self.pipeline_name,
            pipeline_display_name=self.pipeline_name,
            pipeline_description=(
                "Preprocess, train and evaluate the G3 regressor; register it for approval "
                "when RMSE and the largest fairness gap are within their thresholds"
            ),
            role_arn=self.pipeline_role.role_arn,
            pipeline_definition={"PipelineDefinitionBody": definition_body},
        )
        # Executions need the registry and the permissions from their first run.
        self.pipeline.node.add_dependency(self.model_package_group)
        self.pipeline.node.add_dependency(pipeline_policy)

        self._route_events_to(alerts_topic)
        self._acknowledge_findings()

    def _definition(
        self,
        config: StageConfig,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        source: s3_assets.Asset,
        network: SubnetPlacement | None,
    ) -> tuple[BuiltDefinition, str]:
        """The definition built from placeholders, and its text with the tokens put back."""
        settings = config.pipeline
        placeholders = Placeholders()
        curated = placeholders.bucket("curated-bucket", buckets.curated.bucket_name)
        artifacts = placeholders.bucket("artifacts-bucket", buckets.artifacts.bucket_name)
        source_bucket = placeholders.bucket("source-bucket", source.s3_bucket_name)
        data_key = placeholders.key_arn("data-key", keys.data.key_arn)
        platform_key = placeholders.key_arn("platform-key", keys.platform.key_arn)

        def job(role: iam.Role, name: str, job_settings: JobConfig, output_key: str) -> JobSpec:
            return JobSpec(
                role_arn=placeholders.role_arn(f"{name}-role", role.role_arn),
                instance_type=job_settings.instance_type,
                instance_count=job_settings.instance_count,
                volume_size_gb=job_settings.volume_size_gb,
                max_runtime_seconds=job_settings.max_runtime_minutes * 60,
                volume_key_arn=data_key,  # every job holds student records on its volumes
                output_key_arn=output_key,
            )

        network_spec = None
        if network is not None:
            network_spec = NetworkSpec(
                subnet_ids=tuple(
                    placeholders.identifier(f"subnet-{index}", subnet.subnet_id)
                    for index, subnet in enumerate(network.subnets)
                ),
                security_group_ids=tuple(
                    placeholders.identifier(f"security-group-{index}", group.security_group_id)
                    for index, group in enumerate(network.security_groups)
                ),
            )

        built = build_definition(
            DefinitionSpec(
                region=config.region,
                sklearn_version=sklearn_framework_version(),
                source_tarball_uri=f"s3://{source_bucket}/{source.s3_object_key}",
                # No default: validated/ also holds the validation reports (report.json), so
                # each execution names one upload's data/ prefix (the validator does).
                input_data_url=None,
                processed_uri=f"s3://{curated}/{layout.PROCESSED_PREFIX.rstrip('/')}",
                models_uri=f"s3://{artifacts}/{layout.MODELS_PREFIX.rstrip('/')}",
                evaluation_uri=f"s3://{artifacts}/{layout.EVALUATION_PREFIX.rstrip('/')}",
                preprocess=job(self.preprocess_role, "preprocess", settings.preprocess, data_key),
                train=job(self.train_role, "train", settings.train, platform_key),
                evaluate=job(self.evaluate_role, "evaluate", settings.evaluate, platform_key),
                hyperparameters=settings.hyperparameters.as_arguments(),
                rmse_threshold=settings.quality_gate.max_rmse,
                fairness_gap_threshold=settings.quality_gate.max_fairness_gap,
                model_package_group_name=self.model_package_group_name,
                inference_instance_types=settings.inference_instance_types,
                transform_instance_types=settings.transform_instance_types,
                cache_expire_after=settings.cache_expire_after,
                model_approval_status=settings.model_approval_status,
                network=network_spec,
            )
        )
        return built, placeholders.substitute(built.json)

    def _grant_jobs(
        self,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        source: s3_assets.Asset,
        repository_arn: str,
        network: SubnetPlacement | None,
    ) -> None:
        """Each job reads its inputs and the source dir, and writes only its own outputs."""
        source_object = ObjectAccess(source.bucket, (source.s3_object_key,))
        processed = layout.PROCESSED_PREFIX

        def permissions(
            kind: JobKind,
            reads: tuple[ObjectAccess, ...],
            writes: ObjectAccess,
            read_keys: tuple[kms.IKey, ...],
            write_key: kms.IKey,
        ) -> JobPermissions:
            return JobPermissions(
                kind=kind,
                reads=(*reads, source_object),
                writes=(writes,),
                read_keys=read_keys,
                write_keys=(write_key,),
                volume_key=keys.data,
                image_repository_arn=repository_arn,
                network=network,
            )

        grants = {
            self.preprocess_role: permissions(
                JobKind.PROCESSING,
                reads=(ObjectAccess(buckets.curated, (f"{layout.VALIDATED_PREFIX}*",)),),
                writes=ObjectAccess(
                    buckets.curated,
                    tuple(f"{processed}*/{split}/*" for split in names.PREPROCESS_OUTPUTS),
                ),
                read_keys=(keys.data,),
                write_key=keys.data,
            ),
            self.train_role: permissions(
                JobKind.TRAINING,
                reads=(
                    ObjectAccess(
                        buckets.curated,
                        tuple(f"{processed}*/{channel}/*" for channel in names.TRAINING_CHANNELS),
                    ),
                ),
                writes=ObjectAccess(buckets.artifacts, (f"{layout.MODELS_PREFIX}*",)),
                read_keys=(keys.data,),
                write_key=keys.platform,
            ),
            self.evaluate_role: permissions(
                JobKind.PROCESSING,
                reads=(
                    ObjectAccess(
                        buckets.artifacts, (f"{layout.MODELS_PREFIX}*/output/model.tar.gz",)
                    ),
                    ObjectAccess(buckets.curated, (f"{processed}*/test/*",)),
                ),
                writes=ObjectAccess(buckets.artifacts, (f"{layout.EVALUATION_PREFIX}*",)),
                read_keys=(keys.data, keys.platform),
                write_key=keys.platform,
            ),
        }
        for role, role_permissions in grants.items():
            attach_policy(role, "Policy", job_statements(self, role_permissions))

    def _grant_pipeline(
        self, keys: PlatformKeys, buckets: PlatformBuckets, network: SubnetPlacement | None
    ) -> iam.ManagedPolicy:
        return attach_policy(
            self.pipeline_role,
            "Policy",
            pipeline_statements(
                self,
                PipelinePermissions(
                    job_roles=(self.preprocess_role, self.train_role, self.evaluate_role),
                    model_package_group_name=self.model_package_group_name,
                    volume_key=keys.data,
                    processing_output_keys=(keys.data, keys.platform),
                    training_output_keys=(keys.platform,),
                    reports=ObjectAccess(
                        buckets.artifacts,
                        (f"{layout.EVALUATION_PREFIX}*/{names.EVALUATION_FILE}",),
                    ),
                    report_key=keys.platform,
                    network=network,
                ),
            ),
        )

    def _route_events_to(self, topic: sns.ITopic) -> None:
        # cast: mypy does not see a jsii.implements class as the jsii protocol it implements.
        target = cast(events.IRuleTarget, _AlertsTopicTarget(topic))
        self.execution_failed_rule = events.Rule(
            self,
            "PipelineExecutionFailed",
            description=f"{self.pipeline_name}: an execution failed or was stopped",
            event_pattern=pipeline_execution_failed(self.pipeline_arn),
            targets=[target],
        )
        self.model_package_rule = events.Rule(
            self,
            "ModelPackageStateChanged",
            description=f"{self.model_package_group_name}: a model was registered or its approval "
            "changed",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[MODEL_PACKAGE_STATE_CHANGE],
                detail={"ModelPackageGroupName": [self.model_package_group_name]},
            ),
            targets=[target],
        )

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the validator) start executions of this pipeline, and nothing else."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:StartPipelineExecution"],
            resource_arns=[self.pipeline_arn],
        )

    def _acknowledge_findings(self) -> None:
        for rule in (self.execution_failed_rule, self.model_package_rule):
            acknowledge(
                rule,
                "Serverless-EventBusDLQ",
                "The only target is the alerts SNS topic; EventBridge retries delivery for 24 "
                "hours (185 attempts) and counts undeliverable events in the rule's "
                "FailedInvocations metric, which the monitoring work alarms on.",
            )
