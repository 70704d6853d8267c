"""The serving stack of one approved model version: endpoint, rollout, autoscaling, batch model.

Where data goes (``stacks/layout.py``)::

    artifacts/models/<training job>/output/model.tar.gz     read by both models
    curated/capture/<endpoint>/<variant>/<yyyy>/.../*.jsonl  captured requests and predictions
    curated/validated/...                                    batch input (tools/batch_score.py)
    curated/predictions/<job name>/<input>.out               batch predictions

Typed attributes for the monitoring stack: ``endpoint_name``, ``variant_name``, ``settings``
(the effective ServingConfig), ``package``, ``capture_uri`` and ``rollback_alarms``
(``.errors``, ``.latency``, ``.errors_metric``, ``.latency_metric``).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .. import layout
from ..config import StageConfig
from ..config.errors import ConfigError
from ..config.serving import ServingConfig
from ..constructs.vpc_permissions import SubnetPlacement
from ..data_stack import PlatformBuckets, PlatformKeys
from .alarms import RollbackAlarms
from .endpoint import CaptureDestination, ServingEndpoint
from .image import sklearn_image_repository
from .model import PackagedModel
from .permissions import (
    ModelRuntime,
    ObjectPattern,
    batch_statements,
    endpoint_statements,
)
from .selection import ModelPackage

VARIANT_NAME = "AllTraffic"
MODEL_ARTIFACT_PATTERN = f"{layout.MODELS_PREFIX}*/output/model.tar.gz"


def endpoint_name_for(config: StageConfig) -> str:
    return f"{config.resource_prefix}-grades"


def batch_job_prefix_for(config: StageConfig) -> str:
    """Batch jobs are named ``<prefix><timestamp>``; their role may log for these names only."""
    return f"{config.resource_prefix}-batch-"


@dataclass(frozen=True)
class ServingOutputs:
    """Names of the stack outputs the tools read (tools/batch_score.py, tools/smoke_check.py)."""

    endpoint_name: str = "EndpointName"
    endpoint_config_name: str = "EndpointConfigName"
    variant_name: str = "VariantName"
    model_package_arn: str = "ModelPackageArn"
    batch_model_name: str = "BatchModelName"
    batch_job_prefix: str = "BatchJobPrefix"


OUTPUTS = ServingOutputs()


class ServingStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        settings: ServingConfig,
        package: ModelPackage,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        alerts_topic: sns.ITopic,
        network: SubnetPlacement | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # StageConfig refuses this for the app; the stack also refuses it when built directly.
        if network is not None and settings.is_serverless:
            raise ConfigError(
                f"stage {config.name!r}: serving.mode: serverless endpoints cannot run in a "
                "VPC, and this stage has a network; set it to 'provisioned'"
            )
        self.settings = settings
        self.package = package
        self.endpoint_name = endpoint_name_for(config)
        self.variant_name = VARIANT_NAME
        self.batch_job_prefix = batch_job_prefix_for(config)

        runtime = ModelRuntime(
            model_artifacts=ObjectPattern.of(buckets.artifacts, MODEL_ARTIFACT_PATTERN),
            artifacts_key=keys.platform,
            image=sklearn_image_repository(config.region),
            network=network,
        )

        self.log_group = logs.LogGroup(
            self,
            "EndpointLogs",
            log_group_name=f"/aws/sagemaker/Endpoints/{self.endpoint_name}",
            encryption_key=keys.platform,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The stage's retention in days, as CloudFormation takes it (checked by the config).
        cfn_log_group = self.log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = config.logs.retention_days
        capture = None
        capture_objects = None
        if settings.data_capture.enabled:
            capture = CaptureDestination(
                s3_uri=buckets.curated.s3_url_for_object(layout.CAPTURE_PREFIX.rstrip("/")),
                key=keys.data,
            )
            capture_objects = ObjectPattern.of(
                buckets.curated, f"{layout.CAPTURE_PREFIX}{self.endpoint_name}/*"
            )
        # Where captured requests and predictions go (s3://<curated>/capture), None when off.
        self.capture_uri: str | None = capture.s3_uri if capture is not None else None
        self.model = PackagedModel(
            self,
            "EndpointModel",
            package=package,
            description=f"{self.endpoint_name}: runs the approved model behind the endpoint",
            statements=endpoint_statements(
                self,
                runtime,
                log_group_name=self.log_group.log_group_name,
                capture=capture_objects,
                capture_key=keys.data,
            ),
            network_isolation=settings.network_isolation,
            network=network,
        )
        self.rollback_alarms = RollbackAlarms(
            self,
            "RollbackAlarms",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            settings=settings.rollback_alarms,
            alerts_topic=alerts_topic,
        )
        self.endpoint = ServingEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            model_name=self.model.model_name,
            settings=settings,
            storage_key=keys.data,
            capture=capture,
            alarms=self.rollback_alarms,
        )
        # The instances start with the model's permissions and log into the encrypted group.
        self.endpoint.endpoint.node.add_dependency(self.model.policy, self.log_group)

        self.batch_model = self._batch_model(config, package, runtime, keys, buckets, network)
        self._outputs()

    def _batch_model(
        self,
        config: StageConfig,
        package: ModelPackage,
        runtime: ModelRuntime,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        network: SubnetPlacement | None,
    ) -> PackagedModel:
        return PackagedModel(
            self,
            "BatchModel",
            package=package,
            description=(
                f"{config.resource_prefix} batch scoring: validated files in, predictions out"
            ),
            statements=batch_statements(
                self,
                runtime,
                job_name_prefix=self.batch_job_prefix,
                input_objects=ObjectPattern.of(buckets.curated, f"{layout.VALIDATED_PREFIX}*"),
                input_prefix=layout.VALIDATED_PREFIX,
                output_objects=ObjectPattern.of(buckets.curated, f"{layout.PREDICTIONS_PREFIX}*"),
                data_key=keys.data,
            ),
            network_isolation=self.settings.network_isolation,
            network=network,
        )

    def _outputs(self) -> None:
        # Only values of this stack: an output that re-exports another stack's output (the
        # curated bucket, the data key) is what cfn-lint W6001 warns about; the tools read
        # those from the input URI and the bucket's default encryption instead.
        values = {
            OUTPUTS.endpoint_name: self.endpoint.endpoint.attr_endpoint_name,
            OUTPUTS.endpoint_config_name: self.endpoint.config.attr_endpoint_config_name,
            OUTPUTS.variant_name: self.variant_name,
            OUTPUTS.model_package_arn: self.package.arn,
            OUTPUTS.batch_model_name: self.batch_model.model_name,
            OUTPUTS.batch_job_prefix: self.batch_job_prefix,
        }
        for name, value in values.items():
            CfnOutput(self, name, value=value)
