"""The network section: per-stage switch, checked values, cost table, endpoints the code needs."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config
from stacks.config.network import (
    GATEWAY_ENDPOINTS,
    INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ,
    INTERFACE_ENDPOINTS,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Code that runs inside the VPC when the network is on, and the boto3 clients it creates.
CODE_IN_VPC = (
    REPO_ROOT / "lambdas" / "validator" / "handler.py",
    REPO_ROOT / "training_scripts" / "drift.py",
)
# boto3 client name -> the VPC endpoint service that serves it.
ENDPOINT_OF_CLIENT = {
    "s3": "s3",
    "dynamodb": "dynamodb",
    "sagemaker": "sagemaker.api",
    "sagemaker-runtime": "sagemaker.runtime",
    "sns": "sns",
    "sqs": "sqs",
    "cloudwatch": "monitoring",
    "logs": "logs",
    "kms": "kms",
    "sts": "sts",
    "events": "events",
    "ecr": "ecr.api",
}


def _stages():
    return copy.deepcopy(cdk_json_context()["ml-platform:stages"])


def _clients_called() -> set[str]:
    names: set[str] = set()
    for path in CODE_IN_VPC:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"client\(\s*\"([a-z0-9-]+)\"", text))
        # drift.py creates its clients in a loop over a tuple of names
        for group in re.findall(r"for name in \(([^)]*)\)", text):
            names |= set(re.findall(r"\"([a-z0-9-]+)\"", group))
    return names


def test_prod_has_the_network_and_dev_does_not():
    stages = _stages()
    assert parse_stage_config("prod", stages).network.enabled is True
    assert parse_stage_config("dev", stages).network.enabled is False


def test_every_client_the_code_in_the_vpc_creates_has_an_endpoint_and_no_endpoint_is_spare():
    clients = _clients_called()
    assert clients == {"s3", "sagemaker", "sns", "dynamodb", "cloudwatch"}
    needed = {ENDPOINT_OF_CLIENT[client] for client in clients}
    provided = {need.service for need in (*GATEWAY_ENDPOINTS, *INTERFACE_ENDPOINTS)}
    assert provided == needed


def test_gateway_endpoints_are_free_and_interface_endpoints_cost_7_30_a_month_per_az():
    assert {need.service for need in GATEWAY_ENDPOINTS} == {"s3", "dynamodb"}
    assert all(need.monthly_usd_per_az == 0 for need in GATEWAY_ENDPOINTS)
    assert pytest.approx(0.01 * 730) == INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ
    assert all(
        need.monthly_usd_per_az == INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ
        for need in INTERFACE_ENDPOINTS
    )


def test_idle_cost_per_stage():
    stages = _stages()
    prod = parse_stage_config("prod", stages).network
    # three interface endpoints in each AZ, and the flow logs' key
    assert prod.monthly_idle_cost_usd == pytest.approx(3 * prod.max_azs * 7.30 + 1.00)
    assert prod.monthly_idle_cost_usd == pytest.approx(44.80)
    assert parse_stage_config("dev", stages).network.monthly_idle_cost_usd == 0


def test_a_serverless_stage_with_a_network_is_refused_before_synth():
    stages = _stages()
    stages["dev"]["network"] = {"enabled": True}
    assert stages["dev"]["serving"]["mode"] == "serverless"
    with pytest.raises(ConfigError, match=r"stage 'dev': serving\.mode: serverless endpoints"):
        parse_stage_config("dev", stages)
    stages["dev"]["serving"] = {"mode": "provisioned"}
    assert parse_stage_config("dev", stages).network.enabled is True


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"enabled": True, "max_azs": 1}, "network.max_azs: must be 2..6"),
        ({"enabled": True, "cidr": "10.40.0.0"}, "network.cidr: must be an IPv4 CIDR"),
        ({"enabled": True, "cidr": "10.40.0.0/8"}, "network.cidr: must be an IPv4 CIDR"),
        ({"enabled": "yes"}, "network.enabled"),
        ({"enabled": True, "nat": True}, "network.nat: unknown key"),
        (
            {"enabled": True, "break_glass_role_names": ["role/admin"]},
            "network.break_glass_role_names[0]: must be an IAM role name",
        ),
        (
            {"enabled": True, "deployment_role_names": ["ok", "*"]},
            "network.deployment_role_names[1]: must be an IAM role name",
        ),
        (
            {"enabled": True, "deployment_role_names": ["cdk-*-exec"]},
            "network.deployment_role_names[0]: must be an IAM role name",
        ),
        (
            {"enabled": True, "deployment_role_names": ["r" * 65]},
            "network.deployment_role_names[0]: must be an IAM role name",
        ),
    ],
)
def test_impossible_settings_name_the_key(settings, message):
    stages = _stages()
    stages["prod"]["network"] = settings
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_stage_config("prod", stages)
