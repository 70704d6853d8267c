"""Settings of the monitoring stack: alarm thresholds and periods, and the drift check.

Every threshold is the value at which on-call is paged; each alarm's description (in the stack)
says what it means and what to check first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parsing import SettingError

# CloudWatch alarm periods for AWS metrics: a multiple of 60 seconds, at most one day.
_MAX_PERIOD_MINUTES = 24 * 60
# Custom CloudWatch namespaces: letters, digits and . - _ / # : (no leading "AWS/").
_NAMESPACE = re.compile(r"^(?!AWS/)[A-Za-z0-9.\-_/#:]{1,255}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")


def _check_period(key: str, minutes: int) -> None:
    if not 1 <= minutes <= _MAX_PERIOD_MINUTES:
        raise SettingError(key, f"must be 1..{_MAX_PERIOD_MINUTES} minutes, got {minutes}")


def _check_at_least(key: str, value: float, minimum: float) -> None:
    if value < minimum:
        raise SettingError(key, f"must be >= {minimum}, got {value}")


def _check_fraction(key: str, value: float) -> None:
    if not 0 < value < 1:
        raise SettingError(key, f"must be a fraction in (0, 1), got {value}")


def _check_percent(key: str, value: float) -> None:
    if not 0 < value <= 100:
        raise SettingError(key, f"must be a percentage in (0, 100], got {value}")


def _check_evaluation(key: str, periods: int, period_minutes: int) -> None:
    # CloudWatch: evaluation periods x period must not exceed one day.
    if periods < 1 or periods * period_minutes > _MAX_PERIOD_MINUTES:
        raise SettingError(
            key,
            f"must be >= 1 with evaluation_periods x period_minutes <= {_MAX_PERIOD_MINUTES} "
            f"(one day), got {periods} x {period_minutes}",
        )


@dataclass(frozen=True)
class IngestionAlarmsConfig:
    """The upload path: validator Lambda, its queue and dead-letter queue, quarantine rate."""

    period_minutes: int = 5
    evaluation_periods: int = 1
    # Alarm when the validator fails (or is throttled) more often than this in one period.
    max_validator_errors: int = 0
    max_validator_throttles: int = 0
    # Alarm when the validator's p99 duration exceeds this fraction of its timeout: it is about
    # to time out and leave files unvalidated.
    duration_p99_fraction_of_timeout: float = 0.8
    # Alarm when the oldest upload event waiting in the queue is older than this.
    max_oldest_message_age_minutes: int = 15
    # Alarm when more than this fraction of the files checked in one quarantine period were
    # rejected, once at least min_files_for_quarantine_rate files were checked.
    max_quarantine_rate: float = 0.2
    quarantine_rate_period_minutes: int = 60
    min_files_for_quarantine_rate: int = 5

    def check(self) -> None:
        _check_period("period_minutes", self.period_minutes)
        _check_evaluation("evaluation_periods", self.evaluation_periods, self.period_minutes)
        _check_at_least("max_validator_errors", self.max_validator_errors, 0)
        _check_at_least("max_validator_throttles", self.max_validator_throttles, 0)
        _check_fraction("duration_p99_fraction_of_timeout", self.duration_p99_fraction_of_timeout)
        _check_at_least("max_oldest_message_age_minutes", self.max_oldest_message_age_minutes, 1)
        _check_fraction("max_quarantine_rate", self.max_quarantine_rate)
        _check_period("quarantine_rate_period_minutes", self.quarantine_rate_period_minutes)
        _check_at_least("min_files_for_quarantine_rate", self.min_files_for_quarantine_rate, 1)


@dataclass(frozen=True)
class ServingAlarmsConfig:
    """The endpoint: error rates, model latency, instance utilization, traffic."""

    period_minutes: int = 5
    evaluation_periods: int = 2
    # Fractions of the invocations in one period.
    max_5xx_rate: float = 0.01
    max_4xx_rate: float = 0.05
    # ModelLatency p99 (the model's own time, without SageMaker's overhead).
    max_model_latency_p99_ms: int = 500
    # Provisioned endpoints only. CPU is a percentage of the whole instance (all its vCPUs);
    # the stack scales it to SageMaker's per-core sum.
    max_cpu_utilization_percent: float = 80.0
    max_memory_utilization_percent: float = 85.0
    max_disk_utilization_percent: float = 80.0
    # Optional: alarm when the endpoint received no request at all for this long.
    no_invocations_minutes: int | None = None

    def check(self) -> None:
        _check_period("period_minutes", self.period_minutes)
        _check_evaluation("evaluation_periods", self.evaluation_periods, self.period_minutes)
        _check_fraction("max_5xx_rate", self.max_5xx_rate)
        _check_fraction("max_4xx_rate", self.max_4xx_rate)
        _check_at_least("max_model_latency_p99_ms", self.max_model_latency_p99_ms, 1)
        _check_percent("max_cpu_utilization_percent", self.max_cpu_utilization_percent)
        _check_percent("max_memory_utilization_percent", self.max_memory_utilization_percent)
        _check_percent("max_disk_utilization_percent", self.max_disk_utilization_percent)
        if self.no_invocations_minutes is not None:
            _check_period("no_invocations_minutes", self.no_invocations_minutes)


@dataclass(frozen=True)
class DriftConfig:
    """The scheduled comparison of captured requests and predictions with the training baseline.

    Runs only where the endpoint captures data (provisioned serving); see the monitoring stack.
    """

    enabled: bool = True
    # CloudWatch namespace of the drift figures (dimension EndpointName, and Feature per feature).
    namespace: str = "MlPlatform/Drift"
    # The job runs every window_hours and compares the captures of the last window_hours.
    window_hours: int = 24
    # Fewer captured records than this: the job reports the count but no PSI (too noisy).
    min_records: int = 200
    # Population stability index: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant.
    max_feature_psi: float = 0.2
    max_prediction_psi: float = 0.2
    # Share of captured records with at least one field outside the data contract.
    max_out_of_contract_share: float = 0.01
    instance_type: str = "ml.t3.medium"
    volume_size_gb: int = 10
    max_runtime_minutes: int = 30

    def check(self) -> None:
        if not _NAMESPACE.match(self.namespace):
            raise SettingError(
                "namespace",
                f"must be a custom CloudWatch namespace (not AWS/...), got {self.namespace!r}",
            )
        if not 1 <= self.window_hours <= 24:
            raise SettingError("window_hours", f"must be 1..24, got {self.window_hours}")
        _check_at_least("min_records", self.min_records, 1)
        for key in ("max_feature_psi", "max_prediction_psi"):
            _check_at_least(key, getattr(self, key), 0.01)
        _check_fraction("max_out_of_contract_share", self.max_out_of_contract_share)
        if not _INSTANCE_TYPE.match(self.instance_type):
            raise SettingError(
                "instance_type",
                f"must be a SageMaker instance type like 'ml.t3.medium', "
                f"got {self.instance_type!r}",
            )
        if not 1 <= self.volume_size_gb <= 16384:
            raise SettingError("volume_size_gb", f"must be 1..16384, got {self.volume_size_gb}")
        if not 1 <= self.max_runtime_minutes <= 24 * 60:
            raise SettingError(
                "max_runtime_minutes", f"must be 1..1440, got {self.max_runtime_minutes}"
            )


@dataclass(frozen=True)
class MonitoringConfig:
    ingestion: IngestionAlarmsConfig = field(default_factory=IngestionAlarmsConfig)
    serving: ServingAlarmsConfig = field(default_factory=ServingAlarmsConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
