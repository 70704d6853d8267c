"""Studio execution roles: read curated data; each user runs JupyterLab in their own spaces.

Both the notebook kernels and the Studio UI act with the execution role (the UI calls the
SageMaker API with the role's temporary credentials), so IAM cannot tell two users of one role
apart. Each configured user profile therefore gets a role of its own, whose space and app
statements name that profile as the owner; the domain's default role, which a profile created
outside this stack would get, only reads curated data and cannot open a space (fail closed).
Statements, each named by its Sid:

* data (every role): GetObject and a prefix-limited ListBucket on the curated bucket's
  ``validated/`` and ``processed/`` prefixes only, and kms:Decrypt on the data key only through S3;
* Studio (user roles): create, update and delete private spaces owned by the user's own profile
  and their apps (the space and app statements of "Give your users access to spaces", SageMaker
  developer guide), describe this domain's resources, list (no resource-level permission), and
  tag on create (Studio tags what it creates; without it creation fails with AccessDenied).

No shared spaces, no jobs, no endpoints, no writes to S3: notebooks keep their work in the
KMS-encrypted home file system.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ..layout import PROCESSED_PREFIX, VALIDATED_PREFIX

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
# What a data scientist may read: validated uploads and the pipeline's processed splits.
READABLE_PREFIXES = (VALIDATED_PREFIX, PROCESSED_PREFIX)
SPACE_ACTIONS = ("sagemaker:CreateSpace", "sagemaker:DeleteSpace", "sagemaker:UpdateSpace")
APP_ACTIONS = ("sagemaker:CreateApp", "sagemaker:DeleteApp")
# No resource-level permission for these (IAM service authorization reference, SageMaker).
LIST_ACTIONS = (
    "sagemaker:ListApps",
    "sagemaker:ListDomains",
    "sagemaker:ListSpaces",
    "sagemaker:ListUserProfiles",
)

# Why a statement may name resources with "*" (by Sid).
_RUN_TIME_NAMES = (
    "spaces and apps are named by the user at run time; the ARN fixes this domain's id and "
    "the conditions allow only private spaces owned by the role's own user profile"
)
WILDCARD_REASONS = {
    "ReadCuratedObjects": (
        "object keys under validated/ and processed/ hold upload names and pipeline execution "
        "ids known only at run time; read-only, the pattern fixes the bucket and the prefix"
    ),
    "ManageOwnPrivateSpaces": _RUN_TIME_NAMES,
    "RunAppsInOwnPrivateSpaces": _RUN_TIME_NAMES,
    "TagWhatStudioCreates": _RUN_TIME_NAMES,
    "DescribeThisDomainsSpacesAndApps": (
        "spaces and apps of this domain are created by users after the stack; the ARNs fix "
        "this domain's id; describe actions only"
    ),
    "ListStudioResources": (
        "SageMaker List actions have no resource-level permission; read-only metadata the "
        "Studio UI lists to show the user's spaces and apps"
    ),
}


@dataclass(frozen=True)
class CuratedData:
    """The data a data scientist may read, and the key that decrypts it."""

    bucket: s3.IBucket
    key: kms.IKey


def data_statements(stack: Stack, data: CuratedData) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            sid="ReadCuratedObjects",
            actions=["s3:GetObject"],
            resources=[data.bucket.arn_for_objects(f"{prefix}*") for prefix in READABLE_PREFIXES],
        ),
        iam.PolicyStatement(
            sid="ListCuratedPrefixes",
            actions=["s3:ListBucket"],
            resources=[data.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in READABLE_PREFIXES]}},
        ),
        iam.PolicyStatement(
            sid="DecryptCuratedObjectsThroughS3",
            actions=["kms:Decrypt"],
            resources=[data.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
        ),
    ]


def studio_statements(
    stack: Stack, *, domain_id: str, domain_arn: str, profile_name: str
) -> list[iam.PolicyStatement]:
    """What the user of one profile does in Studio: only spaces and apps that profile owns."""

    def arn(resource: str, name: str) -> str:
        return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

    own_profile = arn("user-profile", f"{domain_id}/{profile_name}")
    own_private = {
        "ArnEquals": {"sagemaker:OwnerUserProfileArn": own_profile},
        "StringEquals": {"sagemaker:SpaceSharingType": "Private"},
    }
    spaces = arn("space", f"{domain_id}/*")
    apps = arn("app", f"{domain_id}/*")
    return [
        iam.PolicyStatement(
            sid="ManageOwnPrivateSpaces",
            actions=list(SPACE_ACTIONS),
            resources=[spaces],
            conditions=own_private,
        ),
        iam.PolicyStatement(
            sid="RunAppsInOwnPrivateSpaces",
            actions=list(APP_ACTIONS),
            resources=[apps],
            conditions=own_private,
        ),
        iam.PolicyStatement(
            sid="TagWhatStudioCreates",
            actions=["sagemaker:AddTags"],
            resources=[spaces, apps],
            # Only while creating a resource: sagemaker:TaggingAction is set on create calls.
            conditions={"Null": {"sagemaker:TaggingAction": "false"}},
        ),
        iam.PolicyStatement(
            sid="DescribeThisDomainAndOwnProfile",
            actions=["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"],
            resources=[domain_arn, own_profile],
        ),
        iam.PolicyStatement(
            sid="DescribeThisDomainsSpacesAndApps",
            actions=["sagemaker:DescribeApp", "sagemaker:DescribeSpace"],
            resources=[apps, spaces],
        ),
        iam.PolicyStatement(sid="ListStudioResources", actions=list(LIST_ACTIONS), resources=["*"]),
    ]
