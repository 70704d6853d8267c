"""Alarms of the endpoint: errors, latency, instance pressure and, optionally, silence.

Invocation metrics live in ``AWS/SageMaker``; instance metrics (provisioned endpoints only) in
``/aws/sagemaker/Endpoints``, both per EndpointName and VariantName. The serving stack's own
rollback alarms (5xx count, latency p99, minute by minute) are referenced, not repeated: the
alarms here are rates and sustained levels over the monitoring period.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from ..config.monitoring import ServingAlarmsConfig
from .alarm_book import LESS, SERVING, AlarmBook
from .instance_types import vcpus_of
from .signals import ServingSignals

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
MICROSECONDS_PER_MILLISECOND = 1000
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


def endpoint_metric(
    signals: ServingSignals,
    name: str,
    period: Duration,
    statistic: str = "Sum",
    namespace: str = INVOCATION_NAMESPACE,
    label: str | None = None,
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map={"EndpointName": signals.endpoint_name, "VariantName": signals.variant_name},
        statistic=statistic,
        period=period,
        label=label,
    )


def error_rate(signals: ServingSignals, errors: str, period: Duration) -> cloudwatch.MathExpression:
    """Errors / invocations per period (0 without traffic)."""
    return cloudwatch.MathExpression(
        expression="IF(invocations > 0, FILL(errors, 0) / invocations, 0)",
        using_metrics={
            "errors": endpoint_metric(signals, errors, period),
            "invocations": endpoint_metric(signals, "Invocations", period),
        },
        label=f"{errors} / Invocations",
        period=period,
    )


def add_serving_alarms(
    book: AlarmBook, signals: ServingSignals, settings: ServingAlarmsConfig
) -> None:
    period = Duration.minutes(settings.period_minutes)
    endpoint = f"{signals.endpoint_name}/{signals.variant_name}"
    logs = f"the endpoint's log group /aws/sagemaker/Endpoints/{signals.endpoint_name}"
    window = f"{settings.evaluation_periods} x {settings.period_minutes} min"

    book.add(
        SERVING,
        "5xx-rate",
        metric=error_rate(signals, "Invocation5XXErrors", period),
        threshold=settings.max_5xx_rate,
        what=(
            f"{endpoint}: more than {settings.max_5xx_rate:.1%} of requests failed with a server "
            f"error for {window}."
        ),
        check_first=(
            f"tracebacks in {logs}, then whether a rollout is in progress (the serving stack's "
            "rollback alarms) or the instances are saturated (CPU, memory)."
        ),
        treat_missing_data=NOT_BREACHING,  # no traffic, no errors
        critical=True,
        evaluation_periods=settings.evaluation_periods,
    )
    book.add(
        SERVING,
        "4xx-rate",
        metric=error_rate(signals, "Invocation4XXErrors", period),
        threshold=settings.max_4xx_rate,
        what=(
            f"{endpoint}: more than {settings.max_4xx_rate:.1%} of requests were refused as "
            f"invalid for {window}: a client sends records the contract rejects."
        ),
        check_first=(
            f"the RequestError messages in {logs} (they name the record and the field), then "
            "which client changed."
        ),
        treat_missing_data=NOT_BREACHING,
        evaluation_periods=settings.evaluation_periods,
    )
    book.add(
        SERVING,
        "model-latency-p99",
        metric=endpoint_metric(signals, "ModelLatency", period, statistic="p99"),
        threshold=settings.max_model_latency_p99_ms * MICROSECONDS_PER_MILLISECOND,
        what=(
            f"{endpoint}: p99 model latency above {settings.max_model_latency_p99_ms} ms for "
            f"{window} (sustained; the rollback alarm watches the same metric per minute)."
        ),
        check_first=(
            "request sizes (records per request), CPU utilization and the instance count "
            "against the autoscaling maximum on the dashboard."
        ),
        treat_missing_data=NOT_BREACHING,
        critical=True,
        evaluation_periods=settings.evaluation_periods,
    )
    if signals.provisioned:
        _add_instance_alarms(book, signals, settings, period, window)
    if settings.no_invocations_minutes is not None:
        silence = Duration.minutes(settings.no_invocations_minutes)
        book.add(
            SERVING,
            "no-invocations",
            metric=endpoint_metric(signals, "Invocations", silence),
            threshold=1,
            comparison=LESS,
            what=(
                f"{endpoint} received no request in {settings.no_invocations_minutes} min: "
                "clients may be failing before they reach it."
            ),
            check_first=(
                "the clients' own errors and credentials, then the endpoint's status in the "
                "SageMaker console."
            ),
            # SageMaker publishes no Invocations datapoint for a period without requests.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )


def _add_instance_alarms(
    book: AlarmBook,
    signals: ServingSignals,
    settings: ServingAlarmsConfig,
    period: Duration,
    window: str,
) -> None:
    if signals.instance_type is None:
        raise ValueError(f"{signals.endpoint_name}: a provisioned endpoint needs its instance type")
    vcpus = vcpus_of(signals.instance_type)
    endpoint = f"{signals.endpoint_name}/{signals.variant_name}"
    scaling_hint = "the instance count against the autoscaling maximum on the dashboard"
    # SageMaker sums CPU over the instance's cores (0..100 x vCPUs).
    cpu_threshold = settings.max_cpu_utilization_percent * vcpus
    for name, metric_name, threshold, percent, check_first in (
        (
            "cpu-utilization",
            "CPUUtilization",
            cpu_threshold,
            settings.max_cpu_utilization_percent,
            f"{scaling_hint}; requests with many records each.",
        ),
        (
            "memory-utilization",
            "MemoryUtilization",
            settings.max_memory_utilization_percent,
            settings.max_memory_utilization_percent,
            f"{scaling_hint}; memory growing without traffic growing points at a leak.",
        ),
        (
            "disk-utilization",
            "DiskUtilization",
            settings.max_disk_utilization_percent,
            settings.max_disk_utilization_percent,
            "the size of the model artifact and what the container writes to disk (logs).",
        ),
    ):
        book.add(
            SERVING,
            name,
            metric=endpoint_metric(
                signals, metric_name, period, statistic="Average", namespace=INSTANCE_NAMESPACE
            ),
            threshold=threshold,
            what=(
                f"{endpoint}: average {metric_name} above {percent:g}% of the instance "
                f"({signals.instance_type}) for {window}."
            ),
            check_first=check_first,
            treat_missing_data=NOT_BREACHING,
            evaluation_periods=settings.evaluation_periods,
        )
