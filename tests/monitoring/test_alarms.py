"""The alarms of each stage, enumerated from the templates: metric, statistic, threshold, period,
missing-data handling and action, against the stage's config."""

from __future__ import annotations

import pytest

from stacks.monitoring.alarm_book import AlarmBook
from stacks.monitoring.instance_types import vcpus_of
from tests.infra.helpers import logical_id

from .templates import alarm_views, flat, resources, stage_config

INGESTION_ALARMS = {
    "ingestion-validator-errors",
    "ingestion-validator-throttles",
    "ingestion-validator-duration-p99",
    "ingestion-processing-dead-letter-queue-depth",
    "ingestion-delivery-dead-letter-queue-depth",
    "ingestion-oldest-upload-age",
    "ingestion-quarantine-rate",
}
PIPELINE_ALARMS = {"pipeline-failure-notice-undelivered"}
SERVING_ALARMS = {"serving-5xx-rate", "serving-4xx-rate", "serving-model-latency-p99"}
INSTANCE_ALARMS = {
    "serving-cpu-utilization",
    "serving-memory-utilization",
    "serving-disk-utilization",
}
DRIFT_ALARMS = {
    "drift-feature-psi",
    "drift-prediction-psi",
    "drift-out-of-contract-share",
    "drift-schedule-undelivered",
    "drift-failure-notice-undelivered",
}
CRITICAL = {
    "ingestion-validator-errors",
    "ingestion-processing-dead-letter-queue-depth",
    "ingestion-delivery-dead-letter-queue-depth",
    "ingestion-oldest-upload-age",
    "serving-5xx-rate",
    "serving-model-latency-p99",
}


def _monitoring(synth):
    config = stage_config(synth.name)
    template = synth.template(synth.platform.monitoring)
    return config, template, alarm_views(template, config.resource_prefix)


def _expected_names(config, *, serving: bool) -> set[str]:
    names = INGESTION_ALARMS | PIPELINE_ALARMS
    if serving:
        names |= SERVING_ALARMS
        if config.serving.mode == "provisioned":
            names |= INSTANCE_ALARMS
            names |= DRIFT_ALARMS
        if config.monitoring.serving.no_invocations_minutes is not None:
            names.add("serving-no-invocations")
    return names


def test_a_stage_without_serving_still_has_its_ingestion_and_pipeline_alarms(stage):
    config, _, alarms = _monitoring(stage)
    assert stage.platform.serving is None  # cdk.json names no model package
    assert set(alarms) == _expected_names(config, serving=False)


@pytest.mark.parametrize("fixture", ["served_prod", "served_dev"])
def test_a_served_stage_adds_serving_alarms_and_drift_where_data_is_captured(fixture, request):
    synth = request.getfixturevalue(fixture)
    config, _, alarms = _monitoring(synth)
    assert set(alarms) == _expected_names(config, serving=True)
    assert (synth.platform.monitoring.drift is not None) == (config.serving.mode == "provisioned")


@pytest.mark.parametrize("fixture", ["dev", "prod", "served_prod", "served_dev"])
def test_every_alarm_notifies_the_alerts_topic_and_says_what_to_check(fixture, request):
    synth = request.getfixturevalue(fixture)
    _, template, alarms = _monitoring(synth)
    topic = logical_id(synth.platform.alerts.topic)
    assert alarms
    for view in alarms.values():
        assert len(view.actions) == 1 and topic in view.actions[0], view.name
        assert view.ok_actions == view.actions, view.name
        assert view.properties.get("ActionsEnabled") is True, view.name
        assert view.treat_missing_data in ("notBreaching", "breaching"), view.name
        assert "Check first: " in flat(view.description), view.name
    for composite in resources(template, "AWS::CloudWatch::CompositeAlarm"):
        assert [topic in flat(action) for action in composite["AlarmActions"]] == [True]


