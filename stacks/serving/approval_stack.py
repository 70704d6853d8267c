"""Approval -> action: when a reviewer approves a model version, on-call gets the deploy command.

Present in every stage, with or without a served model: approving the first version is what
makes the serving stack possible. The message names the exact package ARN, so the deployment
ships what was approved and nothing else.
"""

from __future__ import annotations

from typing import cast

import jsii
from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..compliance import acknowledge
from ..config import StageConfig
from ..constructs.sagemaker_events import MODEL_PACKAGE_STATE_CHANGE
from .selection import MODEL_PACKAGE_ARN_CONTEXT_KEY
from .serving_stack import endpoint_name_for

APPROVED = "Approved"


def deploy_command(stage: str, model_package_arn: str) -> str:
    """The command that deploys ``model_package_arn`` to ``stage`` (see the README)."""
    return (
        f"make deploy STAGE={stage} "
        f"CDK_ARGS='-c {MODEL_PACKAGE_ARN_CONTEXT_KEY}={model_package_arn}'"
    )


def approval_message(config: StageConfig, *, group: str, version: str, arn: str) -> str:
    """The notice; ``group``, ``version`` and ``arn`` may be EventBridge input placeholders.

    No other angle brackets: EventBridge reads ``<name>`` in an input template as a placeholder.
    """
    stage = config.name
    return (
        f"Model package {group} version {version} was approved. "
        f"Deploy it to {stage} with: {deploy_command(stage, arn)} - then confirm the rollout "
        f"with: python -m tools.smoke_check --endpoint {endpoint_name_for(config)} "
        f"--expected-config CONFIG, where CONFIG is the EndpointConfigName output of stack "
        f"MlPlatform-{stage}-Serving."
    )


@jsii.implements(events.IRuleTarget)
class _TopicWithMessage:
    """Publish ``message`` to the alerts topic as it is.

    ``aws_events_targets.SnsTopic`` would add a statement to the topic's policy, i.e. change the
    alerts stack from this one; the topic's policy already lets EventBridge of this account
    publish, and the platform key already lets EventBridge encrypt for it.
    """

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, _rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


class ApprovalNotificationStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        model_package_group_name: str,
        alerts_topic: sns.ITopic,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.model_package_group_name = model_package_group_name
        message = events.RuleTargetInput.from_text(
            approval_message(
                config,
                group=events.EventField.from_path("$.detail.ModelPackageGroupName"),
                version=events.EventField.from_path("$.detail.ModelPackageVersion"),
                arn=events.EventField.from_path("$.detail.ModelPackageArn"),
            )
        )
        self.rule = events.Rule(
            self,
            "ModelVersionApproved",
            description=f"{model_package_group_name}: a model version was approved; tell "
            "on-call how to deploy it",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[MODEL_PACKAGE_STATE_CHANGE],
                detail={
                    "ModelPackageGroupName": [model_package_group_name],
                    "ModelApprovalStatus": [APPROVED],
                },
            ),
            targets=[cast(events.IRuleTarget, _TopicWithMessage(alerts_topic, message))],
        )
        acknowledge(
            self.rule,
            "Serverless-EventBusDLQ",
            "The rule's only target is the KMS-encrypted alerts SNS topic, whose policy lets "
            "EventBridge of this account publish; EventBridge retries a failed delivery for 24 "
            "hours (185 attempts) and counts undeliverable events in the rule's "
            "FailedInvocations metric. A queue nobody reads would not tell on-call sooner.",
        )
