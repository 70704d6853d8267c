"""An S3 bucket for sensitive data, with the platform's secure defaults in one place."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def _lifecycle(
    *, noncurrent_version_expiration_days: int, abort_incomplete_multipart_upload_days: int
) -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="ExpireOldVersionsAndAbandonedUploads",
            noncurrent_version_expiration=Duration.days(noncurrent_version_expiration_days),
            abort_incomplete_multipart_upload_after=Duration.days(
                abort_incomplete_multipart_upload_days
            ),
            expired_object_delete_marker=False,
        )
    ]


class SecureBucket(s3.Bucket):
    """Private, TLS-only, versioned, access-logged, SSE-KMS (bucket key) and never deleted.

    Retained in every stage: the platform never destroys data, a stack deletion leaves the
    bucket and its objects for their owners to decide.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey,
        access_logs_bucket: s3.IBucket,
        noncurrent_version_expiration_days: int,
        abort_incomplete_multipart_upload_days: int,
        event_bridge_enabled: bool = False,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=f"{construct_id}/",
            lifecycle_rules=_lifecycle(
                noncurrent_version_expiration_days=noncurrent_version_expiration_days,
                abort_incomplete_multipart_upload_days=abort_incomplete_multipart_upload_days,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        if event_bridge_enabled:
            # Set on the CloudFormation resource itself: the L2 flag deploys a custom-resource
            # Lambda (with an AWS managed policy) only to flip this one setting.
            cfn_bucket = self.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
            )


class AccessLogsBucket(s3.Bucket):
    """Target of S3 server access logging.

    S3 delivers server access logs only to a bucket encrypted with SSE-S3, so this is the one
    bucket without the customer-managed key; it holds who-touched-what records, not student data.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int,
        noncurrent_version_expiration_days: int,
        abort_incomplete_multipart_upload_days: int,
    ) -> None:
        rules = _lifecycle(
            noncurrent_version_expiration_days=noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=abort_incomplete_multipart_upload_days,
        )
        rules.append(s3.LifecycleRule(id="ExpireLogs", expiration=Duration.days(retention_days)))
        super().__init__(
            scope,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            lifecycle_rules=rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