def test_ingestion_alarms_watch_the_right_metrics_with_the_configured_thresholds(prod):
    config, _, alarms = _monitoring(prod)
    settings = config.monitoring.ingestion
    period = settings.period_minutes * 60
    timeout_ms = config.ingestion.timeout_seconds * 1000
    expected = {
        # name: (namespace, metric, statistic, threshold, comparison)
        "ingestion-validator-errors": (
            "AWS/Lambda", "Errors", "Sum", settings.max_validator_errors, "GreaterThanThreshold"
        ),
        "ingestion-validator-throttles": (
            "AWS/Lambda", "Throttles", "Sum", settings.max_validator_throttles,
            "GreaterThanThreshold",
        ),
        "ingestion-validator-duration-p99": (
            "AWS/Lambda", "Duration", "p99",
            round(timeout_ms * settings.duration_p99_fraction_of_timeout), "GreaterThanThreshold",
        ),
        "ingestion-processing-dead-letter-queue-depth": (
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 0, "GreaterThanThreshold"
        ),
        "ingestion-delivery-dead-letter-queue-depth": (
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 0, "GreaterThanThreshold"
        ),
        "ingestion-oldest-upload-age": (
            "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum",
            settings.max_oldest_message_age_minutes * 60, "GreaterThanThreshold",
        ),
    }  # fmt: skip
    for name, (namespace, metric, statistic, threshold, comparison) in expected.items():
        view = alarms[name]
        actual = (view.namespace, view.metric, view.statistic, view.threshold, view.comparison)
        assert actual == (namespace, metric, statistic, threshold, comparison), name
        assert view.period == period, name
        assert view.evaluation_periods == settings.evaluation_periods, name
        assert view.treat_missing_data == "notBreaching", name
    # Each alarm watches its own resource of the ingestion stack.
    function = logical_id(prod.platform.ingestion.function)
    assert function in alarms["ingestion-validator-errors"].dimensions["FunctionName"]
    ingestion = prod.platform.ingestion
    for name, queue in (
        ("ingestion-processing-dead-letter-queue-depth", ingestion.dead_letter_queue),
        ("ingestion-delivery-dead-letter-queue-depth", ingestion.delivery_dead_letter_queue),
        ("ingestion-oldest-upload-age", ingestion.queue),
    ):
        assert logical_id(queue) in alarms[name].dimensions["QueueName"], name


