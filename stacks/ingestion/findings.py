"""The compliance findings the ingestion stack accepts, each on one resource with its evidence.

Everything else the five packs check is fixed in the stack itself (encryption, TLS-only
policies, dead-letter queues, reserved concurrency, tracing, log retention, PITR ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..compliance import acknowledge, acknowledge_wildcard_resources

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
    "AttachInterfacesInSubnets": (
        "Lambda creates the function's network interfaces at run time, so their ARNs are "
        "unknown until then; the subnets and security groups they attach to are named"
    ),
    "DescribeNetwork": (
        "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets have no resource-level "
        "permissions (Service Authorization Reference), so they take '*'"
    ),
    "SendTraces": (
        "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions "
        "(the Service Authorization Reference lists no resource type), so they take '*'"
    ),
}


def acknowledge_findings(stack: IngestionStack) -> None:
    acknowledge_wildcard_resources(stack.policy, WILDCARD_REASONS)

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
    if stack.network is None:
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
            acknowledge(
                stack.function,
                f"{pack}-LambdaInsideVPC",
                "This stage has no network (network.enabled is false in cdk.json). The "
                "function has no inbound network path: it is invoked by its SQS event source "
                "only and calls AWS APIs (S3, SNS, DynamoDB, SageMaker, X-Ray) over TLS, "
                "authorised by its own least-privilege role.",
            )
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        acknowledge(
            stack.idempotency_table,
            f"{pack}-DynamoDBInBackupPlan",
            "The table holds only idempotency records (a hash of bucket, key and version and a "
            "processing summary) that expire after 14 days and are rebuilt by processing; "
            "point-in-time recovery (35 days) is on and the table is retained on deletion.",
        )
