"""An EventBridge rule target that sends to an SQS queue, allowed for that one rule only.

CDK's ``targets.SqsQueue`` with a KMS-encrypted queue lets *any* rule of the account send
(``aws:SourceAccount``) and adds an EventBridge statement to the queue key's policy, which here
lives in the data stack and already lets EventBridge use the key. This target adds nothing to
the key and allows ``sqs:SendMessage`` to the queue, and to its dead-letter queue, only from the
rule it is bound to (``aws:SourceArn``).
"""

from __future__ import annotations

import jsii
from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef

EVENTS_PRINCIPAL = "events.amazonaws.com"


def allow_rule_to_send(queue: sqs.IQueue, rule_arn: str, sid: str) -> None:
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
        )
    )


@jsii.implements(events.IRuleTarget)
class RuleQueueTarget:
    def __init__(
        self,
        queue: sqs.IQueue,
        *,
        dead_letter_queue: sqs.IQueue,
        retry_attempts: int,
        max_event_age: Duration,
    ) -> None:
        self._queue = queue
        self._dead_letter_queue = dead_letter_queue
        self._retry_attempts = retry_attempts
        self._max_event_age = max_event_age

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        rule_arn = rule.rule_ref.rule_arn
        allow_rule_to_send(self._queue, rule_arn, "OnlyTheUploadRuleSendsEvents")
        allow_rule_to_send(self._dead_letter_queue, rule_arn, "OnlyTheUploadRuleSendsUndelivered")
        return events.RuleTargetConfig(
            arn=self._queue.queue_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self._dead_letter_queue.queue_arn
            ),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=self._retry_attempts,
                maximum_event_age_in_seconds=int(self._max_event_age.to_seconds()),
            ),
        )
