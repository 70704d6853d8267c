"""EventBridge patterns for SageMaker events the platform alerts on."""

from __future__ import annotations

from aws_cdk import aws_events as events

PIPELINE_EXECUTION_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
# Execution statuses that need a person: a run that failed, or one somebody stopped.
ALERTING_EXECUTION_STATUSES = ("Failed", "Stopped")


def pipeline_execution_failed(pipeline_arn: str) -> events.EventPattern:
    """An execution of this pipeline failed or was stopped."""
    return events.EventPattern(
        source=["aws.sagemaker"],
        detail_type=[PIPELINE_EXECUTION_STATUS_CHANGE],
        detail={
            "pipelineArn": [pipeline_arn],
            "currentPipelineExecutionStatus": list(ALERTING_EXECUTION_STATUSES),
        },
    )
