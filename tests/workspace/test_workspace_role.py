"""The Studio execution roles: curated reads only; each user opens only the spaces it owns."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from stacks.compliance import acknowledgment_register, flatten_reference
from tests.infra.helpers import as_list, logical_id

from .conftest import STAFFED_PROFILES
from .test_workspace_stack import _import, _template

DATA_SIDS = ["DecryptCuratedObjectsThroughS3", "ListCuratedPrefixes", "ReadCuratedObjects"]
STUDIO_SIDS = [
    "DescribeThisDomainAndOwnProfile",
    "DescribeThisDomainsSpacesAndApps",
    "ListStudioResources",
    "ManageOwnPrivateSpaces",
    "RunAppsInOwnPrivateSpaces",
    "TagWhatStudioCreates",
]
PREFIX = "arn:aws:sagemaker:us-east-1:<AWS::AccountId>:"


def _statements(stage, policy: cdk.Resource) -> dict[str, dict[str, Any]]:
    resource = _template(stage)["Resources"][logical_id(policy)]
    return {s["Sid"]: s for s in resource["Properties"]["PolicyDocument"]["Statement"]}


def _default(stage) -> dict[str, dict[str, Any]]:
    workspace = stage.platform.workspace
    policy = _template(stage)["Resources"][logical_id(workspace.policy)]["Properties"]
    assert policy["Roles"] == [{"Ref": logical_id(workspace.execution_role)}]
    return _statements(stage, workspace.policy)


def _rendered(statement: dict[str, Any]) -> list[str]:
    return sorted(flatten_reference(resource) for resource in as_list(statement["Resource"]))


def _roles(stage) -> list[Any]:
    workspace = stage.platform.workspace
    return [workspace.execution_role, *workspace.user_roles.values()]


def test_every_role_is_trusted_by_sagemaker_only_with_no_managed_policy(prod, staffed_prod):
    for stage in (prod, staffed_prod):
        for role in _roles(stage):
            properties = _template(stage)["Resources"][logical_id(role)]["Properties"]
            (statement,) = properties["AssumeRolePolicyDocument"]["Statement"]
            assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
            assert statement["Action"] == "sts:AssumeRole"
            assert statement["Effect"] == "Allow"
            assert "ManagedPolicyArns" not in properties
            assert "Policies" not in properties


def test_the_default_role_only_reads_curated_data(prod):
    # A profile made outside the stack gets it: it can read, but never open a space.
    assert sorted(_default(prod)) == DATA_SIDS


def test_each_user_has_a_role_of_its_own_with_named_actions_only(staffed_prod):
    workspace = staffed_prod.platform.workspace
    assert sorted(workspace.user_roles) == sorted(STAFFED_PROFILES)
    template = _template(staffed_prod)
    role_arns = set()
    for name, profile in workspace.user_profiles.items():
        role = workspace.user_roles[name]
        settings = template["Resources"][logical_id(profile)]["Properties"]["UserSettings"]
        assert settings["ExecutionRole"] == {"Fn::GetAtt": [logical_id(role), "Arn"]}
        role_arns.add(logical_id(role))
        statements = _statements(staffed_prod, workspace.user_policies[name])
        assert sorted(statements) == sorted(DATA_SIDS + STUDIO_SIDS)
        for statement in statements.values():
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in as_list(statement["Action"])), statement
    assert logical_id(workspace.execution_role) not in role_arns
    assert len(role_arns) == len(STAFFED_PROFILES)


def test_reads_only_the_validated_and_processed_prefixes_of_the_curated_bucket(prod):
    statements = _default(prod)
    data = prod.platform.data
    curated = flatten_reference(_import(prod, data, data.buckets.curated, "Arn"))
    read = statements["ReadCuratedObjects"]
    assert read["Action"] == "s3:GetObject"
    assert _rendered(read) == [f"{curated}/processed/*", f"{curated}/validated/*"]
    listing = statements["ListCuratedPrefixes"]
    assert listing["Action"] == "s3:ListBucket"
    assert _rendered(listing) == [curated]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["validated/*", "processed/*"]}}


def test_decrypts_with_the_data_key_only_through_s3(prod):
    statement = _default(prod)["DecryptCuratedObjectsThroughS3"]
    data = prod.platform.data
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Resource"] == _import(prod, data, data.keys.data, "Arn")
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }


def test_a_user_may_open_only_private_spaces_its_own_profile_owns(staffed_prod):
    workspace = staffed_prod.platform.workspace
    domain = logical_id(workspace.domain)
    spaces, apps = f"{PREFIX}space/<{domain}.DomainId>/*", f"{PREFIX}app/<{domain}.DomainId>/*"
    for name in STAFFED_PROFILES:
        statements = _statements(staffed_prod, workspace.user_policies[name])
        own = f"{PREFIX}user-profile/<{domain}.DomainId>/{name}"
        for sid, resource, actions in (
            (
                "ManageOwnPrivateSpaces",
                spaces,
                ["sagemaker:CreateSpace", "sagemaker:DeleteSpace", "sagemaker:UpdateSpace"],
            ),
            ("RunAppsInOwnPrivateSpaces", apps, ["sagemaker:CreateApp", "sagemaker:DeleteApp"]),
        ):
            statement = statements[sid]
            assert statement["Action"] == actions
            assert _rendered(statement) == [resource]
            condition = statement["Condition"]
            owner = condition["ArnEquals"]["sagemaker:OwnerUserProfileArn"]
            assert flatten_reference(owner) == own  # this profile, not any of the domain
            assert condition["StringEquals"] == {"sagemaker:SpaceSharingType": "Private"}
        assert _rendered(statements["TagWhatStudioCreates"]) == sorted([spaces, apps])
        assert statements["TagWhatStudioCreates"]["Condition"] == {
            "Null": {"sagemaker:TaggingAction": "false"}
        }
        described = statements["DescribeThisDomainAndOwnProfile"]
        assert described["Resource"][0] == {"Fn::GetAtt": [domain, "DomainArn"]}
        assert flatten_reference(described["Resource"][1]) == own
        assert _rendered(statements["DescribeThisDomainsSpacesAndApps"]) == sorted([apps, spaces])
        # Only the List actions, which have no resource-level permission, name "*"
        listing = statements["ListStudioResources"]
        assert listing["Resource"] == "*"
        assert all(action.startswith("sagemaker:List") for action in listing["Action"])
        sagemaker_actions = {
            a
            for s in statements.values()
            for a in as_list(s["Action"])
            if a.startswith("sagemaker:")
        }
        assert not sagemaker_actions & {
            "sagemaker:CreatePresignedDomainUrl",
            "sagemaker:CreateTrainingJob",
            "sagemaker:CreateProcessingJob",
            "sagemaker:InvokeEndpoint",
        }


def test_every_wildcard_resource_is_acknowledged_with_its_reason(staffed_prod):
    workspace = staffed_prod.platform.workspace
    register = acknowledgment_register(staffed_prod.app)
    for policy in (workspace.policy, *workspace.user_policies.values()):
        records = [r for r in register if r.resource_path.startswith(policy.node.path + "/")]
        wildcards = {
            resource
            for statement in _statements(staffed_prod, policy).values()
            for resource in _rendered(statement)
            if "*" in resource
        }
        assert {
            r.rule.removeprefix("AwsSolutions-IAM5[Resource::").removesuffix("]") for r in records
        } == wildcards
