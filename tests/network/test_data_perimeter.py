"""With a network, student records can be read only through the VPC's S3 endpoint."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from stacks.constructs.data_perimeter import DataPerimeter
from tests.infra.helpers import logical_id, policy_statements_for

from .templates import render, resolve_imports

DENY_SID = "DenyStudentDataReadsOutsideThePlatformVpc"
READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectVersionForReplication"]


def _statements(stage, bucket):
    return policy_statements_for(stage.template(stage.platform.data), logical_id(bucket))


def _student_data_buckets(stage):
    buckets = stage.platform.data.buckets
    return {"raw": buckets.raw, "curated": buckets.curated, "quarantine": buckets.quarantine}


@pytest.mark.parametrize("name", ["raw", "curated", "quarantine"])
def test_prod_denies_reads_of_student_data_that_bypass_the_s3_endpoint(prod, name):
    bucket = _student_data_buckets(prod)[name]
    (deny,) = [s for s in _statements(prod, bucket) if s.get("Sid") == DENY_SID]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Action"] == READ_ACTIONS
    assert deny["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [logical_id(bucket), "Arn"]}, "/*"]]
    }
    conditions = deny["Condition"]
    assert set(conditions) == {"StringNotEquals", "ArnNotLike"}
    # the endpoint is the network stack's S3 gateway endpoint, not any endpoint
    [(resource_type, endpoint)] = resolve_imports(
        prod, [conditions["StringNotEquals"]["aws:SourceVpce"]]
    )
    assert resource_type == "AWS::EC2::VPCEndpoint"
    assert endpoint == logical_id(prod.platform.network.gateway_endpoints["s3"])


def test_the_only_exceptions_are_the_configured_deployment_and_break_glass_roles(prod):
    network = prod.platform.data.node.try_get_context("ml-platform:stages")["prod"]["network"]
    configured = network["deployment_role_names"] + network["break_glass_role_names"]
    assert configured, "prod names its exceptions"
    for bucket in _student_data_buckets(prod).values():
        (deny,) = [s for s in _statements(prod, bucket) if s.get("Sid") == DENY_SID]
        exempt = [render(arn) for arn in deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]]
        assert exempt == [
            f"arn:aws:iam::<{{'Ref': 'AWS::AccountId'}}>:role/{name}" for name in configured
        ]


def test_models_evaluations_and_access_logs_are_outside_the_perimeter(prod):
    # SageMaker Pipelines reads evaluation.json for the quality gate from its own network.
    buckets = prod.platform.data.buckets
    for bucket in (buckets.artifacts, buckets.access_logs):
        assert all(s.get("Sid") != DENY_SID for s in _statements(prod, bucket))


def test_dev_has_no_perimeter(dev):
    for bucket in _student_data_buckets(dev).values():
        statements = _statements(dev, bucket)
        assert statements, "the TLS statements are still there"
        assert all(s.get("Sid") != DENY_SID for s in statements)


def test_no_exceptions_means_no_principal_condition():
    stack = cdk.Stack(cdk.App(), "Solo")
    bucket = s3.Bucket(stack, "Records")
    DataPerimeter("vpce-0123456789abcdef0").enforce_on(bucket)
    (deny,) = stack.resolve(bucket.policy.document.to_json())["Statement"]
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}


def test_a_bucket_whose_policy_cannot_be_changed_is_refused_not_left_open():
    stack = cdk.Stack(cdk.App(), "Solo")
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "someone-elses-bucket")
    with pytest.raises(ValueError, match="cannot add the data perimeter"):
        DataPerimeter("vpce-0123456789abcdef0").enforce_on(imported)
