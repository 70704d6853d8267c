"""Stage configuration: typed parsing, and one-line errors that name the stage and the key."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config

STAGES = cdk_json_context()["ml-platform:stages"]


def _with(stage: str, path: str, value):
    """A copy of cdk.json's stages with one setting changed (path like 'data.x')."""
    stages = copy.deepcopy(STAGES)
    target = stages[stage]
    *parents, leaf = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value
    return stages


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_in_cdk_json_parses(stage):
    config = parse_stage_config(stage, STAGES)
    assert config.name == stage
    assert config.region == STAGES[stage]["region"]


def test_unset_settings_take_documented_defaults():
    config = parse_stage_config("x", {"x": {"region": "eu-west-1"}})
    assert config.account is None
    assert config.data.abort_incomplete_multipart_upload_days == 7
    assert config.logs.retention_days == 90


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "data.noncurrent_version_expiration_days",
            0,
            r"stage 'prod': data\.noncurrent_version_expiration_days: must be >= 1, got 0",
        ),
        (
            "data.noncurrent_version_expiration_days",
            "30",
            r"stage 'prod': data\.noncurrent_version_expiration_days: must be an integer, got '30'",
        ),
        (
            "data.access_log_retention_days",
            True,
            r"data\.access_log_retention_days: must be an integer, got True",
        ),
        (
            "logs.retention_days",
            2,
            r"stage 'prod': logs\.retention_days: must be one of CloudWatch's periods",
        ),
        ("data.colour", "blue", r"stage 'prod': data\.colour: unknown key"),
        ("surprise", 1, r"stage 'prod': surprise: unknown key"),
        ("region", "Europe", r"stage 'prod': region: must be an AWS region"),
        ("account", "12345", r"stage 'prod': account: must be a 12-digit AWS account id"),
        ("data", [], r"stage 'prod': data: must be an object"),
        ("data.data_classification", "  ", r"data\.data_classification: must not be empty"),
    ],
)
def test_bad_values_fail_with_a_message_naming_stage_and_key(path, value, expected):
    with pytest.raises(ConfigError, match=expected) as error:
        parse_stage_config("prod", _with("prod", path, value))
    assert "\n" not in str(error.value), "one line"


def test_missing_region_is_named():
    with pytest.raises(ConfigError, match=r"stage 'dev': region: is required"):
        parse_stage_config("dev", {"dev": {}})


def test_unknown_stage_lists_the_defined_ones():
    with pytest.raises(ConfigError, match=r"stage 'qa' is not defined .*\(defined: dev, prod\)"):
        parse_stage_config("qa", STAGES)


def test_name_is_taken_from_the_stage_key_not_from_the_object():
    with pytest.raises(ConfigError, match=r"stage 'dev': name: set by the stage's key"):
        parse_stage_config("dev", {"dev": {"region": "us-east-1", "name": "prod"}})


def test_account_is_optional_and_checked_when_given():
    config = parse_stage_config("dev", _with("dev", "account", "123456789012"))
    assert config.account == "123456789012"
