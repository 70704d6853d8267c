"""The endpoint: its configuration (mode, storage key, data capture), rollout and autoscaling."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..config.serving import ProvisionedSettings, RolloutSettings, ServingConfig
from .alarms import RollbackAlarms

CAPTURE_CONTENT_TYPES = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
    csv_content_types=["text/csv"], json_content_types=["application/json"]
)
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
INVOCATIONS_PER_INSTANCE = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class CaptureDestination:
    s3_uri: str  # s3://<curated bucket>/<capture prefix without the trailing "/">
    key: kms.IKey


class ServingEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        model_name: str,
        settings: ServingConfig,
        storage_key: kms.IKey,
        capture: CaptureDestination | None,
        alarms: RollbackAlarms,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[self._variant(variant_name, model_name, settings)],
            # Serverless uses it for the model's image, provisioned for the instances' volumes.
            kms_key_id=storage_key.key_arn,
            data_capture_config=self._capture(capture, settings),
        )
        provisioned = None if settings.is_serverless else settings.provisioned
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=self.config.attr_endpoint_config_name,
            deployment_config=(
                _blue_green(provisioned.rollout, alarms) if provisioned is not None else None
            ),
            # A rollout keeps the instance count autoscaling reached instead of dropping back
            # to initial_instance_count under load.
            retain_all_variant_properties=True if provisioned is not None else None,
        )
        self.scalable_target: autoscaling.CfnScalableTarget | None = None
        self.scaling_policy: autoscaling.CfnScalingPolicy | None = None
        if provisioned is not None:
            self._autoscale(variant_name, provisioned)

    @staticmethod
    def _variant(
        variant_name: str, model_name: str, settings: ServingConfig
    ) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        if settings.is_serverless:
            return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=variant_name,
                model_name=model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=settings.serverless.memory_size_mb,
                    max_concurrency=settings.serverless.max_concurrency,
                ),
            )
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=variant_name,
            model_name=model_name,
            initial_variant_weight=1.0,
            instance_type=settings.provisioned.instance_type,
            initial_instance_count=settings.provisioned.initial_instance_count,
        )

    @staticmethod
    def _capture(
        capture: CaptureDestination | None, settings: ServingConfig
    ) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | None:
        if capture is None:
            return None
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=settings.data_capture.sampling_percentage,
            destination_s3_uri=capture.s3_uri,
            kms_key_id=capture.key.key_arn,
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
            ],
            # Record bodies as text, not base64, so monitoring jobs can read them.
            capture_content_type_header=CAPTURE_CONTENT_TYPES,
        )

    def _autoscale(self, variant_name: str, provisioned: ProvisionedSettings) -> None:
        scaling = provisioned.autoscaling
        # No RoleARN: Application Auto Scaling uses its service-linked role for SageMaker.
        self.scalable_target = autoscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=Fn.join(
                "/", ["endpoint", self.endpoint.attr_endpoint_name, "variant", variant_name]
            ),
            min_capacity=scaling.min_instances,
            max_capacity=scaling.max_instances,
        )
        self.scaling_policy = autoscaling.CfnScalingPolicy(
            self,
            "InvocationsPerInstance",
            policy_name="invocations-per-instance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=(
                autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                    target_value=scaling.target_invocations_per_instance,
                    predefined_metric_specification=autoscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                        predefined_metric_type=INVOCATIONS_PER_INSTANCE
                    ),
                    scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                    scale_out_cooldown=scaling.scale_out_cooldown_seconds,
                )
            ),
        )


def _blue_green(
    rollout: RolloutSettings, alarms: RollbackAlarms
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    step = sagemaker.CfnEndpoint.CapacitySizeProperty(
        type="CAPACITY_PERCENT", value=rollout.step_percent
    )
    is_canary = rollout.traffic_shifting == "canary"
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                type="CANARY" if is_canary else "LINEAR",
                wait_interval_in_seconds=rollout.wait_interval_seconds,
                canary_size=step if is_canary else None,
                linear_step_size=None if is_canary else step,
            ),
            termination_wait_in_seconds=rollout.termination_wait_seconds,
            maximum_execution_timeout_in_seconds=rollout.max_execution_timeout_seconds,
        ),
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
            alarms=[
                sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)
                for alarm in alarms.alarms
            ]
        ),
    )
