"""The function's environment is parsed once, into typed settings, with clear errors."""

from __future__ import annotations

import pytest

from validator.settings import MAX_COPYABLE_BYTES, Settings, SettingsError
from validator.validation import ValidationLimits

COMPLETE = {
    "RAW_BUCKET_NAME": "raw",
    "CURATED_BUCKET_NAME": "curated",
    "CURATED_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1",
    "QUARANTINE_BUCKET_NAME": "quarantine",
    "QUARANTINE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1",
    "PIPELINE_NAME": "training",
    "ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:alerts",
    "IDEMPOTENCY_TABLE_NAME": "idempotency",
    "POWERTOOLS_METRICS_NAMESPACE": "ml-platform/ingestion",
}


def test_a_complete_environment_gives_typed_settings_with_defaults() -> None:
    settings = Settings.from_environment(COMPLETE)
    assert settings.raw_bucket == "raw"
    assert (settings.upload_prefix, settings.curated_prefix, settings.quarantine_prefix) == (
        "incoming/",
        "validated/",
        "quarantine/",
    )
    assert settings.limits == ValidationLimits()
    assert settings.idempotency_ttl_seconds == 14 * 24 * 3600


def test_limits_are_read_as_integers() -> None:
    environ = {**COMPLETE, "MAX_FILE_BYTES": "1000", "MIN_ROWS": "10", "MAX_ROWS": "20"}
    limits = Settings.from_environment(environ).limits
    assert (limits.max_bytes, limits.min_rows, limits.max_rows) == (1000, 10, 20)


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_missing_variable_is_named(missing: str) -> None:
    environ = {name: value for name, value in COMPLETE.items() if name != missing}
    with pytest.raises(SettingsError, match=f"{missing} is missing or empty"):
        Settings.from_environment(environ)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_ROWS", "many", "MAX_ROWS must be an integer, got 'many'"),
        ("MIN_ROWS", "0", "MIN_ROWS must be positive, got 0"),
        ("MAX_FILE_BYTES", str(MAX_COPYABLE_BYTES + 1), "MAX_FILE_BYTES must be at most"),
        ("UPLOAD_PREFIX", "incoming", "UPLOAD_PREFIX must be a key prefix ending in '/'"),
        ("ALERT_TOPIC_ARN", "alerts", "ALERT_TOPIC_ARN must start with 'arn:'"),
        ("MIN_ROWS", "50", "MIN_ROWS (50) exceeds MAX_ROWS (20)"),
    ],
)
def test_an_invalid_value_is_named(name: str, value: str, message: str) -> None:
    environ = {**COMPLETE, "MAX_ROWS": "20", name: value}
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment(environ)
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({"MAX_ROWS": "x"})
    text = str(raised.value)
    assert "RAW_BUCKET_NAME is missing" in text
    assert "PIPELINE_NAME is missing" in text
    assert "MAX_ROWS must be an integer" in text
