"""Read the monitoring stack's inputs off the other stacks' typed attributes.

Kept here, not in ``stacks/platform.py``, so the composition root stays one call; every value
comes from the watched stack itself (its function, queues, endpoint configuration), so the
alarms follow a renamed or reconfigured resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Token
from aws_cdk import aws_sagemaker as sagemaker

from .signals import IngestionSignals, PipelineSignals, ServingSignals

if TYPE_CHECKING:
    from ..ingestion import IngestionStack
    from ..pipeline.pipeline_stack import PipelineStack
    from ..serving.serving_stack import ServingStack


def ingestion_signals(stack: IngestionStack | None) -> IngestionSignals | None:
    if stack is None:
        return None
    return IngestionSignals(
        function=stack.function,
        timeout=stack.function_timeout,
        queue=stack.queue,
        dead_letter_queues=(stack.dead_letter_queue, stack.delivery_dead_letter_queue),
        upload_rule=stack.rule,
        metrics_namespace=stack.metrics.namespace,
        metrics_dimensions=dict(stack.metrics.dimensions),
    )


def pipeline_signals(stack: PipelineStack | None) -> PipelineSignals | None:
    if stack is None:
        return None
    return PipelineSignals(
        pipeline_name=stack.pipeline_name,
        model_package_group_name=stack.model_package_group_name,
        failure_rules=(stack.execution_failed_rule,),
        registry_rules=(stack.model_package_rule,),
    )


def _capture_uri(config: sagemaker.CfnEndpointConfig) -> str | None:
    capture = config.data_capture_config
    if capture is None or Token.is_unresolved(capture):
        return None
    assert isinstance(capture, sagemaker.CfnEndpointConfig.DataCaptureConfigProperty)
    return capture.destination_s3_uri if capture.enable_capture else None


def serving_signals(stack: ServingStack | None) -> ServingSignals | None:
    if stack is None:
        return None
    settings = stack.settings
    return ServingSignals(
        endpoint_name=stack.endpoint_name,
        variant_name=stack.variant_name,
        mode=settings.mode,
        model_package_arn=stack.package.arn,
        rollback_alarms=tuple(stack.rollback_alarms.alarms),
        instance_type=None if settings.is_serverless else settings.provisioned.instance_type,
        capture_uri=_capture_uri(stack.endpoint.config),
    )
