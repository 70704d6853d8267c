"""The workspace section: off in dev, on in prod, and one-line errors for impossible values."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config


def _stages():
    return copy.deepcopy(cdk_json_context()["ml-platform:stages"])


def _parse(stage: str, **workspace):
    stages = _stages()
    stages[stage]["workspace"] = workspace
    return parse_stage_config(stage, stages)


def test_enabled_without_the_network_names_workspace_enabled():
    with pytest.raises(ConfigError) as error:
        _parse("dev", enabled=True)
    assert str(error.value) == (
        "stage 'dev': workspace.enabled: needs network.enabled: "
        "the Studio domain runs only inside the private VPC"
    )
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("minutes", [59, 525_601, 0])
def test_idle_shutdown_outside_sagemakers_range_is_rejected(minutes):
    with pytest.raises(ConfigError) as error:
        _parse("prod", enabled=True, idle_shutdown_minutes=minutes)
    assert str(error.value) == (
        "stage 'prod': workspace.idle_shutdown_minutes: must be 60..525600 "
        f"(SageMaker's idle shutdown range), got {minutes}"
    )


@pytest.mark.parametrize("minutes", [60, 525_600])
def test_idle_shutdown_bounds_are_accepted(minutes):
    assert (
        _parse("prod", enabled=True, idle_shutdown_minutes=minutes).workspace.idle_shutdown_minutes
        == minutes
    )


@pytest.mark.parametrize("name", ["-alice", "alice_b", "alice.b", "a" * 64, ""])
def test_user_profile_names_follow_sagemakers_pattern(name):
    with pytest.raises(ConfigError) as error:
        _parse("prod", enabled=True, user_profiles=["ok-name", name])
    message = str(error.value)
    assert message.startswith("stage 'prod': workspace.user_profiles[1]: must match ")
    assert message.endswith(f"got {name!r}")


def test_valid_and_duplicate_user_profile_names():
    names = ["alice", "Bob--2", "a" * 63]
    assert _parse("prod", enabled=True, user_profiles=names).workspace.user_profiles == tuple(names)
    with pytest.raises(ConfigError, match=r"workspace\.user_profiles\[2\]: duplicate name 'alice'"):
        _parse("prod", enabled=True, user_profiles=["alice", "bob", "alice"])


def test_profiles_must_be_a_list_of_names():
    with pytest.raises(ConfigError, match=r"workspace\.user_profiles: must be a list"):
        _parse("prod", enabled=True, user_profiles="alice")


def test_a_domain_without_running_apps_has_no_fixed_monthly_cost():
    stages = _stages()
    assert parse_stage_config("prod", stages).workspace.monthly_idle_cost_usd == 0.0
