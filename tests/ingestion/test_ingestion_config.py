"""The ingestion section of the stage config: defaults, derived values, impossible settings."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config
from stacks.config.ingestion import IngestionConfig

STAGES = cdk_json_context()["ml-platform:stages"]


def _parse(**ingestion):
    stages = copy.deepcopy(STAGES)
    stages["prod"]["ingestion"] = {**stages["prod"].get("ingestion", {}), **ingestion}
    return parse_stage_config("prod", stages).ingestion


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_sets_its_ingestion_section(stage):
    assert "ingestion" in STAGES[stage], "dev and prod state their values in cdk.json"
    config = parse_stage_config(stage, STAGES).ingestion
    assert config == IngestionConfig(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in STAGES[stage]["ingestion"].items()
        }
    )


def test_visibility_timeout_is_six_function_timeouts_plus_the_batching_window():
    config = IngestionConfig(timeout_seconds=120, max_batching_window_seconds=20, batch_size=50)
    assert config.visibility_timeout_seconds == 6 * 120 + 20


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"memory_mb": 64}, r"ingestion\.memory_mb: must be 128\.\.10240, got 64"),
        ({"timeout_seconds": 901}, r"ingestion\.timeout_seconds: must be 1\.\.900, got 901"),
        ({"reserved_concurrency": 1}, r"ingestion\.reserved_concurrency: must be >= 2"),
        ({"max_receive_count": 0}, r"ingestion\.max_receive_count: must be 1\.\.1000, got 0"),
        (
            {"batch_size": 11, "max_batching_window_seconds": 0},
            r"ingestion\.batch_size: must be 1\.\.10 with max_batching_window_seconds=0",
        ),
        (
            {"max_batching_window_seconds": 301},
            r"ingestion\.max_batching_window_seconds: must be 0\.\.300, got 301",
        ),
        # A dead-lettered message keeps its enqueue time: 7 of the DLQ's 14 days must remain.
        ({"message_retention_days": 8}, r"ingestion\.message_retention_days: must be 1\.\.7"),
        ({"max_file_mb": 5121}, r"ingestion\.max_file_mb: must be 1\.\.5120, got 5121"),
        ({"min_rows": 10, "max_rows": 5}, r"ingestion\.max_rows: must be >= min_rows \(10\)"),
        ({"notify_emails": ["data-team"]}, r"ingestion\.notify_emails\[0\]: must be an email"),
        ({"memory_mb": "1024"}, r"ingestion\.memory_mb: must be an integer"),
        ({"batch": 1}, r"ingestion\.batch: unknown key"),
    ],
)
def test_impossible_settings_fail_with_the_stage_and_key(settings, expected):
    with pytest.raises(ConfigError, match=rf"stage 'prod': {expected}"):
        _parse(**settings)


def test_messages_must_outlive_all_their_deliveries():
    # 3 deliveries x (6 x 900 s) = 16200 s: fits in 1 day ...
    assert _parse(timeout_seconds=900, max_receive_count=3, message_retention_days=1)
    # ... 20 deliveries (108000 s) do not: the message would expire before being dead-lettered.
    with pytest.raises(ConfigError, match=r"message_retention_days: must exceed max_receive"):
        _parse(timeout_seconds=900, max_receive_count=20, message_retention_days=1)


def test_a_batching_window_allows_larger_batches():
    config = _parse(batch_size=100, max_batching_window_seconds=5)
    assert (config.batch_size, config.max_batching_window_seconds) == (100, 5)
