"""Alarms on EventBridge rules whose events did not reach their target.

The failure notices of the pipelines are EventBridge rules to the alerts topic, not alarms:
when such a delivery fails (a key or topic policy changed), the notice is lost silently unless
the rule's FailedInvocations metric is watched. The drift schedule is a rule too.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events

from .alarm_book import PIPELINE, AlarmBook
from .signals import PipelineSignals

EVENTS_NAMESPACE = "AWS/Events"


def rule_metric(rule: events.IRule, name: str, period: Duration) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=EVENTS_NAMESPACE,
        metric_name=name,
        dimensions_map={"RuleName": rule.rule_name},
        statistic="Sum",
        period=period,
    )


def add_rule_delivery_alarm(
    book: AlarmBook,
    section: str,
    name: str,
    *,
    rule: events.IRule,
    period: Duration,
    what: str,
    check_first: str,
) -> cloudwatch.Alarm:
    return book.add(
        section,
        name,
        metric=rule_metric(rule, "FailedInvocations", period),
        threshold=0,
        what=what,
        check_first=check_first,
        # No event matched, nothing failed.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def add_pipeline_alarms(book: AlarmBook, signals: PipelineSignals, period: Duration) -> None:
    for index, rule in enumerate(signals.failure_rules):
        add_rule_delivery_alarm(
            book,
            PIPELINE,
            "failure-notice-undelivered" + (f"-{index}" if index else ""),
            rule=rule,
            period=period,
            what=(
                f"A failed or stopped execution of {signals.pipeline_name} could not be announced "
                "on the alerts topic: its notice is lost."
            ),
            check_first=(
                f"the pipeline's execution list in SageMaker for {signals.pipeline_name}, then "
                "the alerts topic's policy and KMS key (EventBridge must be allowed to publish)."
            ),
        )
