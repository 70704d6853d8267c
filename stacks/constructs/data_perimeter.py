"""The data perimeter: student records can be read only through the platform VPC's S3 endpoint.

IAM decides who may read; this bucket-policy statement decides from where. Everything that
reads student data in a stage with a network runs inside the VPC (the validator, the
pipeline's jobs, the batch and drift jobs, the workspace), so a read that arrives any other
way is a leaked credential or a mistake, unless it comes from one of the few roles the stage
names as exceptions (deployment and break-glass). AWS recommends this pairing for jobs in a
VPC: https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html (S3 bucket policies).

Only reads are fenced: uploads into the raw bucket come from the schools, outside the VPC,
and writes reveal nothing. The artifacts bucket is outside the perimeter on purpose: it holds
models and evaluation reports, not records, and SageMaker Pipelines reads evaluation.json for
the quality gate from its own service network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

# Every action that returns an object's content: GetObject also authorizes HeadObject, S3
# Select and the source of CopyObject; replication reads would copy records out of the region.
OBJECT_READ_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionForReplication",
)
STATEMENT_SID = "DenyStudentDataReadsOutsideThePlatformVpc"


@dataclass(frozen=True)
class DataPerimeter:
    """The S3 endpoint reads must come through, and the roles exempt from that."""

    s3_endpoint_id: str
    exempt_role_names: Sequence[str] = ()

    def enforce_on(self, bucket: s3.IBucket) -> None:
        """Add the deny statement to the bucket's policy."""
        stack = Stack.of(bucket)
        conditions: dict[str, dict[str, object]] = {
            "StringNotEquals": {"aws:SourceVpce": self.s3_endpoint_id}
        }
        if self.exempt_role_names:
            conditions["ArnNotLike"] = {
                "aws:PrincipalArn": [
                    f"arn:{stack.partition}:iam::{stack.account}:role/{name}"
                    for name in self.exempt_role_names
                ]
            }
        result = bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=STATEMENT_SID,
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(OBJECT_READ_ACTIONS),
                resources=[bucket.arn_for_objects("*")],
                conditions=conditions,
            )
        )
        if not result.statement_added:
            raise ValueError(f"{bucket.node.path}: cannot add the data perimeter to its policy")
