"""Data-privacy layer: the platform's KMS keys and S3 buckets.

Two customer-managed keys, split by who must be able to decrypt:
- ``data_key`` encrypts student records (raw uploads, curated data, quarantine, job volumes,
  captured requests). Only the validator, the pipeline's jobs and the endpoint's capture need it.
- ``platform_key`` encrypts what operations need (model artifacts, logs, queues, topics). On-call
  engineers and AWS services (CloudWatch Logs, EventBridge, CloudWatch alarms) use it without
  being able to read a single student record.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .compliance import acknowledge
from .config import StageConfig
from .constructs.data_perimeter import DataPerimeter
from .constructs.encryption_key import EncryptionKey, ServiceUse, cloudwatch_logs_use
from .constructs.secure_bucket import AccessLogsBucket, SecureBucket


@dataclass(frozen=True)
class PlatformKeys:
    data: kms.IKey
    platform: kms.IKey


@dataclass(frozen=True)
class PlatformBuckets:
    raw: s3.IBucket  # uploads land here (layout.UPLOAD_PREFIX); S3 events go to EventBridge
    curated: s3.IBucket  # validated files, processed splits, captured requests, predictions
    quarantine: s3.IBucket  # rejected files with their validation reports
    artifacts: s3.IBucket  # model artifacts and evaluation reports
    access_logs: s3.IBucket  # S3 server access logs of all the buckets above


class DataStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        perimeter: DataPerimeter | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        account = self.account
        data_key = EncryptionKey(
            self,
            "DataKey",
            description=f"ml-platform {config.name}: student records at rest",
            alias=f"alias/{config.resource_prefix}/data",
        )
        platform_key = EncryptionKey(
            self,
            "PlatformKey",
            description=f"ml-platform {config.name}: models, logs, queues and notifications",
            alias=f"alias/{config.resource_prefix}/platform",
            services=[
                cloudwatch_logs_use(self),
                ServiceUse(
                    sid="EventBridgeDeliversToEncryptedQueuesAndTopics",
                    service="events.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                ),
                ServiceUse(
                    sid="CloudWatchAlarmsPublishToEncryptedTopics",
                    service="cloudwatch.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                ),
            ],
        )
        self.keys = PlatformKeys(data=data_key.key, platform=platform_key.key)

        lifecycle = {
            "noncurrent_version_expiration_days": config.data.noncurrent_version_expiration_days,
            "abort_incomplete_multipart_upload_days": (
                config.data.abort_incomplete_multipart_upload_days
            ),
        }
        access_logs = AccessLogsBucket(
            self, "AccessLogs", retention_days=config.data.access_log_retention_days, **lifecycle
        )

        def bucket(construct_id: str, key: kms.IKey, *, events: bool = False) -> SecureBucket:
            return SecureBucket(
                self,
                construct_id,
                encryption_key=key,
                access_logs_bucket=access_logs,
                noncurrent_version_expiration_days=lifecycle["noncurrent_version_expiration_days"],
                abort_incomplete_multipart_upload_days=lifecycle[
                    "abort_incomplete_multipart_upload_days"
                ],
                event_bridge_enabled=events,
            )

        self.buckets = PlatformBuckets(
            raw=bucket("Raw", data_key.key, events=True),
            curated=bucket("Curated", data_key.key),
            quarantine=bucket("Quarantine", data_key.key),
            artifacts=bucket("Artifacts", platform_key.key),
            access_logs=access_logs,
        )
        if perimeter is not None:
            for student_data in self.student_data_buckets:
                perimeter.enforce_on(student_data)
        self._acknowledge_findings()

    @property
    def student_data_buckets(self) -> tuple[s3.IBucket, ...]:
        """The buckets under the data key: uploads, curated records, quarantined files."""
        return (self.buckets.raw, self.buckets.curated, self.buckets.quarantine)

    def _acknowledge_findings(self) -> None:
        for bucket in (
            self.buckets.raw,
            self.buckets.curated,
            self.buckets.quarantine,
            self.buckets.artifacts,
            self.buckets.access_logs,
        ):
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
                acknowledge(
                    bucket,
                    f"{pack}-S3BucketReplicationEnabled",
                    "Single-region by design: student records must stay in the stage's configured "
                    "region (data residency). Durability comes from S3 (11 nines), versioning, "
                    "noncurrent-version retention and RETAIN on stack deletion.",
                )
        for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"):
            acknowledge(
                self.buckets.access_logs,
                f"{pack}-S3DefaultEncryptionKMS",
                "S3 server access logging delivers only to a target bucket with SSE-S3 (AES256) "
                "default encryption; this bucket holds access records, no student data, and is "
                "private, TLS-only and versioned.",
            )
