"""Readers of the monitoring stack's synthesized template, for the monitoring tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from stacks.config import StageConfig, cdk_json_context, parse_stage_config


def stage_config(name: str) -> StageConfig:
    return parse_stage_config(name, cdk_json_context()["ml-platform:stages"])


def flat(value: Any) -> str:
    """A template value as one string, references rendered inline: ``<Logical.Arn>``,
    ``<Logical>``, ``<export name>``; literal text (JSON bodies too) is left as it is."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return json.dumps([flat(item) for item in value])
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(flat(item) for item in items)
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", argument)
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function in ("Ref", "Fn::ImportValue"):
            return f"<{flat(argument)}>"
    return json.dumps(value)


def resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == resource_type]


@dataclass(frozen=True)
class AlarmView:
    """What on-call and the tests care about in one alarm."""

    name: str
    namespace: str | None  # single-metric alarms
    metric: str | None
    statistic: str | None
    period: int
    threshold: float
    comparison: str
    evaluation_periods: int
    treat_missing_data: str
    description: str
    actions: list[str]
    ok_actions: list[str]
    dimensions: dict[str, str]
    expression: str | None  # metric-math alarms
    properties: dict[str, Any]


def alarm_views(template: dict[str, Any], prefix: str) -> dict[str, AlarmView]:
    """The stack's metric alarms by name, without the ``<prefix>-`` every name starts with."""
    views = {}
    for props in resources(template, "AWS::CloudWatch::Alarm"):
        name = props["AlarmName"]
        assert name.startswith(f"{prefix}-"), name
        expression, period = None, props.get("Period")
        if "Metrics" in props:
            (expression_entry,) = [m for m in props["Metrics"] if "Expression" in m]
            expression = expression_entry["Expression"]
            period = expression_entry.get("Period") or props["Metrics"][-1]["MetricStat"]["Period"]
        views[name.removeprefix(f"{prefix}-")] = AlarmView(
            name=name,
            namespace=props.get("Namespace"),
            metric=props.get("MetricName"),
            statistic=props.get("ExtendedStatistic") or props.get("Statistic"),
            period=period,
            threshold=props["Threshold"],
            comparison=props["ComparisonOperator"],
            evaluation_periods=props["EvaluationPeriods"],
            treat_missing_data=props.get("TreatMissingData", "<unset>"),
            description=props.get("AlarmDescription", ""),
            actions=[flat(a) for a in props.get("AlarmActions", [])],
            ok_actions=[flat(a) for a in props.get("OKActions", [])],
            dimensions={d["Name"]: flat(d["Value"]) for d in props.get("Dimensions", [])},
            expression=expression,
            properties=props,
        )
    return views


def math_metrics(view: AlarmView) -> dict[str, dict[str, Any]]:
    """Id -> MetricStat of the metrics a math alarm's expression uses."""
    return {m["Id"]: m["MetricStat"] for m in view.properties["Metrics"] if "MetricStat" in m}
