"""Serving settings: cdk.json's stages, defaults, and impossible combinations named by key."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config
from stacks.config.serving import ServingConfig

STAGES = cdk_json_context()["ml-platform:stages"]


def _stage(serving: dict, *, base: str = "prod") -> dict:
    stages = copy.deepcopy(STAGES)
    stages[base]["serving"] = serving
    return stages


def _merged(base: str, **changes) -> dict:
    """cdk.json's serving section of ``base`` with dotted keys replaced."""
    serving = copy.deepcopy(STAGES[base]["serving"])
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = serving
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return serving


def test_dev_serves_serverless_and_prod_provisioned_from_cdk_json():
    dev = parse_stage_config("dev", STAGES).serving
    prod = parse_stage_config("prod", STAGES).serving
    assert (dev.mode, dev.data_capture.enabled) == ("serverless", False)
    assert (prod.mode, prod.data_capture.enabled) == ("provisioned", True)
    assert prod.provisioned.autoscaling.min_instances >= 2
    assert dev.model_package_arn is None and prod.model_package_arn is None


def test_defaults_are_a_valid_serverless_configuration():
    config = parse_stage_config("x", {"x": {"region": "eu-west-1"}}).serving
    assert config == ServingConfig()
    assert config.is_serverless and not config.data_capture.enabled


@pytest.mark.parametrize(
    ("base", "changes", "message"),
    [
        (
            "dev",
            {"data_capture__enabled": True},
            r"serving\.data_capture\.enabled: serverless endpoints do not support data capture",
        ),
        (
            "dev",
            {"network_isolation": True},
            r"serving\.network_isolation: serverless endpoints do not support network isolation",
        ),
        ("dev", {"serverless__memory_size_mb": 1500}, r"serving\.serverless\.memory_size_mb"),
        ("dev", {"serverless__max_concurrency": 0}, r"serving\.serverless\.max_concurrency"),
        ("dev", {"mode": "async"}, r"serving\.mode: must be one of 'serverless', 'provisioned'"),
        (
            "prod",
            {"provisioned__autoscaling__min_instances": 1},
            r"serving\.provisioned\.autoscaling\.min_instances: must be >= 2",
        ),
        (
            "prod",
            {"provisioned__autoscaling__max_instances": 1},
            r"serving\.provisioned\.autoscaling\.(min|max)_instances",
        ),
        (
            "prod",
            {"provisioned__initial_instance_count": 9},
            r"serving\.provisioned\.initial_instance_count: must be within",
        ),
        (
            "prod",
            {"provisioned__instance_type": "m5.large"},
            r"serving\.provisioned\.instance_type",
        ),
        (
            "prod",
            {"provisioned__rollout__step_percent": 60},
            r"serving\.provisioned\.rollout\.step_percent: a canary must be 1\.\.50 percent",
        ),
        (
            "prod",
            {
                "provisioned__rollout__traffic_shifting": "linear",
                "provisioned__rollout__step_percent": 5,
            },
            r"serving\.provisioned\.rollout\.step_percent: a linear step must be 10\.\.50",
        ),
        (
            "prod",
            {"provisioned__rollout__wait_interval_seconds": 3601},
            r"serving\.provisioned\.rollout\.wait_interval_seconds: must be 0\.\.3600",
        ),
        (
            "prod",
            {
                "provisioned__rollout__traffic_shifting": "linear",
                "provisioned__rollout__step_percent": 10,
                "provisioned__rollout__wait_interval_seconds": 600,
            },
            r"max_execution_timeout_seconds: must exceed the rollout's total waiting time "
            r"\(5700 s",
        ),
        (
            "prod",
            {"data_capture__sampling_percentage": 0},
            r"sampling_percentage: must be 1\.\.100",
        ),
        ("prod", {"rollback_alarms__period_seconds": 45}, r"rollback_alarms\.period_seconds"),
        (
            "prod",
            {"rollback_alarms__datapoints_to_alarm": 4},
            r"rollback_alarms\.datapoints_to_alarm: must be 1\.\.evaluation_periods \(3\)",
        ),
        (
            "prod",
            {"model_package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g"},
            r"serving\.model_package_arn: names a model package group, not a version",
        ),
        (
            "prod",
            {"model_package_arn": "ml-platform-prod-student-grades/3"},
            r"serving\.model_package_arn: must be a versioned model package ARN like",
        ),
    ],
)
def test_impossible_settings_fail_naming_the_key(base, changes, message):
    with pytest.raises(ConfigError, match=message) as error:
        parse_stage_config(base, _stage(_merged(base, **changes), base=base))
    assert str(error.value).startswith(f"stage {base!r}: serving.")
    assert "\n" not in str(error.value)


def test_provisioned_mode_accepts_capture_and_isolation():
    serving = _merged("prod", network_isolation=True)
    config = parse_stage_config("prod", _stage(serving)).serving
    assert config.network_isolation and config.data_capture.enabled


def test_linear_rollout_counts_its_steps():
    serving = _merged(
        "prod",
        provisioned__rollout__traffic_shifting="linear",
        provisioned__rollout__step_percent=30,
        provisioned__rollout__wait_interval_seconds=60,
    )
    rollout = parse_stage_config("prod", _stage(serving)).serving.provisioned.rollout
    assert rollout.steps == 4  # 30 + 30 + 30 + 10 percent
