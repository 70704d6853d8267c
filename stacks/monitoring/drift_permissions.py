"""Least-privilege policies of the drift check: its job, its pipeline, its schedule.

Every statement names its actions one by one and its resources by ARN or key pattern. A ``*``
appears only where the API has no resource-level permission or the name holds a run-time id;
each such statement has its reason in ``WILDCARD_REASONS``, and the findings are acknowledged
with it once cross-stack references are resolved (``acknowledge_wildcard_resources``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

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
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
# SageMaker's own instance metrics of processing jobs, published with the job's role.
PROCESSING_METRICS_NAMESPACE = "/aws/sagemaker/ProcessingJobs"
KEY_VOLUME_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey")
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)

_CAPTURE_KEYS = (
    "capture files are named by SageMaker per hour (<endpoint>/<variant>/yyyy/mm/dd/hh/<id>); "
    "the pattern fixes the bucket and this endpoint's capture prefix"
)
_BASELINE_KEYS = (
    "baselines are written per pipeline execution (processed/<execution id>/baseline/), an id "
    "known only at run time; the pattern fixes the bucket and the baseline sub-folder"
)
WILDCARD_REASONS = {
    "ReadCaptures": _CAPTURE_KEYS,
    "ReadBaselines": _BASELINE_KEYS,
    "AuthenticateToEcr": (
        "ecr:GetAuthorizationToken has no resource-level permission; image pulls themselves are "
        "limited to the SageMaker scikit-learn repository"
    ),
    "PutDriftMetrics": (
        "cloudwatch:PutMetricData has no resource-level permission; the cloudwatch:namespace "
        "condition limits it to the drift namespace and SageMaker's processing-job namespace"
    ),
    "CreateJobLogGroup": "SageMaker writes every processing job's log streams into this group",
    "WriteOwnJobLogStreams": (
        "log streams are named after the job, and Pipelines names jobs pipelines-<execution>-...: "
        "only that prefix is known"
    ),
    "DescribeNetworkForInterfaces": (
        "EC2 Describe actions have no resource-level permission; read-only, SageMaker needs them "
        "to attach the job's network interfaces"
    ),
    "AttachInterfacesInJobSubnets": (
        "network interfaces are created at run time; subnets and security groups are named"
    ),
    "StartDriftJobsOnlyEncrypted": (
        "Pipelines names jobs pipelines-<execution>-<step>-<suffix> at run time; the conditions "
        "require encryption in transit and the data key on the volumes"
    ),
    "FollowAndStopOwnJobs": "only the pipelines- prefix of the job names is known before a run",
}


@dataclass(frozen=True)
class DriftJobAccess:
    curated_bucket: s3.IBucket
    capture_prefix: str  # "capture/<endpoint>/": this endpoint's captures only
    baseline_pattern: str  # "processed/*/baseline/*"
    data_key: kms.IKey
    code_bucket: s3.IBucket
    code_key: str
    image_repository_arn: str
    metrics_namespace: str
    model_package_arn: str
    network: SubnetPlacement | None = None


def job_statements(stack: Stack, access: DriftJobAccess) -> list[iam.PolicyStatement]:
    curated = access.curated_bucket
    statements = [
        statement(
            "ReadCode", ["s3:GetObject"], [access.code_bucket.arn_for_objects(access.code_key)]
        ),
        statement(
            "ListCode",
            ["s3:ListBucket"],
            [access.code_bucket.bucket_arn],
            conditions={"StringEquals": {"s3:prefix": [access.code_key]}},
        ),
        statement(
            "ReadCaptures", ["s3:GetObject"], [curated.arn_for_objects(f"{access.capture_prefix}*")]
        ),
        statement(
            "ReadBaselines", ["s3:GetObject"], [curated.arn_for_objects(access.baseline_pattern)]
        ),
        statement(
            "ListCapturesAndBaselines",
            ["s3:ListBucket"],
            [curated.bucket_arn],
            conditions={
                "StringLike": {"s3:prefix": [f"{access.capture_prefix}*", access.baseline_pattern]}
            },
        ),
        statement("DecryptCapturesAndBaselines", ["kms:Decrypt"], [access.data_key.key_arn]),
        statement(
            "EncryptJobVolume",
            KEY_VOLUME_ACTIONS,
            [access.data_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        statement(
            "FindTheServedModelsPipelineRun",
            ["sagemaker:DescribeModelPackage"],
            [access.model_package_arn],
        ),
        statement("PullJobImage", ECR_PULL_ACTIONS, [access.image_repository_arn]),
        statement("AuthenticateToEcr", ["ecr:GetAuthorizationToken"], ["*"]),
        *pipeline_job_log_statements(stack, PROCESSING_LOG_GROUP),
        statement(
            "PutDriftMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={
                "StringEquals": {
                    "cloudwatch:namespace": [access.metrics_namespace, PROCESSING_METRICS_NAMESPACE]
                }
            },
        ),
    ]
    if access.network is not None:
        statements += job_network_statements(stack, access.network)
    return statements


def pipeline_statements(
    stack: Stack,
    *,
    job_role: iam.IRole,
    volume_key: kms.IKey,
    network: SubnetPlacement | None = None,
) -> list[iam.PolicyStatement]:
    """What the drift pipeline itself does: start, follow and stop its one processing job."""
    jobs = stack.format_arn(
        service="sagemaker", resource="processing-job", resource_name=PIPELINE_JOB_NAME_PATTERN
    )
    create_conditions: dict[str, Any] = {
        "Bool": {"sagemaker:InterContainerTrafficEncryption": "true"},
        "ArnEquals": {"sagemaker:VolumeKmsKey": volume_key.key_arn},
    }
    if network is not None:
        create_conditions.update(job_placement_conditions(network))
    return [
        statement(
            "StartDriftJobsOnlyEncrypted",
            ["sagemaker:CreateProcessingJob"],
            [jobs],
            conditions=create_conditions,
        ),
        statement(
            "FollowAndStopOwnJobs",
            ["sagemaker:AddTags", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob"],
            [jobs],
        ),
        statement(
            "PassOnlyTheJobRoleToSageMaker",
            ["iam:PassRole"],
            [job_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
        ),
        # SageMaker creates the volume grant with the credentials of the job's creator.
        statement(
            "LetSageMakerEncryptJobVolumes",
            KEY_VOLUME_ACTIONS,
            [volume_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def attach_policy(
    role: iam.Role, construct_id: str, statements: Sequence[iam.PolicyStatement]
) -> iam.ManagedPolicy:
    """A customer managed policy (the compliance packs flag inline policies) on ``role``."""
    policy = iam.ManagedPolicy(
        role,
        construct_id,
        description=f"What {role.node.id} may do, statement by statement",
        statements=list(statements),
        roles=[role],
    )
    # A "*" resource without a reason here fails synth, naming its statement.
    acknowledge_wildcard_resources(policy, WILDCARD_REASONS)
    return policy
