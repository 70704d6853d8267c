"""Idle cost: the total is the sum of its lines; hand-written resources priced exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.audit.builders import ref, resource, write_assembly
from tools.audit.assembly import load_assembly
from tools.audit.cost import CostEstimate, PriceTableError, idle_cost, load_prices
from tools.audit.intrinsics import Resolver
from tools.audit.report import Audit

STACK = "S-dev-Cost"


def test_the_price_table_loads_with_sources_and_dates() -> None:
    table = load_prices()
    assert table.region == "us-east-1" and table.hours_per_month == 730
    assert table.prices["kms.customer_managed_key"].usd == Decimal("1.0")
    assert all(p.source.startswith("https://aws.amazon.com/") for p in table.prices.values())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"usd": -1, "unit": "u", "source": "https://x", "checked": "2026-01-01"},
            "must be a number >= 0",
        ),
        (
            {"usd": 1, "unit": "u", "source": "http://x", "checked": "2026-01-01"},
            "must be an https URL",
        ),
        ({"usd": 1, "unit": "u", "source": "https://x", "checked": "yesterday"}, "must be a date"),
        ({"usd": 1, "unit": "u", "checked": "2026-01-01"}, "missing 'source'"),
    ],
)
def test_a_malformed_price_is_named(tmp_path: Path, entry: dict[str, object], message: str) -> None:
    path = tmp_path / "prices.json"
    table = {
        "region": "r",
        "currency": "USD",
        "hours_per_month": 730,
        "prices": {"bad.price": entry},
    }
    path.write_text(json.dumps(table), encoding="utf-8")
    with pytest.raises(PriceTableError, match=rf"prices\.bad\.price.*{message}"):
        load_prices(path)


def _assert_total_is_the_sum(cost: CostEstimate) -> None:
    priced = [line.monthly for line in cost.lines if line.monthly is not None]
    assert cost.total == sum(priced, Decimal(0))
    assert sum(cost.by_stack().values(), Decimal(0)) == cost.total


def test_real_app_total_equals_the_sum_of_its_lines(stage_audit: Audit) -> None:
    cost = stage_audit.cost
    _assert_total_is_the_sum(cost)
    assert len(cost.lines) == sum(1 for _ in stage_audit.assembly.resources())
    keys = [line for line in cost.lines if line.resource.type == "AWS::KMS::Key"]
    assert keys and all(line.monthly == Decimal("1.00") for line in keys)
    assert cost.total >= len(keys)
    # every resource the platform synthesizes is priced or known to be free while idle
    assert cost.unpriced == [], [line.resource.address for line in cost.unpriced]


def _estimate(tmp_path: Path, resources: dict[str, dict[str, object]]) -> dict[str, Decimal | None]:
    directory = write_assembly(tmp_path, {STACK: {"Resources": resources}})
    assembly = load_assembly(directory)
    cost = idle_cost(assembly, Resolver(assembly), load_prices())
    _assert_total_is_the_sum(cost)
    return {line.resource.logical_id: line.monthly for line in cost.lines}


def _variant(instance_type: str, count: int) -> dict[str, object]:
    return {
        "VariantName": "AllTraffic",
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
    }


def test_endpoints_cost_their_instances_at_rest(tmp_path: Path) -> None:
    lines = _estimate(
        tmp_path,
        {
            "Config1": resource(
                "AWS::SageMaker::EndpointConfig", ProductionVariants=[_variant("ml.m5.large", 2)]
            ),
            "Endpoint1": resource(
                "AWS::SageMaker::Endpoint",
                EndpointConfigName={"Fn::GetAtt": ["Config1", "EndpointConfigName"]},
            ),
            "Scaled1": resource(
                "AWS::SageMaker::EndpointConfig", ProductionVariants=[_variant("ml.m5.large", 3)]
            ),
            "ScaledEndpoint1": resource(
                "AWS::SageMaker::Endpoint",
                EndpointConfigName={"Fn::GetAtt": ["Scaled1", "EndpointConfigName"]},
            ),
            "Target1": resource(
                "AWS::ApplicationAutoScaling::ScalableTarget",
                ServiceNamespace="sagemaker",
                MinCapacity=1,
                MaxCapacity=4,
                ResourceId={
                    "Fn::Join": [
                        "",
                        [
                            "endpoint/",
                            {"Fn::GetAtt": ["ScaledEndpoint1", "EndpointName"]},
                            "/variant/AllTraffic",
                        ],
                    ]
                },
            ),
            "Serverless1": resource(
                "AWS::SageMaker::EndpointConfig",
                ProductionVariants=[
                    {"VariantName": "a", "ServerlessConfig": {"MaxConcurrency": 5}}
                ],
            ),
            "ServerlessEndpoint1": resource(
                "AWS::SageMaker::Endpoint",
                EndpointConfigName={"Fn::GetAtt": ["Serverless1", "EndpointConfigName"]},
            ),
            "Exotic1": resource(
                "AWS::SageMaker::EndpointConfig", ProductionVariants=[_variant("ml.p5.48xlarge", 1)]
            ),
            "ExoticEndpoint1": resource(
                "AWS::SageMaker::Endpoint",
                EndpointConfigName={"Fn::GetAtt": ["Exotic1", "EndpointConfigName"]},
            ),
        },
    )
    assert lines["Endpoint1"] == Decimal("167.90")  # 2 x $0.115 x 730 h
    assert lines["ScaledEndpoint1"] == Decimal("83.95")  # idles at the autoscaling minimum
    assert lines["ServerlessEndpoint1"] == Decimal("0.00")
    assert lines["ExoticEndpoint1"] is None  # unpriced, listed, not counted as $0
    assert lines["Config1"] == Decimal("0.00")  # billed through its endpoint


def test_monitoring_network_and_secrets(tmp_path: Path) -> None:
    metric = {
        "MetricStat": {"Metric": {"MetricName": "m", "Namespace": "n"}, "Period": 60, "Stat": "Sum"}
    }
    lines = _estimate(
        tmp_path,
        {
            "Alarm1": resource("AWS::CloudWatch::Alarm", MetricName="Errors", Period=300),
            "MathAlarm1": resource(
                "AWS::CloudWatch::Alarm",
                Metrics=[metric, metric, {"Id": "e", "Expression": "m1+m2"}],
            ),
            "FastAlarm1": resource("AWS::CloudWatch::Alarm", MetricName="Errors", Period=10),
            "AnomalyAlarm1": resource(
                "AWS::CloudWatch::Alarm",
                ThresholdMetricId="band",
                Metrics=[metric, {"Id": "band", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}],
            ),
            "Composite1": resource("AWS::CloudWatch::CompositeAlarm", AlarmRule="ALARM(a)"),
            "Dashboard1": resource("AWS::CloudWatch::Dashboard", DashboardBody="{}"),
            "Interface1": resource(
                "AWS::EC2::VPCEndpoint",
                VpcEndpointType="Interface",
                SubnetIds=[ref("SubnetA"), ref("SubnetB")],
            ),
            "Gateway1": resource("AWS::EC2::VPCEndpoint", VpcEndpointType="Gateway"),
            "Nat1": resource("AWS::EC2::NatGateway"),
            "SubnetA": resource("AWS::EC2::Subnet"),
            "SubnetB": resource("AWS::EC2::Subnet"),
            "Secret1": resource("AWS::SecretsManager::Secret"),
            "Key1": resource("AWS::KMS::Key"),
            "Unknown1": resource("AWS::Foo::Bar"),
        },
    )
    assert lines["Alarm1"] == Decimal("0.10")
    assert lines["MathAlarm1"] == Decimal("0.20")
    assert lines["FastAlarm1"] == Decimal("0.30")
    assert lines["AnomalyAlarm1"] == Decimal("0.30")
    assert lines["Composite1"] == Decimal("0.50")
    assert lines["Dashboard1"] == Decimal("3.00")
    assert lines["Interface1"] == Decimal("14.60")  # 2 AZs x $0.01 x 730 h
    assert lines["Gateway1"] == Decimal("0.00")
    assert lines["Nat1"] == Decimal("32.85")
    assert lines["Secret1"] == Decimal("0.40")
    assert lines["Key1"] == Decimal("1.00")
    assert lines["Unknown1"] is None
