"""The Studio execution role: curated reads only, Studio scoped to this domain, no `*` action."""

from __future__ import annotations

from typing import Any

from stacks.compliance import acknowledgment_register, flatten_reference
from tests.infra.helpers import as_list, logical_id, resources_of_type

from .test_workspace_stack import _import, _template


def _statements(stage) -> dict[str, dict[str, Any]]:
    (policy,) = resources_of_type(_template(stage), "AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["Roles"] == [
        {"Ref": logical_id(stage.platform.workspace.execution_role)}
    ]
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def _rendered(statement: dict[str, Any]) -> list[str]:
    return sorted(flatten_reference(resource) for resource in as_list(statement["Resource"]))


def test_trusted_by_sagemaker_only_with_no_managed_policy(prod):
    role = _template(prod)["Resources"][logical_id(prod.platform.workspace.execution_role)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Effect"] == "Allow"
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]


def test_exactly_these_statements_all_allow_with_named_actions(prod):
    statements = _statements(prod)
    assert sorted(statements) == [
        "DecryptCuratedObjectsThroughS3",
        "DescribeThisDomain",
        "DescribeThisDomainsResources",
        "ListCuratedPrefixes",
        "ListStudioResources",
        "ManageOwnPrivateSpaces",
        "ReadCuratedObjects",
        "RunAppsInOwnPrivateSpaces",
        "TagWhatStudioCreates",
    ]
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(statement["Action"])), statement


def test_reads_only_the_validated_and_processed_prefixes_of_the_curated_bucket(prod):
    statements = _statements(prod)
    data = prod.platform.data
    curated = flatten_reference(_import(prod, data, data.buckets.curated, "Arn"))
    read = statements["ReadCuratedObjects"]
    assert read["Action"] == "s3:GetObject"
    assert _rendered(read) == [f"{curated}/processed/*", f"{curated}/validated/*"]
    listing = statements["ListCuratedPrefixes"]
    assert listing["Action"] == "s3:ListBucket"
    assert _rendered(listing) == [curated]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["validated/*", "processed/*"]}}
    s3_actions = {
        action
        for statement in statements.values()
        for action in as_list(statement["Action"])
        if action.startswith("s3:")
    }
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}


def test_decrypts_with_the_data_key_only_through_s3(prod):
    statement = _statements(prod)["DecryptCuratedObjectsThroughS3"]
    data = prod.platform.data
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Resource"] == _import(prod, data, data.keys.data, "Arn")
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }


def test_studio_actions_are_limited_to_this_domain_and_private_spaces(prod):
    statements = _statements(prod)
    domain = logical_id(prod.platform.workspace.domain)
    prefix = "arn:aws:sagemaker:us-east-1:<AWS::AccountId>:"
    own = f"{prefix}user-profile/<{domain}.DomainId>/*"
    spaces, apps = f"{prefix}space/<{domain}.DomainId>/*", f"{prefix}app/<{domain}.DomainId>/*"
    private = {
        "ArnLike": {"sagemaker:OwnerUserProfileArn": own},
        "StringEquals": {"sagemaker:SpaceSharingType": "Private"},
    }

    def condition(sid: str) -> dict[str, Any]:
        raw = statements[sid]["Condition"]
        return {
            "ArnLike": {
                "sagemaker:OwnerUserProfileArn": flatten_reference(
                    raw["ArnLike"]["sagemaker:OwnerUserProfileArn"]
                )
            },
            "StringEquals": raw["StringEquals"],
        }

    assert _rendered(statements["ManageOwnPrivateSpaces"]) == [spaces]
    assert condition("ManageOwnPrivateSpaces") == private
    assert _rendered(statements["RunAppsInOwnPrivateSpaces"]) == [apps]
    assert condition("RunAppsInOwnPrivateSpaces") == private
    assert statements["RunAppsInOwnPrivateSpaces"]["Action"] == [
        "sagemaker:CreateApp",
        "sagemaker:DeleteApp",
    ]
    assert _rendered(statements["TagWhatStudioCreates"]) == sorted([spaces, apps])
    assert statements["TagWhatStudioCreates"]["Condition"] == {
        "Null": {"sagemaker:TaggingAction": "false"}
    }
    assert statements["DescribeThisDomain"]["Resource"] == {"Fn::GetAtt": [domain, "DomainArn"]}
    assert _rendered(statements["DescribeThisDomainsResources"]) == sorted([apps, spaces, own])
    # Only the List actions, which have no resource-level permission, name "*"
    listing = statements["ListStudioResources"]
    assert listing["Resource"] == "*"
    assert all(action.startswith("sagemaker:List") for action in listing["Action"])
    sagemaker_actions = {
        a for s in statements.values() for a in as_list(s["Action"]) if a.startswith("sagemaker:")
    }
    assert not sagemaker_actions & {
        "sagemaker:CreatePresignedDomainUrl",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateProcessingJob",
        "sagemaker:InvokeEndpoint",
    }


def test_every_wildcard_resource_is_acknowledged_with_its_reason(prod):
    policy = prod.platform.workspace.policy
    records = [
        r for r in acknowledgment_register(prod.app) if r.resource_path.startswith(policy.node.path)
    ]
    wildcards = {
        resource
        for statement in _statements(prod).values()
        for resource in _rendered(statement)
        if "*" in resource
    }
    assert {
        r.rule.removeprefix("AwsSolutions-IAM5[Resource::").removesuffix("]") for r in records
    } == wildcards
