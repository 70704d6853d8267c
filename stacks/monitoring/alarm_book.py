"""Every alarm of the monitoring stack, made one way and listed in one place.

Each alarm gets: a name ``<resource prefix>-<section>-<what>``, a description that says what
fired and what to check first, an explicit missing-data policy, and the alerts topic as its
action (alarm and back to OK, so on-call also learns when it is over). The book keeps them
with their section and whether they are critical (part of the composite "platform health"
alarm), so the stack, the dashboard and the tests enumerate the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

INGESTION = "ingestion"
PIPELINE = "pipeline"
SERVING = "serving"
DRIFT = "drift"
SECTIONS = (INGESTION, PIPELINE, SERVING, DRIFT)

GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
LESS = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
# CloudWatch limits an alarm description to 1024 characters.
_MAX_DESCRIPTION = 1024


@dataclass(frozen=True)
class BookedAlarm:
    alarm: cloudwatch.Alarm
    section: str
    critical: bool


class AlarmBook(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, name_prefix: str, topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self._name_prefix = name_prefix
        self._action = actions.SnsAction(topic)
        self.entries: list[BookedAlarm] = []

    def add(
        self,
        section: str,
        name: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        what: str,
        check_first: str,
        treat_missing_data: cloudwatch.TreatMissingData,
        evaluation_periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = GREATER,
        critical: bool = False,
    ) -> cloudwatch.Alarm:
        if section not in SECTIONS:
            raise ValueError(f"unknown alarm section {section!r}")
        description = f"{what} Check first: {check_first}"
        if len(description) > _MAX_DESCRIPTION:
            raise ValueError(f"alarm {name}: description longer than {_MAX_DESCRIPTION} chars")
        alarm = cloudwatch.Alarm(
            self,
            f"{section}-{name}",
            alarm_name=f"{self._name_prefix}-{section}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=treat_missing_data,
            actions_enabled=True,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.entries.append(BookedAlarm(alarm=alarm, section=section, critical=critical))
        return alarm

    def in_section(self, section: str) -> list[cloudwatch.Alarm]:
        return [entry.alarm for entry in self.entries if entry.section == section]

    @property
    def critical(self) -> list[cloudwatch.Alarm]:
        return [entry.alarm for entry in self.entries if entry.critical]
