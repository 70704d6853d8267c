"""Small builders of IAM statements that the platform's role modules share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

# SageMaker Pipelines names every job it starts "pipelines-<execution id>-<step>-<suffix>".
PIPELINE_JOB_NAME_PATTERN = "pipelines-*"


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Mapping[str, Any] | None = None,
) -> iam.PolicyStatement:
    """An Allow statement with its actions sorted, so templates do not depend on call order."""
    return iam.PolicyStatement(
        sid=sid,
        actions=sorted(actions),
        resources=list(resources),
        conditions=dict(conditions) if conditions else None,
    )


def log_group_arn(stack: Stack, name: str) -> str:
    return stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def pipeline_job_log_statements(stack: Stack, log_group_name: str) -> list[iam.PolicyStatement]:
    """A pipeline job writes its own log streams into SageMaker's log group for its kind."""
    log_group = log_group_arn(stack, log_group_name)
    return [
        statement(
            "CreateJobLogGroup",
            ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
            [f"{log_group}:*"],
        ),
        statement(
            "WriteOwnJobLogStreams",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{log_group}:log-stream:{PIPELINE_JOB_NAME_PATTERN}"],
        ),
    ]
