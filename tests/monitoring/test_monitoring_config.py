"""The monitoring section of the stage config: defaults, and impossible values named by key."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, parse_stage_config


def _parse(monitoring):
    return parse_stage_config("x", {"x": {"region": "eu-west-1", "monitoring": monitoring}})


def test_unset_monitoring_takes_the_documented_defaults():
    config = _parse({}).monitoring
    assert config.ingestion.duration_p99_fraction_of_timeout == 0.8
    assert config.serving.no_invocations_minutes is None
    assert config.drift.namespace == "MlPlatform/Drift"
    assert config.drift.window_hours == 24


@pytest.mark.parametrize(
    ("monitoring", "expected"),
    [
        (
            {"ingestion": {"max_quarantine_rate": 1.5}},
            r"monitoring\.ingestion\.max_quarantine_rate",
        ),
        ({"ingestion": {"period_minutes": 0}}, r"monitoring\.ingestion\.period_minutes: must be"),
        (
            {"serving": {"period_minutes": 60, "evaluation_periods": 25}},
            r"monitoring\.serving\.evaluation_periods: .*one day",
        ),
        ({"serving": {"max_cpu_utilization_percent": 150}}, r"max_cpu_utilization_percent"),
        (
            {"serving": {"no_invocations_minutes": 0}},
            r"monitoring\.serving\.no_invocations_minutes",
        ),
        ({"drift": {"namespace": "AWS/SageMaker"}}, r"monitoring\.drift\.namespace: must be a"),
        ({"drift": {"window_hours": 48}}, r"monitoring\.drift\.window_hours: must be 1\.\.24"),
        ({"drift": {"instance_type": "t3.medium"}}, r"monitoring\.drift\.instance_type"),
        ({"drift": {"psi": 0.3}}, r"monitoring\.drift\.psi: unknown key"),
    ],
)
def test_impossible_values_fail_naming_the_key(monitoring, expected):
    with pytest.raises(ConfigError, match=expected):
        _parse(monitoring)