def test_quarantine_rate_is_rejected_over_checked_files_from_the_validators_metrics(prod):
    config, _, alarms = _monitoring(prod)
    settings = config.monitoring.ingestion
    view = alarms["ingestion-quarantine-rate"]
    assert view.threshold == settings.max_quarantine_rate
    assert view.period == settings.quarantine_rate_period_minutes * 60
    checked = "(FILL(accepted, 0) + FILL(rejected, 0))"
    assert view.expression == (
        f"IF({checked} >= {settings.min_files_for_quarantine_rate}, "
        f"FILL(rejected, 0) / {checked}, 0)"
    )
    metrics = prod.platform.ingestion.metrics
    stats = {
        metric_id: (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"])
        for metric_id, stat in _math(view).items()
    }
    assert stats == {
        "accepted": (metrics.namespace, "AcceptedFiles", "Sum"),
        "rejected": (metrics.namespace, "RejectedFiles", "Sum"),
    }
    assert {"AcceptedFiles", "RejectedFiles"} <= set(metrics.names)


def test_pipeline_failure_notices_are_reused_and_their_delivery_is_watched(prod):
    _, template, alarms = _monitoring(prod)
    rule = prod.platform.pipeline.execution_failed_rule
    view = alarms["pipeline-failure-notice-undelivered"]
    assert (view.namespace, view.metric, view.statistic) == (
        "AWS/Events",
        "FailedInvocations",
        "Sum",
    )
    assert logical_id(rule) in view.dimensions["RuleName"]
    assert (view.threshold, view.treat_missing_data) == (0, "notBreaching")
    # The failure notice itself stays the pipeline stack's rule: no second rule here.
    assert resources(template, "AWS::Events::Rule") == []


def _math(view):
    return {m["Id"]: m["MetricStat"] for m in view.properties["Metrics"] if "MetricStat" in m}


def test_serving_alarms_use_rates_latency_and_per_vcpu_cpu_thresholds(served_prod):
    config, _, alarms = _monitoring(served_prod)
    settings = config.monitoring.serving
    period = settings.period_minutes * 60
    endpoint = served_prod.platform.serving.endpoint_name
    for name, errors, threshold in (
        ("serving-5xx-rate", "Invocation5XXErrors", settings.max_5xx_rate),
        ("serving-4xx-rate", "Invocation4XXErrors", settings.max_4xx_rate),
    ):
        view = alarms[name]
        assert view.expression == "IF(invocations > 0, FILL(errors, 0) / invocations, 0)"
        used = {k: v["Metric"]["MetricName"] for k, v in _math(view).items()}
        assert used == {"errors": errors, "invocations": "Invocations"}
        assert view.threshold == threshold and view.period == period
    latency = alarms["serving-model-latency-p99"]
    assert (latency.namespace, latency.metric, latency.statistic) == (
        "AWS/SageMaker", "ModelLatency", "p99"
    )  # fmt: skip
    assert latency.threshold == settings.max_model_latency_p99_ms * 1000  # microseconds
    assert latency.dimensions == {"EndpointName": endpoint, "VariantName": "AllTraffic"}
    instance_type = config.serving.provisioned.instance_type
    cpu = alarms["serving-cpu-utilization"]
    assert (cpu.namespace, cpu.metric, cpu.statistic) == (
        "/aws/sagemaker/Endpoints", "CPUUtilization", "Average"
    )  # fmt: skip
    assert cpu.threshold == settings.max_cpu_utilization_percent * vcpus_of(instance_type)
    assert alarms["serving-memory-utilization"].threshold == settings.max_memory_utilization_percent
    assert alarms["serving-disk-utilization"].threshold == settings.max_disk_utilization_percent
    silence = alarms["serving-no-invocations"]
    assert silence.period == settings.no_invocations_minutes * 60
    assert (silence.comparison, silence.threshold) == ("LessThanThreshold", 1)
    assert silence.treat_missing_data == "breaching"  # no requests: no datapoint at all


def test_drift_alarms_use_the_job_metrics_and_configured_thresholds(served_prod):
    config, _, alarms = _monitoring(served_prod)
    drift = config.monitoring.drift
    endpoint = served_prod.platform.serving.endpoint_name
    for name, metric, threshold in (
        ("drift-feature-psi", "MaxFeaturePSI", drift.max_feature_psi),
        ("drift-prediction-psi", "PredictionPSI", drift.max_prediction_psi),
        ("drift-out-of-contract-share", "OutOfContractShare", drift.max_out_of_contract_share),
    ):
        view = alarms[name]
        assert (view.namespace, view.metric, view.statistic) == (drift.namespace, metric, "Maximum")
        assert view.dimensions == {"EndpointName": endpoint}
        assert view.threshold == threshold
        assert view.period == drift.window_hours * 3600
        assert view.treat_missing_data == "notBreaching"
    for name in ("drift-schedule-undelivered", "drift-failure-notice-undelivered"):
        view = alarms[name]
        assert (view.namespace, view.metric, view.threshold) == (
            "AWS/Events",
            "FailedInvocations",
            0,
        )


def test_platform_health_is_the_critical_alarms_and_the_rollback_alarms(served_prod):
    config, template, _ = _monitoring(served_prod)
    (composite,) = resources(template, "AWS::CloudWatch::CompositeAlarm")
    assert composite["AlarmName"] == f"{config.resource_prefix}-platform-health"
    rule = flat(composite["AlarmRule"])
    logical_ids = {
        props["Properties"]["AlarmName"].removeprefix(f"{config.resource_prefix}-"): name
        for name, props in template["Resources"].items()
        if props["Type"] == "AWS::CloudWatch::Alarm"
    }
    in_rule = {name for name, logical in logical_ids.items() if f"<{logical}.Arn>" in rule}
    assert in_rule == CRITICAL
    for alarm in served_prod.platform.serving.rollback_alarms.alarms:
        assert logical_id(alarm) in rule  # imported from the serving stack, not copied
    assert rule.count("ALARM(") == len(CRITICAL) + 2
    assert " OR " in rule and " AND " not in rule
    critical = {e.alarm for e in served_prod.platform.monitoring.book.entries if e.critical}
    assert len(critical) == len(CRITICAL)


def test_cpu_thresholds_scale_with_the_instance_vcpus():
    assert [vcpus_of(t) for t in ("ml.m5.large", "ml.c5.xlarge", "ml.m5.4xlarge")] == [2, 4, 16]
    assert (vcpus_of("ml.t3.medium"), vcpus_of("ml.c6g.medium")) == (2, 1)
    with pytest.raises(ValueError, match="unknown size 'metal'"):
        vcpus_of("ml.m5.metal")


def test_the_book_refuses_an_unknown_section():
    import aws_cdk as cdk

    stack = cdk.Stack(cdk.App(), "Probe")
    book = AlarmBook(stack, "Book", name_prefix="p", topic=cdk.aws_sns.Topic(stack, "T"))
    metric = cdk.aws_cloudwatch.Metric(namespace="N", metric_name="M")
    with pytest.raises(ValueError, match="unknown alarm section 'billing'"):
        book.add(
            "billing", "x", metric=metric, threshold=1, what="w", check_first="c",
            treat_missing_data=cdk.aws_cloudwatch.TreatMissingData.NOT_BREACHING,
        )  # fmt: skip
