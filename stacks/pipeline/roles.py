"""Least-privilege IAM roles of the training pipeline: one per job, one for the pipeline.

One role per job rather than per job kind, because the two processing jobs touch different
data: preprocessing reads validated student records and writes the splits; evaluation reads the
model and the test split and writes the report. A shared role would let each do the other's part.

Every statement names its actions one by one (no ``*`` in an action) and its resources by ARN
or key pattern. ``*`` resources appear only for APIs without resource-level permissions
(``ecr:GetAuthorizationToken``, ``cloudwatch:PutMetricData`` — limited by namespace —
and EC2 ``Describe*`` for VPC jobs); each is acknowledged where the stack creates the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..compliance import acknowledge_wildcard_resources
from ..constructs.iam_statements import (
    PIPELINE_JOB_NAME_PATTERN,
    pipeline_job_log_statements,
    statement,
)
from ..constructs.vpc_permissions import (
    SubnetPlacement,
    job_network_statements,
    job_placement_conditions,
)

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"

READ_ACTIONS = ("s3:GetObject",)
LIST_ACTIONS = ("s3:ListBucket",)
WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
# Reading an SSE-KMS object; writing one (Decrypt too: multipart uploads re-read their parts).
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
# Encrypting the jobs' storage volumes: SageMaker creates a grant for the instances' volumes.
KEY_VOLUME_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey")
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


# Why a statement may name resources with "*" (by Sid, without its trailing index): either the
# API has no resource-level permission, or the object keys hold run-time ids (execution, job).
_RUN_TIME_KEYS = (
    "object keys contain the pipeline execution id or the training job name, known only at run "
    "time; the pattern fixes the bucket, the prefix and the sub-folder"
)
WILDCARD_REASONS = {
    "ReadObjects": _RUN_TIME_KEYS,
    "WriteObjects": _RUN_TIME_KEYS,
    "ListReadPrefixes": _RUN_TIME_KEYS,
    "ReadEvaluationReports": _RUN_TIME_KEYS,
    "AuthenticateToEcr": (
        "ecr:GetAuthorizationToken has no resource-level permission; image pulls themselves are "
        "limited to the SageMaker scikit-learn repository"
    ),
    "PutJobMetricsInOwnNamespace": (
        "cloudwatch:PutMetricData has no resource-level permission; the cloudwatch:namespace "
        "condition limits it to the job kind's SageMaker namespace"
    ),
    "DescribeNetworkForInterfaces": (
        "EC2 Describe actions have no resource-level permission; read-only, SageMaker needs them "
        "to attach the job's network interfaces"
    ),
    "CreateJobLogGroup": "SageMaker writes every job's log streams into this one log group",
    "WriteOwnJobLogStreams": (
        "log streams are named after the job, and Pipelines names jobs pipelines-<execution>-...: "
        "only that prefix is known"
    ),
    "AttachInterfacesInJobSubnets": (
        "network interfaces are created at run time; subnets and security groups are named"
    ),
    "StartProcessingJobsOnlyIsolatedAndEncrypted": (
        "Pipelines names jobs pipelines-<execution>-<step>-<suffix> at run time; the conditions "
        "require isolation, encryption in transit and the platform's keys"
    ),
    "StartTrainingJobsOnlyIsolatedAndEncrypted": (
        "Pipelines names jobs pipelines-<execution>-<step>-<suffix> at run time; the conditions "
        "require isolation, encryption in transit and the platform's keys"
    ),
    "FollowAndStopOwnJobs": "only the pipelines- prefix of the job names is known before a run",
    "RegisterModelsInOwnGroup": (
        "model package versions are numbered at registration; only this group's packages match"
    ),
}


def wildcard_reason(statement: iam.PolicyStatement) -> str | None:
    """The documented reason for the statement's ``*`` resources; None when it has none.

    Raises when a statement with a wildcard has no documented reason: a new wildcard needs one.
    """
    if not any("*" in resource for resource in statement.resources):
        return None
    sid = (statement.sid or "").rstrip("0123456789")
    if sid not in WILDCARD_REASONS:
        raise ValueError(
            f"statement {statement.sid!r} names resources with '*' ({statement.resources}) "
            "without a documented reason in WILDCARD_REASONS"
        )
    return WILDCARD_REASONS[sid]


class JobKind(Enum):
    """The CloudWatch log group and metric namespace SageMaker uses for each kind of job."""

    PROCESSING = "/aws/sagemaker/ProcessingJobs"
    TRAINING = "/aws/sagemaker/TrainingJobs"


@dataclass(frozen=True)
class ObjectAccess:
    """Objects of one bucket, as key patterns (``processed/*/train/*``)."""

    bucket: s3.IBucket
    key_patterns: tuple[str, ...]

    def object_arns(self) -> list[str]:
        return [self.bucket.arn_for_objects(pattern) for pattern in self.key_patterns]

    def list_prefixes(self) -> list[str]:
        """What the job may list: SageMaker lists an S3Prefix input before downloading it."""
        prefixes: list[str] = []
        for pattern in self.key_patterns:
            prefixes.append(pattern)
            if pattern.endswith("/*"):
                prefixes.append(pattern[: -len("/*")])
        return prefixes


@dataclass(frozen=True)
class JobPermissions:
    kind: JobKind
    reads: tuple[ObjectAccess, ...]
    writes: tuple[ObjectAccess, ...]
    read_keys: tuple[kms.IKey, ...]
    write_keys: tuple[kms.IKey, ...]
    volume_key: kms.IKey
    image_repository_arn: str
    network: SubnetPlacement | None = None
    extra_statements: tuple[iam.PolicyStatement, ...] = field(default=())


def object_statements(
    prefix: str, accesses: Sequence[ObjectAccess], actions: Sequence[str]
) -> list[iam.PolicyStatement]:
    return [
        statement(f"{prefix}{index}", actions, access.object_arns())
        for index, access in enumerate(accesses)
    ]


def list_statements(accesses: Sequence[ObjectAccess]) -> list[iam.PolicyStatement]:
    return [
        statement(
            f"ListReadPrefixes{index}",
            LIST_ACTIONS,
            [access.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": access.list_prefixes()}},
        )
        for index, access in enumerate(accesses)
    ]


def log_and_metric_statements(stack: Stack, kind: JobKind) -> list[iam.PolicyStatement]:
    return [
        *pipeline_job_log_statements(stack, kind.value),
        statement(
            "PutJobMetricsInOwnNamespace",
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": kind.value}},
        ),
    ]


def key_arns(keys: Sequence[kms.IKey]) -> list[str]:
    return [key.key_arn for key in keys]


def job_statements(stack: Stack, permissions: JobPermissions) -> list[iam.PolicyStatement]:
    statements = [
        *object_statements("ReadObjects", permissions.reads, READ_ACTIONS),
        *list_statements(permissions.reads),
        *object_statements("WriteObjects", permissions.writes, WRITE_ACTIONS),
        statement("DecryptWhatItReads", KEY_READ_ACTIONS, key_arns(permissions.read_keys)),
        statement("EncryptWhatItWrites", KEY_WRITE_ACTIONS, key_arns(permissions.write_keys)),
        statement(
            "EncryptJobVolumes",
            KEY_VOLUME_ACTIONS,
            [permissions.volume_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        statement("PullJobImage", ECR_PULL_ACTIONS, [permissions.image_repository_arn]),
        statement("AuthenticateToEcr", ["ecr:GetAuthorizationToken"], ["*"]),
        *log_and_metric_statements(stack, permissions.kind),
        *permissions.extra_statements,
    ]
    if permissions.network is not None:
        statements += job_network_statements(stack, permissions.network)
    return statements


def sagemaker_role(scope: Construct, construct_id: str, *, description: str) -> iam.Role:
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
        description=description,
    )


def attach_policy(
    role: iam.Role, construct_id: str, statements: Sequence[iam.PolicyStatement]
) -> iam.ManagedPolicy:
    """A customer managed policy (not inline: the compliance packs flag inline policies).

    Its wildcard resources are acknowledged with the evidence of each statement.
    """
    policy = iam.ManagedPolicy(
        role,
        construct_id,
        description=f"What {role.node.id} may do, statement by statement",
        statements=list(statements),
        roles=[role],
    )
    reasons = {
        statement.sid or "": reason
        for statement in statements
        if (reason := wildcard_reason(statement)) is not None
    }
    acknowledge_wildcard_resources(policy, reasons)
    return policy


@dataclass(frozen=True)
class PipelinePermissions:
    """What the pipeline itself (not its jobs) does: start jobs, register models, read reports."""

    job_roles: tuple[iam.IRole, ...]
    model_package_group_name: str
    volume_key: kms.IKey
    processing_output_keys: tuple[kms.IKey, ...]
    training_output_keys: tuple[kms.IKey, ...]
    # The evaluation report the condition step reads (a property file is read by the pipeline).
    reports: ObjectAccess
    report_key: kms.IKey
    # With a network, jobs may only be created in its subnets with its security groups.
    network: SubnetPlacement | None = None


def _job_guardrails(
    volume_key: kms.IKey, output_keys: Sequence[kms.IKey], network: SubnetPlacement | None = None
) -> dict:
    """Conditions on creating a job: isolated, encrypted in transit and at rest with our keys.

    Whatever an edited definition says, the pipeline cannot start a job that reaches the network,
    sends unencrypted traffic between its instances or writes with another key.
    """
    conditions: dict = {
        "Bool": {
            "sagemaker:NetworkIsolation": "true",
            "sagemaker:InterContainerTrafficEncryption": "true",
        },
        "ArnEquals": {
            "sagemaker:VolumeKmsKey": volume_key.key_arn,
            "sagemaker:OutputKmsKey": key_arns(output_keys),
        },
    }
    if network is not None:
        conditions.update(job_placement_conditions(network))
    return conditions


def pipeline_statements(
    stack: Stack, permissions: PipelinePermissions
) -> list[iam.PolicyStatement]:
    def sagemaker_arn(resource: str, name: str) -> str:
        return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

    processing_jobs = sagemaker_arn("processing-job", PIPELINE_JOB_NAME_PATTERN)
    training_jobs = sagemaker_arn("training-job", PIPELINE_JOB_NAME_PATTERN)
    group = permissions.model_package_group_name.lower()
    return [
        statement(
            "StartProcessingJobsOnlyIsolatedAndEncrypted",
            ["sagemaker:CreateProcessingJob"],
            [processing_jobs],
            conditions=_job_guardrails(
                permissions.volume_key, permissions.processing_output_keys, permissions.network
            ),
        ),
        statement(
            "StartTrainingJobsOnlyIsolatedAndEncrypted",
            ["sagemaker:CreateTrainingJob"],
            [training_jobs],
            conditions=_job_guardrails(
                permissions.volume_key, permissions.training_output_keys, permissions.network
            ),
        ),
        statement(
            "FollowAndStopOwnJobs",
            [
                "sagemaker:AddTags",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:StopTrainingJob",
            ],
            [processing_jobs, training_jobs],
        ),
        statement(
            "RegisterModelsInOwnGroup",
            [
                "sagemaker:AddTags",
                "sagemaker:CreateModelPackage",
                "sagemaker:DescribeModelPackage",
                "sagemaker:DescribeModelPackageGroup",
            ],
            [
                sagemaker_arn("model-package-group", group),
                sagemaker_arn("model-package", f"{group}/*"),
            ],
        ),
        statement(
            "PassOnlyTheJobRolesToSageMaker",
            ["iam:PassRole"],
            [role.role_arn for role in permissions.job_roles],
            conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
        ),
        *object_statements("ReadEvaluationReports", [permissions.reports], READ_ACTIONS),
        statement("DecryptEvaluationReports", KEY_READ_ACTIONS, [permissions.report_key.key_arn]),
        # SageMaker creates the volume grants with the credentials of the job's creator.
        statement(
            "LetSageMakerEncryptJobVolumes",
            KEY_VOLUME_ACTIONS,
            [permissions.volume_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]
