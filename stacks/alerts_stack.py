"""The on-call alerts topic: every alarm and every failure rule of the platform publishes here.

A stack of its own, early in the dependency order, so that the ingestion, pipeline and serving
stacks can route their EventBridge rules to it and the monitoring stack can alarm into it,
without a cycle between them.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .config import StageConfig

# AWS services that deliver alarms and events to the topic.
PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com")


class AlertsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        platform_key: kms.IKey,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            display_name=f"ml-platform {config.name} alerts",
            master_key=platform_key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyCloudWatchAndEventBridgeOfThisAccountPublish",
                principals=[iam.ServicePrincipal(service) for service in PUBLISHING_SERVICES],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        for email in config.alerts.emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
