"""Settings of the data-privacy layer: buckets, lifecycle, log retention."""

from __future__ import annotations

from dataclasses import dataclass

from .parsing import SettingError

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


@dataclass(frozen=True)
class DataConfig:
    # Old object versions are kept this long after being overwritten or deleted: the window in
    # which a bad upload or an accidental delete can be undone.
    noncurrent_version_expiration_days: int = 90
    # Parts of an abandoned multipart upload are billed until removed.
    abort_incomplete_multipart_upload_days: int = 7
    # S3 server access logs (who touched which object) are kept this long.
    access_log_retention_days: int = 365
    # Value of the data-classification tag on every resource.
    data_classification: str = "confidential-student-records"

    def check(self) -> None:
        for key in (
            "noncurrent_version_expiration_days",
            "abort_incomplete_multipart_upload_days",
            "access_log_retention_days",
        ):
            value = getattr(self, key)
            if value < 1:
                raise SettingError(key, f"must be >= 1, got {value}")
        if not self.data_classification.strip():
            raise SettingError("data_classification", "must not be empty")


@dataclass(frozen=True)
class LogsConfig:
    # Retention of every CloudWatch log group the platform creates.
    retention_days: int = 90

    def check(self) -> None:
        if self.retention_days not in LOG_RETENTION_DAYS:
            raise SettingError(
                "retention_days",
                f"must be one of CloudWatch's periods {list(LOG_RETENTION_DAYS)}, "
                f"got {self.retention_days}",
            )
