"""Settings of the serving stack: which approved model, how it is hosted, rolled out and watched.

Two hosting modes:

* ``serverless``: no instances, no cost while idle (dev). SageMaker does not support data
  capture, network isolation, VPC configuration or deployment guardrails' traffic shifting on
  serverless endpoints, so asking for them here is rejected with the key that asks.
* ``provisioned``: at least two instances (one per Availability Zone), target-tracking
  autoscaling and blue/green rollouts (canary or linear) that roll back on alarms (prod).

The model package ARN is usually not written here but given per deployment with
``-c model_package_arn=...`` (see ``stacks/serving/selection.py``): approved versions differ
per account, and a deployment names the one it ships.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from .parsing import SettingError

_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
# arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>
MODEL_PACKAGE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z]{2}(-[a-z]+)+-\d):"
    r"(?P<account>\d{12}):model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/"
    r"(?P<version>[1-9]\d*)$"
)
MODEL_PACKAGE_ARN_EXAMPLE = (
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-platform-dev-student-grades/3"
)

# SageMaker's limits (API reference: ProductionVariantServerlessConfig, TrafficRoutingConfig,
# BlueGreenUpdatePolicy, DataCaptureConfig).
SERVERLESS_MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
_MAX_SERVERLESS_CONCURRENCY = 200
_MAX_WAIT_SECONDS = 3600
_MIN_EXECUTION_TIMEOUT_SECONDS, _MAX_EXECUTION_TIMEOUT_SECONDS = 600, 28800
_MAX_CANARY_PERCENT = 50
_LINEAR_PERCENT_RANGE = (10, 50)
_MIN_PROVISIONED_INSTANCES = 2  # one per Availability Zone: an AZ outage keeps serving


def model_package_arn_problem(value: str) -> str | None:
    """Why ``value`` is not a versioned model package ARN, or None when it is one."""
    if MODEL_PACKAGE_ARN.match(value):
        return None
    if MODEL_PACKAGE_ARN.match(f"{value}/1"):
        return f"names a model package group, not a version: append /<version>, got {value!r}"
    example = MODEL_PACKAGE_ARN_EXAMPLE
    return f"must be a versioned model package ARN like {example!r}, got {value!r}"


@dataclass(frozen=True)
class ServerlessSettings:
    # Memory of each concurrent copy of the model; CPU is allotted in proportion to it.
    memory_size_mb: int = 2048
    # Requests beyond this many in flight are throttled (HTTP 429), which also caps the cost.
    max_concurrency: int = 5

    def check(self) -> None:
        if self.memory_size_mb not in SERVERLESS_MEMORY_SIZES_MB:
            raise SettingError(
                "memory_size_mb",
                f"must be one of {list(SERVERLESS_MEMORY_SIZES_MB)}, got {self.memory_size_mb}",
            )
        if not 1 <= self.max_concurrency <= _MAX_SERVERLESS_CONCURRENCY:
            raise SettingError(
                "max_concurrency",
                f"must be 1..{_MAX_SERVERLESS_CONCURRENCY}, got {self.max_concurrency}",
            )


@dataclass(frozen=True)
class AutoscalingSettings:
    """Target tracking on SageMakerVariantInvocationsPerInstance (invocations/minute/instance)."""

    min_instances: int = 2
    max_instances: int = 4
    target_invocations_per_instance: int = 600
    # Scale out quickly on a burst; scale in slowly so a short lull does not remove capacity.
    scale_out_cooldown_seconds: int = 60
    scale_in_cooldown_seconds: int = 600

    def check(self) -> None:
        if self.min_instances < _MIN_PROVISIONED_INSTANCES:
            raise SettingError(
                "min_instances",
                f"must be >= {_MIN_PROVISIONED_INSTANCES} (one instance per Availability Zone), "
                f"got {self.min_instances}",
            )
        if self.max_instances < self.min_instances:
            raise SettingError(
                "max_instances",
                f"must be >= min_instances ({self.min_instances}), got {self.max_instances}",
            )
        if self.target_invocations_per_instance < 1:
            raise SettingError(
                "target_invocations_per_instance",
                f"must be >= 1, got {self.target_invocations_per_instance}",
            )
        for key in ("scale_out_cooldown_seconds", "scale_in_cooldown_seconds"):
            if getattr(self, key) < 0:
                raise SettingError(key, f"must be >= 0, got {getattr(self, key)}")


@dataclass(frozen=True)
class RolloutSettings:
    """Blue/green traffic shifting of a new model or endpoint config (deployment guardrails).

    ``canary``: ``step_percent`` of the capacity first, the rest after ``wait_interval_seconds``.
    ``linear``: ``step_percent`` more every ``wait_interval_seconds``. Either way the rollback
    alarms are watched throughout, and the old fleet is kept ``termination_wait_seconds`` after
    the last step so a rollback is instant.
    """

    traffic_shifting: Literal["canary", "linear"] = "canary"
    step_percent: int = 50
    wait_interval_seconds: int = 600
    termination_wait_seconds: int = 300
    max_execution_timeout_seconds: int = 3600

    @property
    def steps(self) -> int:
        if self.traffic_shifting == "canary":
            return 2
        return math.ceil(100 / self.step_percent)

    def check(self) -> None:
        if self.traffic_shifting == "canary" and not 1 <= self.step_percent <= _MAX_CANARY_PERCENT:
            raise SettingError(
                "step_percent",
                f"a canary must be 1..{_MAX_CANARY_PERCENT} percent of the capacity, "
                f"got {self.step_percent}",
            )
        low, high = _LINEAR_PERCENT_RANGE
        if self.traffic_shifting == "linear" and not low <= self.step_percent <= high:
            raise SettingError(
                "step_percent",
                f"a linear step must be {low}..{high} percent of the capacity, "
                f"got {self.step_percent}",
            )
        for key in ("wait_interval_seconds", "termination_wait_seconds"):
            if not 0 <= getattr(self, key) <= _MAX_WAIT_SECONDS:
                raise SettingError(key, f"must be 0..{_MAX_WAIT_SECONDS}, got {getattr(self, key)}")
        timeout = self.max_execution_timeout_seconds
        if not _MIN_EXECUTION_TIMEOUT_SECONDS <= timeout <= _MAX_EXECUTION_TIMEOUT_SECONDS:
            raise SettingError(
                "max_execution_timeout_seconds",
                f"must be {_MIN_EXECUTION_TIMEOUT_SECONDS}..{_MAX_EXECUTION_TIMEOUT_SECONDS}, "
                f"got {timeout}",
            )
        waiting = (self.steps - 1) * self.wait_interval_seconds + self.termination_wait_seconds
        if timeout <= waiting:
            raise SettingError(
                "max_execution_timeout_seconds",
                f"must exceed the rollout's total waiting time ({waiting} s: "
                f"{self.steps - 1} wait interval(s) plus the termination wait), got {timeout}",
            )


@dataclass(frozen=True)
class ProvisionedSettings:
    instance_type: str = "ml.m5.large"
    # Instances at creation; afterwards autoscaling owns the count (within its min..max).
    initial_instance_count: int = 2
    autoscaling: AutoscalingSettings = field(default_factory=AutoscalingSettings)
    rollout: RolloutSettings = field(default_factory=RolloutSettings)

    def check(self) -> None:
        if not _INSTANCE_TYPE.match(self.instance_type):
            raise SettingError(
                "instance_type",
                f"must be a SageMaker instance type like 'ml.m5.large', got {self.instance_type!r}",
            )
        scaling = self.autoscaling
        if not scaling.min_instances <= self.initial_instance_count <= scaling.max_instances:
            raise SettingError(
                "initial_instance_count",
                f"must be within autoscaling.min_instances..max_instances "
                f"({scaling.min_instances}..{scaling.max_instances}), "
                f"got {self.initial_instance_count}",
            )


@dataclass(frozen=True)
class DataCaptureSettings:
    """Requests and predictions written to the curated bucket (layout.CAPTURE_PREFIX).

    Off by default because the default mode, serverless, cannot capture.
    """

    enabled: bool = False
    sampling_percentage: int = 100

    def check(self) -> None:
        if not 1 <= self.sampling_percentage <= 100:
            raise SettingError(
                "sampling_percentage", f"must be 1..100, got {self.sampling_percentage}"
            )


@dataclass(frozen=True)
class RollbackAlarmSettings:
    """The two alarms that stop and roll back a rollout (and page on-call in steady state)."""

    # Sum of Invocation5XXErrors in one period at or above which the alarm fires.
    max_5xx_errors: int = 5
    # p99 of ModelLatency (the model container's time, milliseconds) above which it fires.
    max_model_latency_p99_ms: int = 500
    period_seconds: int = 60
    # Fires when datapoints_to_alarm of the last evaluation_periods periods breach.
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2

    def check(self) -> None:
        for key in ("max_5xx_errors", "max_model_latency_p99_ms"):
            if getattr(self, key) < 1:
                raise SettingError(key, f"must be >= 1, got {getattr(self, key)}")
        if self.period_seconds not in (10, 30) and (
            self.period_seconds < 60 or self.period_seconds % 60
        ):
            raise SettingError(
                "period_seconds",
                f"must be 10, 30 or a multiple of 60 (CloudWatch periods), "
                f"got {self.period_seconds}",
            )
        if self.evaluation_periods < 1:
            raise SettingError("evaluation_periods", f"must be >= 1, got {self.evaluation_periods}")
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise SettingError(
                "datapoints_to_alarm",
                f"must be 1..evaluation_periods ({self.evaluation_periods}), "
                f"got {self.datapoints_to_alarm}",
            )


@dataclass(frozen=True)
class ServingConfig:
    # The approved model version to serve; usually given per deployment with
    # `-c model_package_arn=...` instead. Without one, the serving stack is not synthesized.
    model_package_arn: str | None = None
    mode: Literal["serverless", "provisioned"] = "serverless"
    serverless: ServerlessSettings = field(default_factory=ServerlessSettings)
    provisioned: ProvisionedSettings = field(default_factory=ProvisionedSettings)
    data_capture: DataCaptureSettings = field(default_factory=DataCaptureSettings)
    rollback_alarms: RollbackAlarmSettings = field(default_factory=RollbackAlarmSettings)
    # The model container gets no network at all. Possible because train.py packs the
    # inference code inside model.tar.gz (nothing to download at start-up). Serverless
    # endpoints do not support it, hence the default.
    network_isolation: bool = False

    def check(self) -> None:
        if self.model_package_arn is not None:
            problem = model_package_arn_problem(self.model_package_arn)
            if problem:
                raise SettingError("model_package_arn", problem)
        if self.mode == "serverless":
            self._check_serverless_support()

    def _check_serverless_support(self) -> None:
        # Serverless Inference's documented feature exclusions (SageMaker developer guide,
        # "Deploy models with Amazon SageMaker Serverless Inference" > feature exclusions).
        if self.data_capture.enabled:
            raise SettingError(
                "data_capture.enabled",
                "serverless endpoints do not support data capture; set it to false, or mode "
                "to 'provisioned'",
            )
        if self.network_isolation:
            raise SettingError(
                "network_isolation",
                "serverless endpoints do not support network isolation; set it to false, or "
                "mode to 'provisioned'",
            )

    @property
    def is_serverless(self) -> bool:
        return self.mode == "serverless"
