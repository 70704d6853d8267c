"""The validator function's configuration, read once from its environment at cold start.

Every variable is parsed into a typed field; a missing or malformed one raises ``SettingsError``
naming the variable, so a misconfigured deployment fails loudly on its first event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .validation import MIB, ValidationLimits

# copy_object copies at most 5 GiB in one request; larger files would need a multipart copy.
MAX_COPYABLE_BYTES = 5 * 1024 * MIB
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 14 * 24 * 3600  # SQS keeps a message at most 14 days


class SettingsError(ValueError):
    """The environment is missing a variable or holds an invalid value."""


@dataclass(frozen=True)
class Settings:
    raw_bucket: str
    upload_prefix: str
    curated_bucket: str
    curated_prefix: str
    curated_kms_key_id: str
    quarantine_bucket: str
    quarantine_prefix: str
    quarantine_kms_key_id: str
    pipeline_name: str
    alert_topic_arn: str
    idempotency_table: str
    idempotency_ttl_seconds: int
    metrics_namespace: str  # read by Powertools Metrics itself; checked here to fail early
    limits: ValidationLimits

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        read = _Reader(environ)
        fields = {
            "raw_bucket": read.text("RAW_BUCKET_NAME"),
            "upload_prefix": read.prefix("UPLOAD_PREFIX", "incoming/"),
            "curated_bucket": read.text("CURATED_BUCKET_NAME"),
            "curated_prefix": read.prefix("CURATED_PREFIX", "validated/"),
            "curated_kms_key_id": read.text("CURATED_KMS_KEY_ID"),
            "quarantine_bucket": read.text("QUARANTINE_BUCKET_NAME"),
            "quarantine_prefix": read.prefix("QUARANTINE_PREFIX", "quarantine/"),
            "quarantine_kms_key_id": read.text("QUARANTINE_KMS_KEY_ID"),
            "pipeline_name": read.text("PIPELINE_NAME"),
            "alert_topic_arn": read.text("ALERT_TOPIC_ARN", must_start="arn:"),
            "idempotency_table": read.text("IDEMPOTENCY_TABLE_NAME"),
            "idempotency_ttl_seconds": read.positive_int(
                "IDEMPOTENCY_TTL_SECONDS", DEFAULT_IDEMPOTENCY_TTL_SECONDS
            ),
            "metrics_namespace": read.text("POWERTOOLS_METRICS_NAMESPACE"),
        }
        defaults = ValidationLimits()
        limits = {
            "max_bytes": read.positive_int(
                "MAX_FILE_BYTES", defaults.max_bytes, upper=MAX_COPYABLE_BYTES
            ),
            "min_rows": read.positive_int("MIN_ROWS", defaults.min_rows),
            "max_rows": read.positive_int("MAX_ROWS", defaults.max_rows),
        }
        if limits["min_rows"] > limits["max_rows"]:
            read.error(f"MIN_ROWS ({limits['min_rows']}) exceeds MAX_ROWS ({limits['max_rows']})")
        read.raise_errors()
        return cls(**fields, limits=ValidationLimits(**limits))


class _Reader:
    """Collects every problem of the environment, so one error message lists them all."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._errors: list[str] = []

    def text(self, name: str, *, must_start: str = "") -> str:
        value = self._environ.get(name, "").strip()
        if not value:
            self._errors.append(f"{name} is missing or empty")
        elif must_start and not value.startswith(must_start):
            self._errors.append(f"{name} must start with {must_start!r}, got {value!r}")
        return value

    def prefix(self, name: str, default: str) -> str:
        value = self._environ.get(name, default).strip()
        if not value.endswith("/") or value.startswith("/"):
            # The trailing slash keeps "incoming/" from matching "incoming-old/...".
            self._errors.append(f"{name} must be a key prefix ending in '/', got {value!r}")
        return value

    def positive_int(self, name: str, default: int, *, upper: int | None = None) -> int:
        raw = self._environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            self._errors.append(f"{name} must be an integer, got {raw!r}")
            return default
        if value < 1:
            self._errors.append(f"{name} must be positive, got {value}")
            return default
        if upper is not None and value > upper:
            self._errors.append(f"{name} must be at most {upper}, got {value}")
            return default
        return value

    def error(self, message: str) -> None:
        self._errors.append(message)

    def raise_errors(self) -> None:
        if self._errors:
            raise SettingsError("invalid validator environment: " + "; ".join(self._errors))
