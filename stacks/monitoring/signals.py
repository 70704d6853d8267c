"""What the monitoring stack watches, as typed and optional inputs from the other stacks.

Each input is None when its stack is not part of the stage, and the monitoring stack then
synthesizes without that section (the dashboard says so). ``stacks/platform.py`` fills them in
from the stacks' own attributes, so a renamed resource cannot silently leave an alarm watching
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as aws_lambda
from aws_cdk import aws_sqs as sqs


@dataclass(frozen=True)
class IngestionSignals:
    """The upload path: upload rule -> queue -> validator function (-> dead-letter queues)."""

    function: aws_lambda.IFunction
    timeout: Duration
    queue: sqs.IQueue
    # Every dead-letter queue of the path (failed processing, undeliverable events).
    dead_letter_queues: tuple[sqs.IQueue, ...]
    upload_rule: events.IRule
    # The validator's own metrics (Powertools, embedded metric format).
    metrics_namespace: str
    metrics_dimensions: Mapping[str, str]
    accepted_files_metric: str = "AcceptedFiles"
    rejected_files_metric: str = "RejectedFiles"
    rows_metric: str = "Rows"
    bytes_metric: str = "Bytes"


@dataclass(frozen=True)
class PipelineSignals:
    """The training pipeline and the rules that already route its events to the alerts topic."""

    pipeline_name: str
    model_package_group_name: str
    # Rules owned by the pipeline stack that already notify on failed or stopped executions:
    # reused, not duplicated; the monitoring stack alarms when their delivery fails.
    failure_rules: tuple[events.IRule, ...]
    # Rules on the model registry's events (registrations, approvals), for the dashboard.
    registry_rules: tuple[events.IRule, ...] = field(default=())


@dataclass(frozen=True)
class ServingSignals:
    """The endpoint of the approved model (absent when no model package ARN was given)."""

    endpoint_name: str
    variant_name: str
    mode: Literal["serverless", "provisioned"]
    model_package_arn: str
    # The serving stack's own rollback alarms: referenced (composite, dashboard), not copied.
    rollback_alarms: tuple[cloudwatch.IAlarm, ...]
    # Provisioned only: the instance type (CPU thresholds scale with its vCPUs).
    instance_type: str | None = None
    # Where data capture writes (s3://bucket/prefix), or None when the endpoint captures nothing.
    capture_uri: str | None = None

    @property
    def provisioned(self) -> bool:
        return self.mode == "provisioned"
