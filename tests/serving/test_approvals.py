"""Approval -> action: the rule's pattern and message, replayed offline through moto's EventBridge.

moto delivers EventBridge events to SQS (not SNS) targets, so the rule is replayed with the
synthesized pattern and input transformer and a queue in place of the alerts topic.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stacks.serving.approval_stack import deploy_command
from tests.infra.helpers import resources_of_type

from .conftest import example_arn

REGION = "us-east-1"
AWS = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _rule(served_stage) -> dict[str, Any]:
    template = served_stage.template(served_stage.approvals)
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    properties: dict[str, Any] = rule["Properties"]
    return properties


def _state_change(group: str, status: str, arn: str, version: int = 7) -> dict[str, Any]:
    return {
        "Source": "aws.sagemaker",
        "DetailType": "SageMaker Model Package State Change",
        "Detail": json.dumps(
            {
                "ModelPackageGroupName": group,
                "ModelPackageVersion": version,
                "ModelPackageArn": arn,
                "ModelApprovalStatus": status,
            }
        ),
    }


def _replay(rule: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """Deliver ``events`` through the rule (target: a queue); the messages it would publish."""
    (target,) = rule["Targets"]
    with mock_aws():
        eventbridge = boto3.client("events", **AWS)
        sqs = boto3.client("sqs", **AWS)
        queue = sqs.create_queue(QueueName="alerts-stand-in")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        eventbridge.put_rule(Name="approved", EventPattern=json.dumps(rule["EventPattern"]))
        eventbridge.put_targets(
            Rule="approved",
            Targets=[
                {"Id": "alerts", "Arn": queue_arn, "InputTransformer": target["InputTransformer"]}
            ],
        )
        eventbridge.put_events(Entries=events)
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_rule_matches_approvals_of_this_platforms_group_only(served_stage):
    rule = _rule(served_stage)
    assert rule["State"] == "ENABLED"
    group = f"ml-platform-{served_stage.name}-student-grades"
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]},
    }
    (target,) = rule["Targets"]
    assert "Alerts" in target["Arn"]["Fn::ImportValue"]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_an_approval_sends_the_exact_deploy_command(served, name):
    stage = served[name]
    group = f"ml-platform-{name}-student-grades"
    arn = example_arn(name, version=7)
    other = "arn:aws:sagemaker:us-east-1:123456789012:model-package/someone-elses-group/7"
    messages = _replay(
        _rule(stage),
        [
            _state_change(group, "Rejected", arn),
            _state_change(group, "PendingManualApproval", arn),
            _state_change("someone-elses-group", "Approved", other),
            _state_change(group, "Approved", arn),
        ],
    )
    (message,) = messages
    command = f"make deploy STAGE={name} CDK_ARGS='-c model_package_arn={arn}'"
    assert command == deploy_command(name, arn)
    assert message == (
        f"Model package {group} version 7 was approved. Deploy it to {name} with: {command} - "
        "then confirm the rollout with: python -m tools.smoke_check --endpoint "
        f"ml-platform-{name}-grades --expected-config CONFIG, where CONFIG is the "
        f"EndpointConfigName output of stack MlPlatform-{name}-Serving."
    )


def test_message_template_has_no_stray_placeholders(served_stage):
    transformer = _rule(served_stage)["Targets"][0]["InputTransformer"]
    template = transformer["InputTemplate"]
    placeholders = {part.split(">", 1)[0] for part in template.split("<")[1:] if ">" in part}
    # EventBridge reads every <name> as a placeholder: each must be defined.
    assert placeholders == set(transformer["InputPathsMap"])
    assert transformer["InputPathsMap"] == {
        "detail-ModelPackageGroupName": "$.detail.ModelPackageGroupName",
        "detail-ModelPackageVersion": "$.detail.ModelPackageVersion",
        "detail-ModelPackageArn": "$.detail.ModelPackageArn",
    }
