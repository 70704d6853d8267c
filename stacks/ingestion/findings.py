"""The compliance findings the ingestion stack accepts, each on one resource with its evidence.

Everything else the five packs check is fixed in the stack itself (encryption, TLS-only
policies, dead-letter queues, reserved concurrency, tracing, log retention, PITR ...).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import IValidation

from ..compliance import acknowledge

if TYPE_CHECKING:
    from .ingestion_stack import IngestionStack

# Why a statement of the validator's policy names resources with "*", by statement Sid.
WILDCARD_REASONS = {
    "ReadAndRemoveUploads": (
        "the object keys of uploads are chosen by uploaders; the pattern is the raw bucket's "
        "upload prefix (incoming/*), the only keys the validator reads and deletes"
    ),
    "WriteValidatedFilesAndReports": (
        "curated keys derive from each upload's key and version; the pattern is the curated "
        "bucket's validated/ prefix, nothing else in that bucket is writable"
    ),
    "WriteAndCheckQuarantinedFilesAndReports": (
        "quarantine keys derive from each upload's key and version; the pattern is the "
        "quarantine bucket's quarantine/ prefix only"
    ),
    "SendTraces": (
        "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions "
        "(the Service Authorization Reference lists no resource type), so they take '*'"
    ),
}


def _flatten(value: Any) -> str:
    """A resolved policy resource written the way cdk-nag names it in a finding."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, parts = argument
            return delimiter.join(_flatten(part) for part in parts)
        if function == "Fn::ImportValue":
            return _flatten(argument)
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Ref":
            return f"<{argument}>"
    return json.dumps(value, separators=(",", ":"))


@jsii.implements(IValidation)
class _AcknowledgeWildcardResources:
    """Acknowledge each wildcard resource of the validator's policy, by its exact finding.

    A finding is named after the resolved resource, and a resource in another stack resolves
    to an export name CDK picks only while preparing the app: construct validations run after
    that and before the compliance packs, so the exact findings are known here. A wildcard in a
    statement without a documented reason is not acknowledged (and fails synth).
    """

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self._policy = policy

    def validate(self) -> list[str]:
        cfn_policy = self._policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnManagedPolicy)
        document = Stack.of(cfn_policy).resolve(cfn_policy.policy_document)
        reasons: dict[str, list[str]] = {}
        for statement in document["Statement"]:
            reason = WILDCARD_REASONS.get(statement.get("Sid", ""))
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                finding = _flatten(resource)
                if reason and "*" in finding and reason not in reasons.get(finding, []):
                    reasons.setdefault(finding, []).append(reason)
        for finding, why in reasons.items():
            acknowledge(cfn_policy, f"AwsSolutions-IAM5[Resource::{finding}]", "; ".join(why))
        return []


def acknowledge_findings(stack: IngestionStack) -> None:
    stack.policy.node.add_validation(_AcknowledgeWildcardResources(stack.policy))

    for queue, role in (
        (stack.dead_letter_queue, "the upload queue's redrive target"),
        (stack.delivery_dead_letter_queue, "the dead-letter queue of the EventBridge target"),
    ):
        acknowledge(
            queue,
            "Serverless-SQSRedrivePolicy",
            f"This queue is {role}: a terminal queue where failed messages wait 14 days "
            "(the SQS maximum) for a person; a dead-letter queue of its own would only move "
            "them again. The monitoring stack alarms on its depth.",
        )
    acknowledge(
        stack.delivery_dead_letter_queue,
        "AwsSolutions-SQS3",
        "This queue is a dead-letter queue: the EventBridge rule's SqsQueue target names it "
        "as DeadLetterConfig (events that cannot be delivered to the upload queue); cdk-nag "
        "only recognises dead-letter queues named in another queue's RedrivePolicy.",
    )

    for pack in ("HIPAA.Security", "NIST.800.53.R5", "Serverless"):
        acknowledge(
            stack.function,
            f"{pack}-LambdaDLQ",
            "The function is only invoked synchronously by its SQS event source mapping; a "
            "function DeadLetterConfig applies to asynchronous invocations only. Failed "
            "messages go to the upload queue's redrive dead-letter queue after "
            "max_receive_count attempts.",
        )
    acknowledge(
        stack.event_source_mapping,
        "Serverless-LambdaEventSourceMappingDestination",
        "On-failure destinations of event source mappings exist for stream and Kafka sources "
        "only; for an SQS source the failed message itself moves to the queue's redrive "
        "dead-letter queue (RedrivePolicy on the upload queue), intact.",
    )
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
        acknowledge(
            stack.function,
            f"{pack}-LambdaInsideVPC",
            "The platform has no VPC yet (the network arrives in a later issue). The function "
            "has no inbound network path: it is invoked by its SQS event source only and calls "
            "AWS APIs (S3, SNS, DynamoDB, SageMaker, X-Ray) over TLS, authorised by its own "
            "least-privilege role.",
        )
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        acknowledge(
            stack.idempotency_table,
            f"{pack}-DynamoDBInBackupPlan",
            "The table holds only idempotency records (a hash of bucket, key and version and a "
            "processing summary) that expire after 14 days and are rebuilt by processing; "
            "point-in-time recovery (35 days) is on and the table is retained on deletion.",
        )
