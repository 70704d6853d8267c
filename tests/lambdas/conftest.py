"""A moto world for the validator Lambda: buckets, pipeline, topic, idempotency table.

The handler is called directly as a Python function with a fake Lambda context. No bucket
policies are applied to moto buckets (moto would enforce them against the test caller).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "eu-west-1"
RAW_BUCKET = "raw-uploads"
CURATED_BUCKET = "curated-data"
QUARANTINE_BUCKET = "quarantine-data"
PIPELINE_NAME = "student-grades-training"
TABLE_NAME = "validator-idempotency"


@dataclass
class FakeLambdaContext:
    function_name: str = "validator"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:validator"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/validator"
    log_stream_name: str = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class World:
    """The AWS resources of one test, and helpers to upload and to invoke the handler."""

    s3: Any
    sagemaker: Any
    dynamodb: Any
    topic_arn: str
    _alerts_seen: int = 0

    def upload(self, key: str, body: bytes, bucket: str = RAW_BUCKET) -> str | None:
        """Put an object; returns its version id (None in an unversioned bucket)."""
        return self.s3.put_object(Bucket=bucket, Key=key, Body=body).get("VersionId")

    def executions(self) -> list[dict[str, Any]]:
        summaries = self.sagemaker.list_pipeline_executions(PipelineName=PIPELINE_NAME)
        return summaries["PipelineExecutionSummaries"]

    def execution_input_urls(self) -> list[str]:
        urls = []
        for summary in self.executions():
            parameters = self.sagemaker.list_pipeline_parameters_for_execution(
                PipelineExecutionArn=summary["PipelineExecutionArn"]
            )["PipelineParameters"]
            urls += [p["Value"] for p in parameters if p["Name"] == "InputDataUrl"]
        return urls

    def keys(self, bucket: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def read_json(self, bucket: str, key: str) -> dict[str, Any]:
        return json.loads(self.read(bucket, key))

    def alerts(self) -> list[dict[str, Any]]:
        """SNS notifications published since the last call (subject and text), oldest first."""
        # moto's documented way to see what was published (no subscriber needed).
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns import sns_backends

        sent = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn].sent_notifications
        new, self._alerts_seen = sent[self._alerts_seen :], len(sent)
        return [{"subject": subject, "text": message} for _, message, subject, *_ in new]


def object_created_event(
    key: str,
    version_id: str | None,
    *,
    bucket: str = RAW_BUCKET,
    size: int = 100,
    detail_type: str = "Object Created",
    source: str = "aws.s3",
) -> dict[str, Any]:
    """The EventBridge event S3 sends for an upload (the body of each SQS message)."""
    detail_object: dict[str, Any] = {"key": key, "size": size, "etag": "0" * 32}
    detail_object["sequencer"] = uuid.uuid4().hex[:18].upper()
    if version_id is not None:
        detail_object["version-id"] = version_id
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": detail_object,
            "request-id": "R",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


def sqs_batch(*bodies: str | dict[str, Any]) -> dict[str, Any]:
    """An SQS event for the Lambda: one record per body (dicts are sent as JSON)."""
    records = []
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": text,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:uploads",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "validator",
    "POWERTOOLS_METRICS_NAMESPACE": "ml-platform-test/ingestion",
}
# S3 does not check the key in moto; any well-formed ARN will do.
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:123456789012:key/11111111-2222-3333-4444-555555555555"


@dataclass
class MockedAws:
    mock: Any
    clients: dict[str, Any]


@pytest.fixture(scope="package")
def mocked_aws() -> Iterator[MockedAws]:
    """One moto mock for the whole package: boto3 loads each service model once.

    (Every mock start resets boto3's default session, and reloading the SageMaker model alone
    costs a good part of a second.) Each test resets the mock's data instead.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("POWERTOOLS_IDEMPOTENCY_DISABLED", raising=False)
        mock = mock_aws()
        mock.start()
        try:
            services = ("s3", "sagemaker", "sns", "dynamodb")
            yield MockedAws(
                mock, {name: boto3.client(name, region_name=REGION) for name in services}
            )
        finally:
            mock.stop()


@pytest.fixture
def world(mocked_aws: MockedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from validator import handler

    mocked_aws.mock.reset()
    clients = mocked_aws.clients
    s3, sagemaker, sns, dynamodb = (
        clients[name] for name in ("s3", "sagemaker", "sns", "dynamodb")
    )
    for bucket in (RAW_BUCKET, CURATED_BUCKET, QUARANTINE_BUCKET):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=RAW_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    sagemaker.create_pipeline(
        PipelineName=PIPELINE_NAME,
        PipelineDefinition=json.dumps(
            {
                "Version": "2020-12-01",
                "Parameters": [{"Name": "InputDataUrl", "Type": "String"}],
                "Steps": [],
            }
        ),
        RoleArn="arn:aws:iam::123456789012:role/pipeline",
    )
    topic_arn = sns.create_topic(Name="rejected-uploads")["TopicArn"]
    dynamodb.create_table(
        TableName=TABLE_NAME,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for name, value in {
        "RAW_BUCKET_NAME": RAW_BUCKET,
        "UPLOAD_PREFIX": "incoming/",
        "CURATED_BUCKET_NAME": CURATED_BUCKET,
        "CURATED_PREFIX": "validated/",
        "CURATED_KMS_KEY_ID": KMS_KEY_ARN,
        "QUARANTINE_BUCKET_NAME": QUARANTINE_BUCKET,
        "QUARANTINE_PREFIX": "quarantine/",
        "QUARANTINE_KMS_KEY_ID": KMS_KEY_ARN,
        "PIPELINE_NAME": PIPELINE_NAME,
        "ALERT_TOPIC_ARN": topic_arn,
        "IDEMPOTENCY_TABLE_NAME": TABLE_NAME,
    }.items():
        monkeypatch.setenv(name, value)
    handler.runtime.cache_clear()
    yield World(
        s3=s3,
        sagemaker=sagemaker,
        dynamodb=dynamodb,
        topic_arn=topic_arn,
    )
    handler.runtime.cache_clear()


@pytest.fixture
def invoke(world: World):
    """Call the handler with an SQS batch; returns its partial-batch response."""
    from validator import handler

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return handler.lambda_handler(event, FakeLambdaContext())

    return call


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def emitted_metrics(stdout: str) -> dict[str, float]:
    """Sum of each metric in the embedded-metric-format lines Powertools printed."""
    totals: dict[str, float] = {}
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        if "_aws" not in document:
            continue
        for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = document[definition["Name"]]
            values = value if isinstance(value, list) else [value]
            totals[definition["Name"]] = totals.get(definition["Name"], 0) + sum(values)
    return totals
