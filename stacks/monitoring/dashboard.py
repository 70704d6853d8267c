"""The one dashboard on-call opens first: health at the top, then one section per stage of the
data's journey (ingestion, pipeline, registry, serving, drift). A section whose stack is absent
says so instead of showing empty graphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from ..config.monitoring import MonitoringConfig
from .alarm_book import AlarmBook
from .drift_check import DriftCheck
from .ingestion_alarms import quarantine_rate, validator_metric
from .instance_types import vcpus_of
from .rule_alarms import rule_metric
from .serving_alarms import INSTANCE_NAMESPACE, endpoint_metric
from .signals import IngestionSignals, PipelineSignals, ServingSignals

PIPELINE_NAMESPACE = "AWS/Sagemaker/ModelBuildingPipeline"
EXECUTION_STATUSES = ("Started", "Succeeded", "Failed", "Stopped")
FULL, HALF, THIRD = 24, 12, 8
GRAPH_HEIGHT = 6
SECTION_TITLES = ("Ingestion", "Pipeline", "Registry", "Serving", "Drift")


@dataclass(frozen=True)
class DashboardInputs:
    stage: str
    book: AlarmBook
    health: cloudwatch.IAlarm | None
    ingestion: IngestionSignals | None
    pipeline: PipelineSignals | None
    serving: ServingSignals | None
    drift: DriftCheck | None
    drift_absent_reason: str
    settings: MonitoringConfig


def _title(text: str, note: str = "") -> cloudwatch.TextWidget:
    markdown = f"## {text}" + (f"\n{note}" if note else "")
    return cloudwatch.TextWidget(markdown=markdown, width=FULL, height=2 if note else 1)


def _absent(section: str, why: str) -> list[cloudwatch.IWidget]:
    return [_title(section, why)]


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    right: Sequence[cloudwatch.IMetric] = (),
    width: int = THIRD,
    stacked: bool = False,
    left_limit: float | None = None,
    right_limit: float | None = None,
) -> cloudwatch.GraphWidget:
    def limit(value: float | None) -> list[cloudwatch.HorizontalAnnotation] | None:
        if value is None:
            return None
        return [cloudwatch.HorizontalAnnotation(value=value, label="alarm threshold")]

    return cloudwatch.GraphWidget(
        title=title,
        left=list(left),
        right=list(right) or None,
        width=width,
        height=GRAPH_HEIGHT,
        stacked=stacked,
        left_annotations=limit(left_limit),
        right_annotations=limit(right_limit),
    )


def _health(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    alarms: list[cloudwatch.IAlarm] = [entry.alarm for entry in inputs.book.entries]
    if inputs.serving is not None:
        alarms += list(inputs.serving.rollback_alarms)
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.TextWidget(
            markdown=(
                f"# ml-platform {inputs.stage}: platform health\n"
                "Every alarm notifies the alerts topic; each alarm's description says what to "
                "check first."
            ),
            width=FULL,
            height=2,
        )
    ]
    if inputs.health is not None:
        widgets.append(
            cloudwatch.AlarmStatusWidget(
                title="Platform health (critical alarms)",
                alarms=[inputs.health],
                width=FULL,
                height=2,
            )
        )
    widgets.append(
        cloudwatch.AlarmStatusWidget(
            title="Every alarm",
            alarms=alarms,
            width=FULL,
            height=4,
            sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        )
    )
    return widgets


def _ingestion(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    signals = inputs.ingestion
    if signals is None:
        return _absent("Ingestion", "No ingestion stack in this stage.")
    settings = inputs.settings.ingestion
    period = Duration.minutes(settings.period_minutes)
    accepted = validator_metric(signals, signals.accepted_files_metric, period)
    rejected = validator_metric(signals, signals.rejected_files_metric, period)
    checked = cloudwatch.MathExpression(
        expression="FILL(accepted, 0) + FILL(rejected, 0)",
        using_metrics={"accepted": accepted, "rejected": rejected},
        label="Files checked",
        period=period,
    )
    duration_limit_ms = round(
        signals.timeout.to_milliseconds() * settings.duration_p99_fraction_of_timeout
    )
    function = signals.function
    return [
        _title("Ingestion", "Uploads -> upload queue -> validator -> curated or quarantine."),
        _graph(
            "Upload volume",
            [checked, rule_metric(signals.upload_rule, "TriggeredRules", period)],
            right=[
                validator_metric(signals, signals.bytes_metric, period),
                validator_metric(signals, signals.rows_metric, period),
            ],
        ),
        _graph(
            "Accepted vs quarantined files",
            [accepted, rejected],
            right=[
                quarantine_rate(
                    signals,
                    Duration.minutes(settings.quarantine_rate_period_minutes),
                    settings.min_files_for_quarantine_rate,
                )
            ],
            right_limit=settings.max_quarantine_rate,
            stacked=True,
        ),
        _graph(
            "Validator",
            [
                function.metric_errors(period=period, statistic="Sum"),
                function.metric_throttles(period=period, statistic="Sum"),
            ],
            right=[function.metric_duration(period=period, statistic="p99")],
            right_limit=duration_limit_ms,
        ),
        _graph(
            "Upload queue",
            [signals.queue.metric_approximate_number_of_messages_visible(period=period)],
            right=[
                signals.queue.metric_approximate_age_of_oldest_message(
                    period=period, statistic="Maximum"
                )
            ],
            width=HALF,
        ),
        _graph(
            "Dead-letter queues (must stay at 0)",
            [
                queue.metric_approximate_number_of_messages_visible(
                    period=period, statistic="Maximum", label=queue.node.id
                )
                for queue in signals.dead_letter_queues
            ],
            width=HALF,
        ),
    ]


def _pipeline_executions(pipeline_name: str, period: Duration) -> list[cloudwatch.Metric]:
    return [
        cloudwatch.Metric(
            namespace=PIPELINE_NAMESPACE,
            metric_name=f"Execution{status}",
            dimensions_map={"PipelineName": pipeline_name},
            statistic="Sum",
            period=period,
            label=f"{status}",
        )
        for status in EXECUTION_STATUSES
    ]


def _pipeline(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    signals = inputs.pipeline
    if signals is None:
        return _absent("Pipeline", "No training pipeline stack in this stage.")
    hour = Duration.hours(1)
    widgets: list[cloudwatch.IWidget] = [
        _title("Pipeline", f"Training pipeline {signals.pipeline_name}: executions by status."),
        _graph(
            f"{signals.pipeline_name} executions",
            _pipeline_executions(signals.pipeline_name, hour),
            width=HALF,
        ),
    ]
    if signals.failure_rules:
        widgets.append(
            _graph(
                "Failure notices: sent / undelivered",
                [rule_metric(rule, "Invocations", hour) for rule in signals.failure_rules],
                right=[
                    rule_metric(rule, "FailedInvocations", hour) for rule in signals.failure_rules
                ],
                width=HALF,
            )
        )
    return widgets


def _registry(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    pipeline, serving = inputs.pipeline, inputs.serving
    if pipeline is None and serving is None:
        return _absent("Registry", "No pipeline and no endpoint in this stage.")
    lines = []
    if pipeline is not None:
        lines.append(f"Model package group: `{pipeline.model_package_group_name}`")
    lines.append(
        f"Served model package: `{serving.model_package_arn}`"
        if serving is not None
        else "No model is served in this stage (no model package ARN given)."
    )
    widgets: list[cloudwatch.IWidget] = [
        _title("Registry", "  \n".join(lines)),
    ]
    if pipeline is not None and pipeline.registry_rules:
        widgets.append(
            _graph(
                "Registrations and approval changes",
                [
                    rule_metric(rule, "TriggeredRules", Duration.hours(1))
                    for rule in pipeline.registry_rules
                ],
                width=HALF,
            )
        )
    return widgets


def _latency(signals: ServingSignals, metric_name: str, statistic: str, period: Duration):
    metric_id = f"{metric_name.lower()}_{statistic}"  # ids must differ within one graph
    return cloudwatch.MathExpression(
        expression=f"{metric_id} / 1000",
        using_metrics={
            metric_id: endpoint_metric(signals, metric_name, period, statistic=statistic)
        },
        label=f"{metric_name} {statistic} (ms)",
        period=period,
    )


def _serving(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    signals = inputs.serving
    if signals is None:
        return _absent(
            "Serving", "No endpoint in this stage: deploy with -c model_package_arn=<ARN>."
        )
    period = Duration.minutes(inputs.settings.serving.period_minutes)
    widgets: list[cloudwatch.IWidget] = [
        _title(
            "Serving",
            f"Endpoint {signals.endpoint_name}, variant {signals.variant_name} ({signals.mode}).",
        ),
        _graph(
            "Invocations",
            [endpoint_metric(signals, "Invocations", period)],
            right=[endpoint_metric(signals, "InvocationsPerInstance", period)],
        ),
        _graph(
            "Errors",
            [
                endpoint_metric(signals, "Invocation4XXErrors", period),
                endpoint_metric(signals, "Invocation5XXErrors", period),
            ],
        ),
        _graph(
            "Latency percentiles (ms)",
            [
                _latency(signals, "ModelLatency", statistic, period)
                for statistic in ("p50", "p90", "p99")
            ]
            + [_latency(signals, "OverheadLatency", "p99", period)],
        ),
    ]
    minute = Duration.minutes(1)
    if signals.provisioned and signals.instance_type is not None:
        vcpus = vcpus_of(signals.instance_type)
        cpu = endpoint_metric(
            signals, "CPUUtilization", period, statistic="Average", namespace=INSTANCE_NAMESPACE
        )
        widgets += [
            _graph(
                "Instances (autoscaling)",
                # Each instance reports once a minute: the count of reports is the fleet size.
                [
                    endpoint_metric(
                        signals,
                        "CPUUtilization",
                        minute,
                        statistic="SampleCount",
                        namespace=INSTANCE_NAMESPACE,
                        label="Instances in service",
                    )
                ],
                width=HALF,
            ),
            _graph(
                "CPU, memory, disk (% of instance)",
                [
                    cloudwatch.MathExpression(
                        expression=f"cpu / {vcpus}",
                        using_metrics={"cpu": cpu},
                        label=f"CPU (of {vcpus} vCPUs)",
                        period=period,
                    ),
                    endpoint_metric(
                        signals, "MemoryUtilization", period, "Average", INSTANCE_NAMESPACE
                    ),
                    endpoint_metric(
                        signals, "DiskUtilization", period, "Average", INSTANCE_NAMESPACE
                    ),
                ],
                width=HALF,
            ),
        ]
    else:
        widgets.append(
            _graph(
                "Serverless cold starts",
                [endpoint_metric(signals, "ModelSetupTime", period, statistic="p99")],
                width=HALF,
            )
        )
    return widgets


def _drift(inputs: DashboardInputs) -> list[cloudwatch.IWidget]:
    check = inputs.drift
    if check is None:
        return _absent("Drift", inputs.drift_absent_reason)
    names = check.metrics
    settings = check.settings
    period = Duration.hours(settings.window_hours)
    search = (
        f"SEARCH('{{{settings.namespace},{names.endpoint_dimension},{names.feature_dimension}}} "
        f'MetricName="{names.feature_psi}" {names.endpoint_dimension}="{check.endpoint_name}"\', '
        f"'Maximum', {int(period.to_seconds())})"
    )
    return [
        _title(
            "Drift",
            f"{check.pipeline_name}: every {settings.window_hours} h, the captured traffic "
            "against the training baseline (PSI: < 0.1 stable, > 0.2 significant).",
        ),
        _graph(
            "Largest feature PSI",
            [check.metric(names.max_feature_psi, period)],
            left_limit=settings.max_feature_psi,
        ),
        _graph(
            "Prediction PSI",
            [check.metric(names.prediction_psi, period)],
            left_limit=settings.max_prediction_psi,
        ),
        _graph(
            "Out-of-contract share",
            [check.metric(names.out_of_contract_share, period)],
            left_limit=settings.max_out_of_contract_share,
        ),
        _graph(
            "PSI per feature",
            [
                cloudwatch.MathExpression(
                    expression=search, using_metrics={}, label="", period=period
                )
            ],
            width=HALF,
        ),
        _graph(
            "Records compared / unreadable captures",
            [
                check.metric(names.records_compared, period),
                check.metric(names.unreadable_captures, period),
            ],
            right=_pipeline_executions(check.pipeline_name, period),
            width=HALF,
        ),
    ]


def build_dashboard(scope: Construct, construct_id: str, name: str, inputs: DashboardInputs):
    dashboard = cloudwatch.Dashboard(
        scope,
        construct_id,
        dashboard_name=name,
        default_interval=Duration.days(1),
        period_override=cloudwatch.PeriodOverride.AUTO,
    )
    for section in (_health, _ingestion, _pipeline, _registry, _serving, _drift):
        title, *graphs = section(inputs)
        dashboard.add_widgets(title)
        if graphs:
            # One row per section; CloudWatch wraps it at the grid's 24 columns.
            dashboard.add_widgets(*graphs)
    return dashboard
