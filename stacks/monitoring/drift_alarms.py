"""Alarms on the drift figures the scheduled check publishes (thresholds from the config)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from .alarm_book import DRIFT, AlarmBook
from .drift_check import DriftCheck
from .rule_alarms import add_rule_delivery_alarm

# No figure means no run or too few records: the failure rule reports runs that fail.
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


def add_drift_alarms(book: AlarmBook, check: DriftCheck, delivery_period: Duration) -> None:
    settings = check.settings
    names = check.metrics
    period = Duration.hours(settings.window_hours)
    report = (
        f"the report line of the latest {check.pipeline_name} run in its processing job's log "
        "(/aws/sagemaker/ProcessingJobs)"
    )
    window = f"the last {settings.window_hours} h of captured traffic"
    book.add(
        DRIFT,
        "feature-psi",
        metric=check.metric(names.max_feature_psi, period),
        threshold=settings.max_feature_psi,
        what=(
            f"A feature's distribution in {window} of {check.endpoint_name} moved away from "
            f"the training data: largest PSI above {settings.max_feature_psi}."
        ),
        check_first=(
            f"{report}: most_shifted_feature and feature_psi name the feature; then whether a "
            "new school or export changed what is sent. Retrain if the shift is real."
        ),
        treat_missing_data=NOT_BREACHING,
    )
    book.add(
        DRIFT,
        "prediction-psi",
        metric=check.metric(names.prediction_psi, period),
        threshold=settings.max_prediction_psi,
        what=(
            f"The predicted grades of {check.endpoint_name} in {window} are distributed unlike "
            f"the training grades: PSI above {settings.max_prediction_psi}."
        ),
        check_first=(
            f"the feature PSIs in {report} (a shifted G1/G2 moves the predictions), then the "
            "model package being served."
        ),
        treat_missing_data=NOT_BREACHING,
    )
    book.add(
        DRIFT,
        "out-of-contract-share",
        metric=check.metric(names.out_of_contract_share, period),
        threshold=settings.max_out_of_contract_share,
        what=(
            f"More than {settings.max_out_of_contract_share:.1%} of the records sent to "
            f"{check.endpoint_name} in {window} had a field outside the data contract."
        ),
        check_first=(
            f"out_of_contract_by_feature in {report}, and the endpoint's 4xx rate: which "
            "client sends these values."
        ),
        treat_missing_data=NOT_BREACHING,
    )
    for rule, name, what in (
        (
            check.schedule,
            "schedule-undelivered",
            f"EventBridge could not start the {check.pipeline_name} pipeline on schedule.",
        ),
        (
            check.failure_rule,
            "failure-notice-undelivered",
            f"A failed run of {check.pipeline_name} could not be announced on the alerts topic.",
        ),
    ):
        add_rule_delivery_alarm(
            book,
            DRIFT,
            name,
            rule=rule,
            period=delivery_period,
            what=what,
            check_first=(
                "the rule's target role and the pipeline's existence (schedule), or the alerts "
                "topic's policy and KMS key (notice)."
            ),
        )
