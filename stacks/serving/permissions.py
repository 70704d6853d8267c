"""Least-privilege policies of the two serving roles: the endpoint's model and the batch model.

Every statement lists its actions one by one and names its resources by ARN or key pattern.
Resources with ``*`` are either patterns whose variable part is only known at run time (log
streams, captured-object keys, the model's training-job folder) or APIs without resource-level
permissions (``ecr:GetAuthorizationToken``, EC2 ``Describe*``); each is documented in
``WILDCARD_REASONS`` and acknowledged on its policy with that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ..compliance import acknowledge_wildcard_resources
from ..constructs.iam_statements import log_group_arn, statement
from ..constructs.vpc_permissions import SubnetPlacement, model_network_statements
from .image import ImageRepository

ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
READ_OBJECT_ACTIONS = ("s3:GetObject",)
WRITE_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:PutObject")
# SSE-KMS: reading needs Decrypt; writing needs a data key (and Decrypt for multipart parts).
DECRYPT_ACTIONS = ("kms:Decrypt",)
ENCRYPT_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
# A job's storage volumes: SageMaker creates a grant on the key for the instances.
VOLUME_KEY_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey")
LOG_GROUP_ACTIONS = ("logs:CreateLogGroup", "logs:DescribeLogStreams")
LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

# Statement id -> why its resources hold a "*" (the acknowledgment's evidence).
WILDCARD_REASONS = {
    "ReadModelArtifacts": (
        "the approved model's artifact is <models prefix>/<training job>/output/model.tar.gz and "
        "the training job's name is only known per model version; only model.tar.gz files under "
        "the models prefix of the artifacts bucket match"
    ),
    "AuthenticateToEcr": "ecr:GetAuthorizationToken has no resource-level permissions",
    "WriteEndpointLogs": (
        "log streams are named by SageMaker per instance at run time; only streams of this "
        "endpoint's own log group match"
    ),
    "WriteTransformLogs": (
        "log streams are named <job name>/<instance> at run time; only streams of this "
        "platform's batch jobs (named <prefix>-batch-*) in the transform-jobs group match"
    ),
    "UseEndpointLogGroup": (
        "the :* suffix is how IAM names a log group's ARN for CreateLogGroup and "
        "DescribeLogStreams; the group is this endpoint's own /aws/sagemaker/Endpoints/<name>"
    ),
    "CreateTransformLogGroup": (
        "SageMaker writes every transform job's logs to the one group /aws/sagemaker/"
        "TransformJobs; the :* suffix is how IAM names that group's ARN for these actions"
    ),
    "CaptureRequestsAndPredictions": (
        "SageMaker names captured files <endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<uuid>.jsonl "
        "at run time; only keys under this endpoint's folder of the capture prefix match"
    ),
    "ReadBatchInput": (
        "batch scoring reads any validated file chosen at run time; only keys under the "
        "validated prefix of the curated bucket match, read only"
    ),
    "WriteBatchPredictions": (
        "each batch job writes <predictions prefix><job name>/<input>.out; only keys under the "
        "predictions prefix of the curated bucket match"
    ),
    "AttachInterfacesInSubnets": (
        "network interfaces are created by SageMaker at run time; their ARNs are unknown until "
        "then, and the subnets and security groups they attach to are named"
    ),
    "DescribeNetwork": "EC2 Describe* actions have no resource-level permissions",
}


@dataclass(frozen=True)
class ObjectPattern:
    """Objects of one bucket matching one key pattern (``models/*/output/model.tar.gz``)."""

    bucket_arn: str
    key_pattern: str

    @property
    def arn(self) -> str:
        return f"{self.bucket_arn}/{self.key_pattern}"

    @classmethod
    def of(cls, bucket: s3.IBucket, key_pattern: str) -> ObjectPattern:
        return cls(bucket.bucket_arn, key_pattern)


@dataclass(frozen=True)
class ModelRuntime:
    """What every copy of the model needs to start: artifact (with its code), image, network."""

    model_artifacts: ObjectPattern
    artifacts_key: kms.IKey
    image: ImageRepository
    network: SubnetPlacement | None = None


def runtime_statements(stack: Stack, runtime: ModelRuntime) -> list[iam.PolicyStatement]:
    repository_arn = stack.format_arn(
        service="ecr",
        region=runtime.image.region,
        account=runtime.image.account,
        resource="repository",
        resource_name=runtime.image.name,
    )
    statements = [
        statement("ReadModelArtifacts", READ_OBJECT_ACTIONS, [runtime.model_artifacts.arn]),
        statement("DecryptModelArtifacts", DECRYPT_ACTIONS, [runtime.artifacts_key.key_arn]),
        statement("PullModelImage", ECR_PULL_ACTIONS, [repository_arn]),
        statement("AuthenticateToEcr", ["ecr:GetAuthorizationToken"], ["*"]),
    ]
    if runtime.network is not None:
        statements += model_network_statements(stack, runtime.network)
    return statements


def endpoint_statements(
    stack: Stack,
    runtime: ModelRuntime,
    *,
    log_group_name: str,
    capture: ObjectPattern | None,
    capture_key: kms.IKey,
) -> list[iam.PolicyStatement]:
    """The endpoint's model: start (runtime), log to its own group, write captured data."""
    group = log_group_arn(stack, log_group_name)
    statements = [
        *runtime_statements(stack, runtime),
        # The group exists (the stack creates it, encrypted and with retention); SageMaker may
        # still ask to create it, which then changes nothing.
        statement("UseEndpointLogGroup", LOG_GROUP_ACTIONS, [f"{group}:*"]),
        statement("WriteEndpointLogs", LOG_STREAM_ACTIONS, [f"{group}:log-stream:*"]),
    ]
    if capture is not None:
        statements += [
            statement("CaptureRequestsAndPredictions", WRITE_OBJECT_ACTIONS, [capture.arn]),
            statement("EncryptCapturedData", ENCRYPT_ACTIONS, [capture_key.key_arn]),
        ]
    return statements


TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"


def batch_statements(
    stack: Stack,
    runtime: ModelRuntime,
    *,
    job_name_prefix: str,
    input_objects: ObjectPattern,
    input_prefix: str,
    output_objects: ObjectPattern,
    data_key: kms.IKey,
) -> list[iam.PolicyStatement]:
    """The batch model: start (runtime), read validated files, write predictions, log."""
    group = log_group_arn(stack, TRANSFORM_LOG_GROUP)
    return [
        *runtime_statements(stack, runtime),
        statement("ReadBatchInput", READ_OBJECT_ACTIONS, [input_objects.arn]),
        # An S3Prefix input is listed before it is read.
        statement(
            "ListBatchInput",
            ["s3:ListBucket"],
            [input_objects.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{input_prefix}*"]}},
        ),
        statement("WriteBatchPredictions", WRITE_OBJECT_ACTIONS, [output_objects.arn]),
        statement("UseDataKeyForInputAndPredictions", ENCRYPT_ACTIONS, [data_key.key_arn]),
        statement(
            "EncryptJobVolumes",
            VOLUME_KEY_ACTIONS,
            [data_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        statement("CreateTransformLogGroup", LOG_GROUP_ACTIONS, [f"{group}:*"]),
        statement(
            "WriteTransformLogs",
            LOG_STREAM_ACTIONS,
            [f"{group}:log-stream:{job_name_prefix}*"],
        ),
    ]


def attach_policy(role: iam.Role, statements: Sequence[iam.PolicyStatement]) -> iam.ManagedPolicy:
    """A customer managed policy (the compliance packs flag inline ones) for ``role``.

    Every statement with a ``*`` resource needs a reason in ``WILDCARD_REASONS``: synth fails
    naming the statement until its evidence is written down.
    """
    policy = iam.ManagedPolicy(
        role,
        "Policy",
        description=f"What {role.node.path} may do, statement by statement",
        statements=list(statements),
        roles=[role],
    )
    acknowledge_wildcard_resources(policy, WILDCARD_REASONS)
    return policy
