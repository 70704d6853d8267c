"""Least privilege of the pipeline's roles, read from the synthesized dev template."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from stacks.compliance import acknowledgment_register, flatten_reference
from stacks.constructs.vpc_permissions import SubnetPlacement, job_network_statements
from stacks.pipeline.roles import (
    WILDCARD_REASONS,
    ObjectAccess,
    wildcard_reason,
)

from .conftest import ref

ROLES = ("preprocess_role", "train_role", "evaluate_role", "pipeline_role")
S3_ACTIONS = {"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _render_condition(renderer, stack_name: str, value: Any) -> Any:
    if isinstance(value, dict) and not any(key.startswith(("Fn::", "Ref")) for key in value):
        return {key: _render_condition(renderer, stack_name, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_condition(renderer, stack_name, item) for item in value]
    return renderer.render(stack_name, value)


@pytest.fixture(scope="module")
def statements(pipeline_stack, pipeline_template, renderer) -> dict[str, list[dict[str, Any]]]:
    """Rendered statements of every role of the stack, by role attribute name."""
    name = pipeline_stack.stack_name
    by_role: dict[str, list[dict[str, Any]]] = {}
    for role_attribute in ROLES:
        role_id = pipeline_stack.resolve(
            getattr(pipeline_stack, role_attribute).node.default_child.logical_id
        )
        found = []
        for resource in pipeline_template["Resources"].values():
            if resource["Type"] != "AWS::IAM::ManagedPolicy":
                continue
            if {"Ref": role_id} not in resource["Properties"].get("Roles", []):
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                found.append({
                    "Sid": statement.get("Sid"),
                    "Effect": statement["Effect"],
                    "Action": sorted(_as_list(statement["Action"])),
                    "Resource": [renderer.render(name, r) for r in _as_list(statement["Resource"])],
                    "Condition": _render_condition(renderer, name, statement.get("Condition", {})),
                })  # fmt: skip
        assert found, role_attribute
        by_role[role_attribute] = found
    return by_role


def _grants(statements: list[dict[str, Any]], prefix: str) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = defaultdict(set)
    for statement in statements:
        for action in statement["Action"]:
            if action.startswith(prefix):
                grants[action] |= set(statement["Resource"])
    return dict(grants)


@pytest.fixture(scope="module")
def arns(dev, definition) -> dict[str, str]:
    buckets, keys = dev.platform.data.buckets, dev.platform.data.keys
    (code_uri,) = {
        item["S3Input"]["S3Uri"]
        for item in definition["Steps"][0]["Arguments"]["ProcessingInputs"]
        if item["InputName"] == "code"
    }
    return {
        "curated": ref(buckets.curated, "Arn"),
        "artifacts": ref(buckets.artifacts, "Arn"),
        "code": "arn:aws:s3:::" + code_uri.removeprefix("s3://"),
        "data_key": ref(keys.data, "Arn"),
        "platform_key": ref(keys.platform, "Arn"),
    }


def test_no_statement_anywhere_in_the_stack_has_a_wildcard_action(pipeline_template):
    actions = []
    for resource in pipeline_template["Resources"].values():
        properties = resource.get("Properties", {})
        documents = [properties.get("PolicyDocument"), properties.get("AssumeRolePolicyDocument")]
        documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
        for document in filter(None, documents):
            for statement in document["Statement"]:
                actions += _as_list(statement["Action"])
    assert actions and not [action for action in actions if "*" in action]


def test_roles_have_only_the_stacks_own_customer_managed_policies(pipeline_template):
    types = {resource["Type"] for resource in pipeline_template["Resources"].values()}
    assert "AWS::IAM::Policy" not in types  # no inline policies
    for resource in pipeline_template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            assert "Policies" not in resource["Properties"]
            assert "ManagedPolicyArns" not in resource["Properties"]  # no AWS managed policies
            assert resource["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
                {"Action": "sts:AssumeRole", "Effect": "Allow",
                 "Principal": {"Service": "sagemaker.amazonaws.com"}}
            ]  # fmt: skip


def test_star_resources_only_for_apis_without_resource_level_permissions(statements):
    for role, role_statements in statements.items():
        for statement in role_statements:
            assert statement["Effect"] == "Allow"
            if "*" not in statement["Resource"]:
                continue
            assert statement["Resource"] == ["*"], (role, statement)
            allowed = (["ecr:GetAuthorizationToken"], ["cloudwatch:PutMetricData"])
            assert statement["Action"] in allowed, (role, statement)
            if statement["Action"] == ["cloudwatch:PutMetricData"]:
                namespace = statement["Condition"]["StringEquals"]["cloudwatch:namespace"]
                assert namespace.startswith("/aws/sagemaker/")


def test_each_role_reads_and_writes_exactly_its_own_s3_prefixes(statements, arns):
    curated, artifacts, code = arns["curated"], arns["artifacts"], arns["code"]
    expected = {
        "preprocess_role": (
            {f"{curated}/validated/*", code},
            {f"{curated}/processed/*/{split}/*"
             for split in ("train", "validation", "test", "baseline", "report")},
        ),
        "train_role": (
            {f"{curated}/processed/*/train/*", f"{curated}/processed/*/validation/*", code},
            {f"{artifacts}/models/*"},
        ),
        "evaluate_role": (
            {f"{artifacts}/models/*/output/model.tar.gz", f"{curated}/processed/*/test/*", code},
            {f"{artifacts}/evaluation/*"},
        ),
        "pipeline_role": ({f"{artifacts}/evaluation/*/evaluation.json"}, set()),
    }  # fmt: skip
    for role, (reads, writes) in expected.items():
        grants = _grants(statements[role], "s3:")
        assert set(grants) <= S3_ACTIONS, role
        assert grants.get("s3:GetObject", set()) == reads, role
        assert grants.get("s3:PutObject", set()) == writes, role
        assert grants.get("s3:AbortMultipartUpload", set()) == writes, role


def test_listing_is_limited_to_the_prefixes_a_role_reads(statements, arns):
    listed = {
        role: {
            (statement["Resource"][0], tuple(statement["Condition"]["StringLike"]["s3:prefix"]))
            for statement in role_statements if statement["Action"] == ["s3:ListBucket"]
        }
        for role, role_statements in statements.items()
    }  # fmt: skip
    code_bucket, code_key = arns["code"].rsplit("/", 1)
    assert listed["preprocess_role"] == {
        (arns["curated"], ("validated/*", "validated")), (code_bucket, (code_key,))
    }  # fmt: skip
    assert (arns["curated"], ("processed/*/test/*", "processed/*/test")) in listed["evaluate_role"]
    assert listed["pipeline_role"] == set()
    for role_statements in statements.values():
        for statement in role_statements:
            if "s3:ListBucket" in statement["Action"]:
                assert statement["Action"] == ["s3:ListBucket"] and statement["Condition"]


def test_each_role_uses_only_the_keys_of_the_data_it_touches(statements, arns):
    data, platform = arns["data_key"], arns["platform_key"]
    expected = {
        "preprocess_role": {"kms:Decrypt": {data}, "kms:Encrypt": {data},
                            "kms:GenerateDataKey": {data}},
        "train_role": {"kms:Decrypt": {data, platform}, "kms:Encrypt": {platform},
                       "kms:GenerateDataKey": {platform}},
        "evaluate_role": {"kms:Decrypt": {data, platform}, "kms:Encrypt": {platform},
                          "kms:GenerateDataKey": {platform}},
        "pipeline_role": {"kms:Decrypt": {platform}},
    }  # fmt: skip
    for role, uses in expected.items():
        grants = _grants(statements[role], "kms:")
        volume = {action: grants.pop(action) for action in ("kms:CreateGrant", "kms:DescribeKey")}
        assert grants == uses, role
        assert volume == {"kms:CreateGrant": {data}, "kms:DescribeKey": {data}}, role
        (grant_statement,) = [s for s in statements[role] if "kms:CreateGrant" in s["Action"]]
        assert grant_statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_job_roles_cannot_start_jobs_pass_roles_or_register_models(statements):
    for role in ("preprocess_role", "train_role", "evaluate_role"):
        actions = {action for s in statements[role] for action in s["Action"]}
        assert not {a for a in actions if a.startswith(("sagemaker:", "iam:", "sts:"))}, role


def test_jobs_write_only_their_own_log_streams_and_metric_namespace(statements):
    kinds = {"preprocess_role": "ProcessingJobs", "train_role": "TrainingJobs",
             "evaluate_role": "ProcessingJobs"}  # fmt: skip
    for role, kind in kinds.items():
        grants = _grants(statements[role], "logs:")
        group = f"arn:aws:logs:us-east-1:${{AWS::AccountId}}:log-group:/aws/sagemaker/{kind}"
        assert grants["logs:PutLogEvents"] == {f"{group}:log-stream:pipelines-*"}
        assert grants["logs:CreateLogStream"] == {f"{group}:log-stream:pipelines-*"}
        assert grants["logs:CreateLogGroup"] == {f"{group}:*"}
        (metrics,) = [s for s in statements[role] if s["Action"] == ["cloudwatch:PutMetricData"]]
        assert metrics["Condition"] == {
            "StringEquals": {"cloudwatch:namespace": f"/aws/sagemaker/{kind}"}
        }


def test_jobs_pull_only_the_scikit_learn_image(statements):
    for role in ("preprocess_role", "train_role", "evaluate_role"):
        grants = _grants(statements[role], "ecr:")
        pulls = {grants[a].pop() for a in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")}
        (repository,) = pulls
        assert repository.startswith("arn:aws:ecr:us-east-1:")
        assert repository.endswith(":repository/sagemaker-scikit-learn")


def test_pipeline_role_has_only_the_sagemaker_actions_it_needs(statements, pipeline_stack):
    grants = _grants(statements["pipeline_role"], "sagemaker:")
    arn = "arn:aws:sagemaker:us-east-1:${AWS::AccountId}:"
    processing, training = f"{arn}processing-job/pipelines-*", f"{arn}training-job/pipelines-*"
    group = pipeline_stack.model_package_group_name
    packages = {f"{arn}model-package-group/{group}", f"{arn}model-package/{group}/*"}
    assert grants == {
        "sagemaker:CreateProcessingJob": {processing},
        "sagemaker:DescribeProcessingJob": {processing, training},
        "sagemaker:StopProcessingJob": {processing, training},
        "sagemaker:CreateTrainingJob": {training},
        "sagemaker:DescribeTrainingJob": {processing, training},
        "sagemaker:StopTrainingJob": {processing, training},
        "sagemaker:AddTags": {processing, training} | packages,
        "sagemaker:CreateModelPackage": packages,
        "sagemaker:DescribeModelPackage": packages,
        "sagemaker:DescribeModelPackageGroup": packages,
    }


def test_pipeline_role_starts_only_isolated_encrypted_jobs_with_the_platform_keys(statements, arns):
    creates = {
        s["Action"][0]: s["Condition"] for s in statements["pipeline_role"]
        if s["Action"][0].startswith("sagemaker:Create") and s["Action"][0].endswith("Job")
    }  # fmt: skip
    isolated = {"sagemaker:NetworkIsolation": "true",
                "sagemaker:InterContainerTrafficEncryption": "true"}  # fmt: skip
    assert creates == {
        "sagemaker:CreateProcessingJob": {
            "Bool": isolated,
            "ArnEquals": {"sagemaker:VolumeKmsKey": arns["data_key"],
                          "sagemaker:OutputKmsKey": [arns["data_key"], arns["platform_key"]]},
        },
        "sagemaker:CreateTrainingJob": {
            "Bool": isolated,
            "ArnEquals": {"sagemaker:VolumeKmsKey": arns["data_key"],
                          "sagemaker:OutputKmsKey": [arns["platform_key"]]},
        },
    }  # fmt: skip


def test_pipeline_role_passes_only_the_three_job_roles_and_only_to_sagemaker(
    statements, pipeline_stack
):
    (passing,) = [s for s in statements["pipeline_role"] if s["Action"] == ["iam:PassRole"]]
    assert set(passing["Resource"]) == {
        ref(getattr(pipeline_stack, role), "Arn")
        for role in ("preprocess_role", "train_role", "evaluate_role")
    }
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_every_wildcard_finding_is_acknowledged_one_by_one_with_its_reason(dev, pipeline_stack):
    records = [
        record for record in acknowledgment_register(dev.app)
        if record.resource_path.startswith(f"{pipeline_stack.stack_name}/")
        and record.rule.startswith("AwsSolutions-IAM5")
    ]  # fmt: skip
    assert records
    for record in records:
        assert record.rule.startswith("AwsSolutions-IAM5[Resource::"), record  # never blanket
        undocumented = record.reason
        for reason in WILDCARD_REASONS.values():
            undocumented = undocumented.replace(reason, "")
        assert undocumented.replace(";", "").strip() == "", record


def test_a_wildcard_without_a_documented_reason_is_refused():
    statement = iam.PolicyStatement(sid="Unexplained", actions=["s3:GetObject"],
                                    resources=["arn:aws:s3:::bucket/*"])  # fmt: skip
    with pytest.raises(ValueError, match="without a documented reason"):
        wildcard_reason(statement)
    exact = iam.PolicyStatement(sid="Exact", actions=["s3:GetObject"],
                                resources=["arn:aws:s3:::bucket/key"])  # fmt: skip
    assert wildcard_reason(exact) is None


def test_findings_are_named_as_cdk_nag_names_them():
    joined = {"Fn::Join": ["", [{"Fn::ImportValue": "Data:ExportsBucketArn"}, "/validated/*"]]}
    assert flatten_reference(joined) == "Data:ExportsBucketArn/validated/*"
    account = {"Fn::Join": ["", ["arn:aws:logs:eu-west-1:", {"Ref": "AWS::AccountId"}, ":*"]]}
    assert flatten_reference(account) == "arn:aws:logs:eu-west-1:<AWS::AccountId>:*"
    assert flatten_reference({"Fn::GetAtt": ["Role1", "Arn"]}) == "<Role1.Arn>"
    assert flatten_reference({"Fn::Sub": "assets-${AWS::AccountId}"}) == "assets-<AWS::AccountId>"


def test_read_prefixes_are_listable_with_and_without_their_trailing_slash():
    bucket = iam.AnyPrincipal()  # any object will do: only key_patterns are read
    access = ObjectAccess(bucket, ("processed/*/test/*", "key.gz"))  # type: ignore[arg-type]
    assert access.list_prefixes() == ["processed/*/test/*", "processed/*/test", "key.gz"]


def test_jobs_in_a_vpc_may_attach_interfaces_only_in_the_given_subnets():
    app = cdk.App(context={"@aws-cdk/core:enablePartitionLiterals": True})
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    network = SubnetPlacement(
        subnets=[ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0abc")],
        security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0def")],
    )
    attach, describe = [
        stack.resolve(s.to_statement_json()) for s in job_network_statements(stack, network)
    ]
    prefix = "arn:aws:ec2:eu-west-1:111111111111:"
    assert attach["Resource"] == [f"{prefix}network-interface/*", f"{prefix}subnet/subnet-0abc",
                                  f"{prefix}security-group/sg-0def"]  # fmt: skip
    assert not any(action.startswith("ec2:Describe") for action in attach["Action"])
    assert describe["Resource"] == "*"
    assert all(action.startswith("ec2:Describe") for action in describe["Action"])
    assert wildcard_reason(job_network_statements(stack, network)[1]) is not None
