"""Settings of the training pipeline: job sizes, hyperparameters, the quality gate, caching.

They become the defaults of the pipeline's parameters (instance types and counts, thresholds,
approval status), which an operator may override for one execution without a deployment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .parsing import SettingError

_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
# ISO 8601 duration as SageMaker's CacheConfig ExpireAfter takes it: P30D, PT12H, P1DT6H ...
_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$")
# SageMaker's own limits: processing jobs run at most 7 days, volumes at most 16 TB.
_MAX_RUNTIME_MINUTES = 7 * 24 * 60
_MAX_VOLUME_GB = 16384
_MAX_INSTANCE_COUNT = 100


def _check_instance_type(key: str, value: str) -> None:
    if not _INSTANCE_TYPE.match(value):
        raise SettingError(
            key, f"must be a SageMaker instance type like 'ml.m5.large', got {value!r}"
        )


@dataclass(frozen=True)
class JobConfig:
    """One SageMaker job of the pipeline (processing or training)."""

    instance_type: str = "ml.m5.large"
    # More than 1: preprocessing shards the input files across instances (ShardedByS3Key);
    # training runs the script on every instance (each sees the full training split).
    instance_count: int = 1
    volume_size_gb: int = 30
    # The job is stopped after this long: a hung job costs at most this much.
    max_runtime_minutes: int = 60

    def check(self) -> None:
        _check_instance_type("instance_type", self.instance_type)
        if not 1 <= self.instance_count <= _MAX_INSTANCE_COUNT:
            raise SettingError(
                "instance_count", f"must be 1..{_MAX_INSTANCE_COUNT}, got {self.instance_count}"
            )
        if not 1 <= self.volume_size_gb <= _MAX_VOLUME_GB:
            raise SettingError(
                "volume_size_gb", f"must be 1..{_MAX_VOLUME_GB}, got {self.volume_size_gb}"
            )
        if not 1 <= self.max_runtime_minutes <= _MAX_RUNTIME_MINUTES:
            raise SettingError(
                "max_runtime_minutes",
                f"must be 1..{_MAX_RUNTIME_MINUTES} (7 days), got {self.max_runtime_minutes}",
            )


@dataclass(frozen=True)
class EvaluateJobConfig(JobConfig):
    """The evaluation job: one instance, because it writes one report for the whole test split."""

    def check(self) -> None:
        super().check()
        if self.instance_count != 1:
            raise SettingError(
                "instance_count",
                f"must be 1 (one report per evaluation), got {self.instance_count}",
            )


@dataclass(frozen=True)
class HyperparametersConfig:
    """train.py's hyperparameters (passed as --n-estimators, --learning-rate, ...)."""

    n_estimators: int = 200
    learning_rate: float = 0.05
    max_depth: int = 3
    seed: int = 0

    def check(self) -> None:
        if self.n_estimators < 1:
            raise SettingError("n_estimators", f"must be >= 1, got {self.n_estimators}")
        if not 0 < self.learning_rate <= 1:
            raise SettingError("learning_rate", f"must be in (0, 1], got {self.learning_rate}")
        if self.max_depth < 1:
            raise SettingError("max_depth", f"must be >= 1, got {self.max_depth}")

    def as_arguments(self) -> dict[str, str]:
        return {
            "n-estimators": str(self.n_estimators),
            "learning-rate": repr(self.learning_rate),
            "max-depth": str(self.max_depth),
            "seed": str(self.seed),
        }


@dataclass(frozen=True)
class QualityGateConfig:
    """What a model must reach on the test split before it is registered for approval.

    Both in grade points (G3 is 0..20): the RMSE of the predictions, and the largest difference
    in RMSE between groups of one sensitive attribute (evaluation.json fairness.largest_gap).
    """

    max_rmse: float = 2.5
    max_fairness_gap: float = 1.0

    def check(self) -> None:
        for key in ("max_rmse", "max_fairness_gap"):
            value = getattr(self, key)
            if not 0 < value <= 20:
                raise SettingError(key, f"must be in (0, 20] grade points, got {value}")


@dataclass(frozen=True)
class PipelineConfig:
    preprocess: JobConfig = field(default_factory=JobConfig)
    train: JobConfig = field(default_factory=JobConfig)
    evaluate: EvaluateJobConfig = field(default_factory=EvaluateJobConfig)
    hyperparameters: HyperparametersConfig = field(default_factory=HyperparametersConfig)
    quality_gate: QualityGateConfig = field(default_factory=QualityGateConfig)
    # Status of a newly registered model. Only a person should approve a production model.
    model_approval_status: Literal["PendingManualApproval", "Approved"] = "PendingManualApproval"
    # A step whose inputs, code and settings did not change reuses its last result this long.
    cache_expire_after: str = "P30D"
    # Instance types the registered model declares it can be served on.
    inference_instance_types: tuple[str, ...] = ("ml.m5.large",)
    transform_instance_types: tuple[str, ...] = ("ml.m5.large",)

    def check(self) -> None:
        if not _ISO_DURATION.match(self.cache_expire_after):
            raise SettingError(
                "cache_expire_after",
                "must be an ISO 8601 duration like 'P30D' or 'PT12H', "
                f"got {self.cache_expire_after!r}",
            )
        for key in ("inference_instance_types", "transform_instance_types"):
            values = getattr(self, key)
            if not values:
                raise SettingError(key, "must list at least one instance type")
            for position, value in enumerate(values):
                _check_instance_type(f"{key}[{position}]", value)
