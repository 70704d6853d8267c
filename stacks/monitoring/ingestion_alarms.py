"""Alarms of the upload path: is data still flowing, and is it being rejected?"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from ..config.monitoring import IngestionAlarmsConfig
from .alarm_book import INGESTION, AlarmBook
from .signals import IngestionSignals

NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


def validator_metric(
    signals: IngestionSignals, name: str, period: Duration, statistic: str = "Sum"
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=signals.metrics_namespace,
        metric_name=name,
        dimensions_map=dict(signals.metrics_dimensions),
        statistic=statistic,
        period=period,
    )


def quarantine_rate(
    signals: IngestionSignals, period: Duration, min_files: int
) -> cloudwatch.MathExpression:
    """Rejected / checked files per period; 0 below ``min_files`` (one bad file is not a rate).

    The validator publishes a count only when it happened, so a period with rejections and no
    acceptance has no AcceptedFiles datapoint: FILL treats it as 0.
    """
    accepted, rejected = "FILL(accepted, 0)", "FILL(rejected, 0)"
    checked = f"({accepted} + {rejected})"
    return cloudwatch.MathExpression(
        expression=f"IF({checked} >= {min_files}, {rejected} / {checked}, 0)",
        using_metrics={
            "accepted": validator_metric(signals, signals.accepted_files_metric, period),
            "rejected": validator_metric(signals, signals.rejected_files_metric, period),
        },
        label="Quarantined share of checked files",
        period=period,
    )


def add_ingestion_alarms(
    book: AlarmBook, signals: IngestionSignals, settings: IngestionAlarmsConfig
) -> None:
    period = Duration.minutes(settings.period_minutes)
    function = signals.function
    logs_hint = f"the validator's log group (function {function.function_name})"

    book.add(
        INGESTION,
        "validator-errors",
        metric=function.metric_errors(period=period, statistic="Sum"),
        threshold=settings.max_validator_errors,
        what=(
            f"The validator function failed {_more_than(settings.max_validator_errors)} in "
            f"{settings.period_minutes} min: uploads are not being validated."
        ),
        check_first=(
            f"errors in {logs_hint}; failed uploads are retried, then wait in the processing "
            "dead-letter queue."
        ),
        treat_missing_data=NOT_BREACHING,  # no invocation, no error
        critical=True,
        evaluation_periods=settings.evaluation_periods,
    )
    book.add(
        INGESTION,
        "validator-throttles",
        metric=function.metric_throttles(period=period, statistic="Sum"),
        threshold=settings.max_validator_throttles,
        what=(
            f"The validator function was throttled "
            f"{_more_than(settings.max_validator_throttles)} in {settings.period_minutes} min: "
            "uploads arrive faster than its reserved concurrency processes them."
        ),
        check_first=(
            "the upload queue's backlog and the function's reserved concurrency "
            "(ingestion.reserved_concurrency)."
        ),
        treat_missing_data=NOT_BREACHING,
        evaluation_periods=settings.evaluation_periods,
    )
    timeout_ms = signals.timeout.to_milliseconds()
    limit_ms = round(timeout_ms * settings.duration_p99_fraction_of_timeout)
    book.add(
        INGESTION,
        "validator-duration-p99",
        metric=function.metric_duration(period=period, statistic="p99"),
        threshold=limit_ms,
        what=(
            f"p99 duration of the validator is above {limit_ms} ms, "
            f"{settings.duration_p99_fraction_of_timeout:.0%} of its {timeout_ms} ms timeout: "
            "large files are about to time out and be retried."
        ),
        check_first=(
            f"the sizes of recent uploads and REPORT lines in {logs_hint}; raise "
            "ingestion.timeout_seconds or memory_mb."
        ),
        treat_missing_data=NOT_BREACHING,
        evaluation_periods=settings.evaluation_periods,
    )
    for queue in signals.dead_letter_queues:
        name = queue.node.id
        book.add(
            INGESTION,
            f"{_kebab(name)}-depth",
            metric=queue.metric_approximate_number_of_messages_visible(
                period=period, statistic="Maximum"
            ),
            threshold=0,
            what=(
                f"Messages are waiting in the dead-letter queue {name}: some uploads were never "
                "validated."
            ),
            check_first=(
                f"the messages in {name} (which upload) and {logs_hint} for why they failed; "
                "redrive them once fixed."
            ),
            treat_missing_data=NOT_BREACHING,  # an idle, empty queue stops reporting
            critical=True,
            evaluation_periods=settings.evaluation_periods,
        )
    age_seconds = settings.max_oldest_message_age_minutes * 60
    book.add(
        INGESTION,
        "oldest-upload-age",
        metric=signals.queue.metric_approximate_age_of_oldest_message(
            period=period, statistic="Maximum"
        ),
        threshold=age_seconds,
        what=(
            f"An upload event has waited more than {settings.max_oldest_message_age_minutes} "
            "min in the upload queue: validation is stuck or far behind."
        ),
        check_first=(
            "whether the validator runs at all (errors, throttles, the queue's event source "
            "mapping enabled) and the queue's backlog."
        ),
        treat_missing_data=NOT_BREACHING,
        critical=True,
        evaluation_periods=settings.evaluation_periods,
    )
    rate_period = Duration.minutes(settings.quarantine_rate_period_minutes)
    book.add(
        INGESTION,
        "quarantine-rate",
        metric=quarantine_rate(signals, rate_period, settings.min_files_for_quarantine_rate),
        threshold=settings.max_quarantine_rate,
        what=(
            f"More than {settings.max_quarantine_rate:.0%} of the files checked in "
            f"{settings.quarantine_rate_period_minutes} min were quarantined (at least "
            f"{settings.min_files_for_quarantine_rate} files checked)."
        ),
        check_first=(
            "the validation reports beside the files in the quarantine bucket: one uploader "
            "with a changed export format is the usual cause."
        ),
        treat_missing_data=NOT_BREACHING,
    )


def _more_than(count: int) -> str:
    return "at least once" if count == 0 else f"more than {count} times"


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
