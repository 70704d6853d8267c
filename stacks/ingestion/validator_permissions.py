"""Exactly what the validator function may do, derived from what its code calls.

``lambdas/validator`` calls (actions.py, handler.py):
- s3 get_object (with VersionId) on the upload, copy_object from it, delete_object of that
  version after quarantining it;
- s3 copy_object + put_object into the curated bucket (validated/) and the quarantine bucket
  (quarantine/), head_object on the quarantine copy and report (size check, earlier attempt);
- sagemaker start_pipeline_execution on the training pipeline;
- sns publish to the quarantine notification topic;
- dynamodb get/put/update/delete_item on the idempotency table (Powertools idempotency);
- Powertools metrics are written as embedded metric format to the log: no PutMetricData;
- X-Ray segments from the Powertools tracer; log lines to its own log group;
- the SQS event source mapping reads and deletes the queue's messages with this role.

S3 returns 404 (not 403) for a missing key only to a caller that may list the bucket; the code
relies on that to tell a deleted upload or an absent quarantine report from a failure, so it
may list the raw and quarantine buckets (key names only, never content).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam

# X-Ray has no resource-level permissions: these actions only ever take "*".
XRAY_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


@dataclass(frozen=True)
class ValidatorResources:
    """ARNs and names the validator's permissions are scoped to (tokens are fine)."""

    region: str
    raw_bucket_arn: str
    upload_prefix: str
    curated_bucket_arn: str
    validated_prefix: str
    quarantine_bucket_arn: str
    quarantine_prefix: str
    data_key_arn: str
    platform_key_arn: str
    queue_arn: str
    topic_arn: str
    table_arn: str
    pipeline_arn: str
    log_group_arn: str


def _via(service: str, region: str) -> dict[str, dict[str, str]]:
    """Key use only through one AWS service, on the caller's behalf."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}


def validator_statements(r: ValidatorResources) -> list[iam.PolicyStatement]:
    def objects(bucket_arn: str, prefix: str) -> str:
        return f"{bucket_arn}/{prefix}*"

    return [
        iam.PolicyStatement(
            sid="ReadAndRemoveUploads",
            actions=["s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion"],
            resources=[objects(r.raw_bucket_arn, r.upload_prefix)],
        ),
        iam.PolicyStatement(
            sid="ListRawAndQuarantineForNotFound",
            actions=["s3:ListBucket"],
            resources=[r.raw_bucket_arn, r.quarantine_bucket_arn],
        ),
        iam.PolicyStatement(
            sid="WriteValidatedFilesAndReports",
            actions=["s3:PutObject"],
            resources=[objects(r.curated_bucket_arn, r.validated_prefix)],
        ),
        iam.PolicyStatement(
            sid="WriteAndCheckQuarantinedFilesAndReports",
            actions=["s3:GetObject", "s3:PutObject"],
            resources=[objects(r.quarantine_bucket_arn, r.quarantine_prefix)],
        ),
        iam.PolicyStatement(
            sid="StudentDataKeyThroughS3Only",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[r.data_key_arn],
            conditions=_via("s3", r.region),
        ),
        iam.PolicyStatement(
            sid="ConsumeUploadEvents",
            actions=["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            resources=[r.queue_arn],
        ),
        iam.PolicyStatement(
            sid="PlatformKeyToReadQueueMessages",
            actions=["kms:Decrypt"],
            resources=[r.platform_key_arn],
            conditions=_via("sqs", r.region),
        ),
        iam.PolicyStatement(
            sid="NotifyQuarantine",
            actions=["sns:Publish"],
            resources=[r.topic_arn],
        ),
        iam.PolicyStatement(
            sid="PlatformKeyToPublishToEncryptedTopic",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[r.platform_key_arn],
            conditions=_via("sns", r.region),
        ),
        iam.PolicyStatement(
            # Lambda decrypts the function's environment variables with the caller's role.
            sid="PlatformKeyToDecryptOwnEnvironment",
            actions=["kms:Decrypt"],
            resources=[r.platform_key_arn],
            conditions=_via("lambda", r.region),
        ),
        iam.PolicyStatement(
            sid="IdempotencyRecords",
            actions=[
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            resources=[r.table_arn],
        ),
        iam.PolicyStatement(
            sid="PlatformKeyForEncryptedIdempotencyTable",
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[r.platform_key_arn],
            conditions=_via("dynamodb", r.region),
        ),
        iam.PolicyStatement(
            sid="StartTrainingPipeline",
            actions=["sagemaker:StartPipelineExecution"],
            resources=[r.pipeline_arn],
        ),
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[r.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="SendTraces",
            actions=list(XRAY_ACTIONS),
            resources=["*"],
        ),
    ]
