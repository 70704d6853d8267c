"""The endpoint's two rollback alarms: server errors and model latency.

During a blue/green rollout SageMaker watches them and shifts all traffic back to the old fleet
when either fires (``AutoRollbackConfiguration``); in steady state they tell on-call. Both are
per variant: the new fleet keeps the variant's name, so the same alarms cover it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..config.serving import RollbackAlarmSettings

NAMESPACE = "AWS/SageMaker"
ERRORS_METRIC = "Invocation5XXErrors"
LATENCY_METRIC = "ModelLatency"  # microseconds
LATENCY_STATISTIC = "p99"
MICROSECONDS_PER_MILLISECOND = 1000


class RollbackAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        settings: RollbackAlarmSettings,
        alerts_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}
        period = Duration.seconds(settings.period_seconds)
        self.errors_metric = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=ERRORS_METRIC,
            dimensions_map=dimensions,
            statistic="Sum",
            period=period,
        )
        self.latency_metric = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=LATENCY_METRIC,
            dimensions_map=dimensions,
            statistic=LATENCY_STATISTIC,
            period=period,
        )
        self.errors = _alarm(
            self,
            "ServerErrors",
            name=f"{endpoint_name}-{variant_name}-5xx-errors",
            description=(
                f"{endpoint_name}/{variant_name}: at least {settings.max_5xx_errors} 5xx "
                f"responses per {settings.period_seconds} s. Rolls back a rollout in progress."
            ),
            metric=self.errors_metric,
            threshold=settings.max_5xx_errors,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            settings=settings,
        )
        self.latency = _alarm(
            self,
            "ModelLatency",
            name=f"{endpoint_name}-{variant_name}-model-latency-p99",
            description=(
                f"{endpoint_name}/{variant_name}: p99 model latency above "
                f"{settings.max_model_latency_p99_ms} ms. Rolls back a rollout in progress."
            ),
            metric=self.latency_metric,
            threshold=settings.max_model_latency_p99_ms * MICROSECONDS_PER_MILLISECOND,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            settings=settings,
        )
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(alerts_topic))

    @property
    def alarms(self) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
        return (self.errors, self.latency)


def _alarm(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    description: str,
    metric: cloudwatch.Metric,
    threshold: float,
    comparison: cloudwatch.ComparisonOperator,
    settings: RollbackAlarmSettings,
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=comparison,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        # No traffic is no evidence of a bad model: an idle endpoint stays OK.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
