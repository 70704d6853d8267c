"""The pipeline stack's resources besides the definition: registry, pipeline, event rules."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from .conftest import ref

PIPELINE_TYPE = "AWS::SageMaker::Pipeline"


def _resources(template, resource_type):
    return {
        name: resource for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }  # fmt: skip


@pytest.fixture(scope="module")
def rules(pipeline_template, pipeline_stack):
    found = _resources(pipeline_template, "AWS::Events::Rule")
    by_construct = {}
    for attribute in ("execution_failed_rule", "model_package_rule"):
        logical_id = pipeline_stack.resolve(
            getattr(pipeline_stack, attribute).node.default_child.logical_id
        )
        by_construct[attribute] = found.pop(logical_id)["Properties"]
    assert found == {}, "no other rules"
    return by_construct


def test_stack_holds_one_pipeline_one_registry_and_four_roles(pipeline_template):
    counts = {}
    for resource in pipeline_template["Resources"].values():
        counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
    assert counts == {
        "AWS::SageMaker::Pipeline": 1,
        "AWS::SageMaker::ModelPackageGroup": 1,
        "AWS::IAM::Role": 4,
        "AWS::IAM::ManagedPolicy": 4,
        "AWS::Events::Rule": 2,
    }


def test_pipeline_runs_as_its_own_role_after_its_registry_and_permissions_exist(
    pipeline_template, pipeline_stack
):
    ((_, pipeline),) = _resources(pipeline_template, PIPELINE_TYPE).items()
    properties = pipeline["Properties"]
    assert properties["PipelineName"] == pipeline_stack.pipeline_name == "ml-platform-dev-training"
    role_id = pipeline_stack.resolve(pipeline_stack.pipeline_role.node.default_child.logical_id)
    assert properties["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    group_id = pipeline_stack.resolve(pipeline_stack.model_package_group.logical_id)
    policy_id = pipeline_stack.resolve(
        pipeline_stack.pipeline_role.node.find_child("Policy").node.default_child.logical_id
    )
    assert set(pipeline["DependsOn"]) == {group_id, policy_id}


def test_registry_is_named_for_the_stage_and_retained(pipeline_template, pipeline_stack):
    ((_, group),) = _resources(pipeline_template, "AWS::SageMaker::ModelPackageGroup").items()
    assert group["Properties"]["ModelPackageGroupName"] == "ml-platform-dev-student-grades"
    assert pipeline_stack.model_package_group_name == "ml-platform-dev-student-grades"
    assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Retain"


def test_failed_or_stopped_executions_of_this_pipeline_alert_on_call(
    rules, renderer, pipeline_stack
):
    pattern = rules["execution_failed_rule"]["EventPattern"]
    (pipeline_arn,) = pattern["detail"]["pipelineArn"]
    assert renderer.render(pipeline_stack.stack_name, pipeline_arn) == (
        "arn:aws:sagemaker:us-east-1:${AWS::AccountId}:pipeline/ml-platform-dev-training"
    )
    assert pattern == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {"pipelineArn": [pipeline_arn],
                   "currentPipelineExecutionStatus": ["Failed", "Stopped"]},
    }  # fmt: skip


def test_model_package_changes_in_this_registry_are_announced(rules):
    assert rules["model_package_rule"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["ml-platform-dev-student-grades"]},
    }


def test_both_rules_deliver_to_the_alerts_topic_without_changing_its_policy(
    rules, renderer, pipeline_stack, dev, templates
):
    topic = ref(dev.platform.alerts.topic)
    for properties in rules.values():
        (target,) = properties["Targets"]
        assert renderer.render(pipeline_stack.stack_name, target["Arn"]) == topic
        assert "RoleArn" not in target  # the topic's own policy lets EventBridge publish
    alerts = templates[dev.platform.alerts.stack_name]
    for policy in _resources(alerts, "AWS::SNS::TopicPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert not any("Pipeline" in str(statement) for statement in statements)


def test_the_validator_can_be_allowed_to_start_this_pipeline_and_nothing_else(pipeline_stack):
    stack = cdk.Stack(cdk.App(), "Probe")
    validator = iam.Role(
        stack, "Validator", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
    )
    pipeline_stack.grant_start_execution(validator)
    (statement,) = validator.node.find_child("DefaultPolicy").document.to_json()["Statement"]
    assert statement["Action"] == "sagemaker:StartPipelineExecution"
    assert statement["Resource"] == pipeline_stack.pipeline_arn
