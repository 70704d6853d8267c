"""The definition builder needs no network, no credentials and no host configuration."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.pipeline import offline_sdk
from stacks.pipeline.offline_sdk import OfflineBuildError
from stacks.pipeline.offline_sdk import offline_sdk as offline

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("offline_build_runner.py")


@pytest.fixture(scope="module")
def isolated_build(tmp_path_factory) -> dict:
    """One build in a fresh interpreter in a network namespace of its own (no interfaces up)."""
    unshare = shutil.which("unshare")
    assert unshare, "util-linux unshare is needed to cut the network (apt-get install util-linux)"
    home = tmp_path_factory.mktemp("home")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": str(REPO_ROOT),
        # A host that would make the SDK or botocore reach out if they consulted it.
        "AWS_PROFILE": "does-not-exist",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [unshare, "--net", sys.executable, str(RUNNER)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-3000:]}"
    return json.loads(result.stdout)  # stdout must be the JSON alone: the SDK's logs are muted


def _jobs(definition: dict) -> list[dict]:
    return [step for step in definition["Steps"] if step["Type"] in ("Processing", "Training")]


def test_builds_without_network_and_identically_twice(isolated_build):
    assert isolated_build["identical"] is True
    assert [step["Name"] for step in isolated_build["definition"]["Steps"]] == [
        "Preprocess", "Train", "Evaluate", "QualityGate",
    ]  # fmt: skip


def test_network_spec_places_every_job_in_the_vpc(isolated_build):
    expected = {"Subnets": ["subnet-0aaa", "subnet-0bbb"], "SecurityGroupIds": ["sg-0ccc"]}
    for job in _jobs(isolated_build["definition"]):
        arguments = job["Arguments"]
        vpc = arguments.get("VpcConfig") or arguments["NetworkConfig"]["VpcConfig"]
        assert vpc == expected, job["Name"]


def test_multi_instance_counts_become_parameter_defaults(isolated_build):
    defaults = {
        p["Name"]: p.get("DefaultValue") for p in isolated_build["definition"]["Parameters"]
    }
    assert defaults["PreprocessInstanceCount"] == 3
    assert defaults["TrainInstanceCount"] == 2


def test_guard_reports_a_connection_the_code_swallowed():
    # Loopback only: if the guard were broken this must not leave the machine.
    with pytest.raises(OfflineBuildError, match=r"127\.0\.0\.1"), offline():
        probe = socket.socket()
        with contextlib.suppress(Exception):  # what the SDK's telemetry does with a failure
            probe.connect(("127.0.0.1", 9))
        probe.close()


def test_guard_reports_dns_lookups():
    with pytest.raises(OfflineBuildError, match=r"example\.invalid"), offline():
        socket.getaddrinfo("example.invalid", 443)


def test_environment_sockets_and_logging_are_restored_after_a_build(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "someone")
    monkeypatch.delenv("SAGEMAKER_USER_CONFIG_OVERRIDE", raising=False)
    root_handlers = list(logging.getLogger().handlers)
    connect = socket.socket.connect
    with offline():
        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        assert os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(
            offline_sdk.NO_HOST_DEFAULTS_FILE
        )
        assert socket.socket.connect is not connect
    assert os.environ["AWS_PROFILE"] == "someone"
    assert "SAGEMAKER_USER_CONFIG_OVERRIDE" not in os.environ
    assert socket.socket.connect is connect
    assert logging.getLogger().handlers == root_handlers


def test_session_opts_out_of_telemetry_and_ignores_host_config_files():
    assert offline_sdk.SDK_CONFIG["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True
    with offline():
        session = offline_sdk.pipeline_session("eu-west-1")
    assert session.sagemaker_config is offline_sdk.SDK_CONFIG
    assert session.boto_region_name == "eu-west-1"
    import yaml

    assert yaml.safe_load(offline_sdk.NO_HOST_DEFAULTS_FILE.read_text()) is None
