"""Idle cost: what each resource costs per month when nobody uses the platform.

Prices come from ``prices.json`` (us-east-1 list prices, each with its source and the date it was
checked). Every resource gets a line: a price, $0 with the reason it costs nothing idle, or
"unpriced" when the table cannot price it; unpriced lines are listed, never silently counted as
$0. Money is Decimal, so the total is exactly the sum of the lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import pipeline_definition as pipelines
from .assembly import CloudAssembly, Resource
from .intrinsics import Resolver, references_in

DEFAULT_PRICES = Path(__file__).with_name("prices.json")
_CENT = Decimal("0.01")

ASSUMPTIONS = (
    "Idle means no traffic: no uploads, no pipeline executions, no inference requests.",
    "List prices of the price table's region, on demand; no free tier (it is per account and "
    "other workloads may already use it), no savings plans, no taxes.",
    "A month is the price table's hours_per_month (730 h).",
    "Storage-priced resources (S3 buckets, log groups, queues) are empty: $0. Stored data, "
    "requests, KMS API calls, data processed by endpoints and gateways are usage, not idle.",
    "Scheduled work (pipeline runs, monitoring jobs, scheduled rules) is usage: it is not in "
    "the idle total.",
    "A real-time endpoint idles at its autoscaling minimum when it has one, else at its initial "
    "instance count; its ML storage volume (GB-month) is not included.",
    "KMS keys are in their first year: automatic rotation adds $1/month per key in each of the "
    "next two years.",
)

# Types that cost nothing while idle, with the reason.
_FREE_WHEN_IDLE: Mapping[str, str] = {
    "AWS::S3::Bucket": "storage and requests only: $0 when empty",
    "AWS::S3::BucketPolicy": "no charge",
    "AWS::KMS::Alias": "no charge",
    "AWS::SNS::Topic": "requests and deliveries only",
    "AWS::SNS::TopicPolicy": "no charge",
    "AWS::SNS::Subscription": "deliveries only",
    "AWS::SQS::Queue": "requests only",
    "AWS::SQS::QueuePolicy": "no charge",
    "AWS::Lambda::Function": "invocations and duration only",
    "AWS::Lambda::Permission": "no charge",
    "AWS::Lambda::EventSourceMapping": "no charge (polling SQS is free for Lambda)",
    "AWS::Lambda::EventInvokeConfig": "no charge",
    "AWS::Lambda::Alias": "no charge",
    "AWS::Lambda::Version": "no charge",
    "AWS::Lambda::LayerVersion": "no charge",
    "AWS::Lambda::Url": "requests only",
    "AWS::Events::Rule": "events only",
    "AWS::Events::EventBus": "events only",
    "AWS::Events::EventBusPolicy": "no charge",
    "AWS::Scheduler::Schedule": "invocations only",
    "AWS::Logs::LogGroup": "ingestion and storage only: $0 when idle",
    "AWS::Logs::MetricFilter": "no charge",
    "AWS::Logs::SubscriptionFilter": "no charge",
    "AWS::Logs::ResourcePolicy": "no charge",
    "AWS::Logs::LogStream": "no charge",
    "AWS::IAM::Role": "no charge",
    "AWS::IAM::Policy": "no charge",
    "AWS::IAM::ManagedPolicy": "no charge",
    "AWS::IAM::RolePolicy": "no charge",
    "AWS::IAM::InstanceProfile": "no charge",
    "AWS::SageMaker::Pipeline": "job time only",
    "AWS::SageMaker::Model": "no charge",
    "AWS::SageMaker::Domain": (
        "no fixed charge: home EFS storage (per GB stored) and running apps (per instance-hour) "
        "are usage"
    ),
    "AWS::SageMaker::UserProfile": "no charge (its apps are billed while they run)",
    "AWS::SageMaker::ModelPackageGroup": "no charge",
    "AWS::SageMaker::ModelPackage": "no charge",
    "AWS::SageMaker::EndpointConfig": "billed through the endpoint that uses it",
    "AWS::SageMaker::MonitoringSchedule": "job time only (scheduled work)",
    "AWS::SageMaker::DataQualityJobDefinition": "no charge",
    "AWS::SageMaker::ModelQualityJobDefinition": "no charge",
    "AWS::SageMaker::ModelBiasJobDefinition": "no charge",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "no charge",
    "AWS::StepFunctions::StateMachine": "state transitions only",
    "AWS::SSM::Parameter": "standard parameters are free",
    "AWS::ApplicationAutoScaling::ScalableTarget": "no charge",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "no charge",
    "AWS::CloudWatch::AnomalyDetector": "billed through the alarm that uses it",
    "AWS::EC2::VPC": "no charge",
    "AWS::EC2::Subnet": "no charge",
    "AWS::EC2::RouteTable": "no charge",
    "AWS::EC2::Route": "no charge",
    "AWS::EC2::SubnetRouteTableAssociation": "no charge",
    "AWS::EC2::SecurityGroup": "no charge",
    "AWS::EC2::SecurityGroupIngress": "no charge",
    "AWS::EC2::SecurityGroupEgress": "no charge",
    "AWS::EC2::NetworkAcl": "no charge",
    "AWS::EC2::NetworkAclEntry": "no charge",
    "AWS::EC2::SubnetNetworkAclAssociation": "no charge",
    "AWS::EC2::InternetGateway": "no charge (data transfer only)",
    "AWS::EC2::VPCGatewayAttachment": "no charge",
    "AWS::EC2::FlowLog": "log ingestion only",
    "AWS::ECR::Repository": "image storage only",
    "AWS::CDK::Metadata": "no charge",
    "AWS::CloudFormation::WaitConditionHandle": "no charge",
    "AWS::CloudFormation::CustomResource": "no charge (its function is priced separately)",
}


class PriceTableError(ValueError):
    """The price table is malformed; the message names the entry."""


@dataclass(frozen=True)
class Price:
    id: str
    usd: Decimal
    unit: str
    source: str
    checked: str
    note: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    currency: str
    hours_per_month: Decimal
    prices: Mapping[str, Price]

    def get(self, price_id: str) -> Price | None:
        return self.prices.get(price_id)


def load_prices(path: Path = DEFAULT_PRICES) -> PriceTable:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PriceTableError(f"{path}: cannot read the price table ({error})") from None
    for key in ("region", "currency", "hours_per_month", "prices"):
        if key not in raw:
            raise PriceTableError(f"{path}: missing {key!r}")
    prices = {}
    for price_id, entry in raw["prices"].items():
        where = f"{path}: prices.{price_id}"
        if not isinstance(entry, dict):
            raise PriceTableError(f"{where}: must be an object")
        for key in ("usd", "unit", "source", "checked"):
            if key not in entry:
                raise PriceTableError(f"{where}: missing {key!r}")
        usd = entry["usd"]
        if isinstance(usd, bool) or not isinstance(usd, int | float) or usd < 0:
            raise PriceTableError(f"{where}.usd: must be a number >= 0, got {usd!r}")
        if not str(entry["source"]).startswith("https://"):
            raise PriceTableError(f"{where}.source: must be an https URL, got {entry['source']!r}")
        try:
            date.fromisoformat(str(entry["checked"]))
        except ValueError:
            raise PriceTableError(
                f"{where}.checked: must be a date YYYY-MM-DD, got {entry['checked']!r}"
            ) from None
        prices[price_id] = Price(
            price_id,
            Decimal(str(usd)),
            str(entry["unit"]),
            str(entry["source"]),
            str(entry["checked"]),
            str(entry.get("note", "")),
        )
    return PriceTable(
        str(raw["region"]), str(raw["currency"]), Decimal(str(raw["hours_per_month"])), prices
    )


@dataclass(frozen=True)
class CostLine:
    resource: Resource
    monthly: Decimal | None  # None: unpriced
    quantity: str  # "1 key", "2 x ml.m5.large x 730 h", ...
    price_ids: tuple[str, ...]
    explanation: str

    @property
    def priced(self) -> bool:
        return self.monthly is not None


@dataclass(frozen=True)
class CostEstimate:
    lines: tuple[CostLine, ...]
    table: PriceTable

    @property
    def total(self) -> Decimal:
        return sum((line.monthly for line in self.lines if line.monthly is not None), Decimal(0))

    @property
    def unpriced(self) -> list[CostLine]:
        return [line for line in self.lines if not line.priced]

    def by_stack(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals.setdefault(line.resource.stack, Decimal(0))
            if line.monthly is not None:
                totals[line.resource.stack] += line.monthly
        return totals


class _Pricer:
    def __init__(self, assembly: CloudAssembly, resolver: Resolver, table: PriceTable) -> None:
        self.assembly, self.resolver, self.table = assembly, resolver, table

    def line(
        self, resource: Resource, price_id: str, count: Decimal, unit: str, hourly: bool = False
    ) -> CostLine:
        price = self.table.get(price_id)
        if price is None:
            return CostLine(
                resource, None, f"{count} {unit}", (), f"no price {price_id!r} in the table"
            )
        hours = self.table.hours_per_month if hourly else Decimal(1)
        monthly = (price.usd * count * hours).quantize(_CENT)
        quantity = f"{count} {unit}" + (f" x {hours} h" if hourly else "")
        return CostLine(
            resource, monthly, quantity, (price_id,), f"{format_rate(price.usd)} per {price.unit}"
        )

    def free(self, resource: Resource, reason: str) -> CostLine:
        return CostLine(resource, Decimal("0.00"), "-", (), reason)

    def unpriced(self, resource: Resource, reason: str) -> CostLine:
        return CostLine(resource, None, "-", (), reason)


def _alarm(pricer: _Pricer, resource: Resource) -> CostLine:
    props = resource.properties
    metrics = props.get("Metrics") or []
    metric_count = sum(1 for metric in metrics if "MetricStat" in metric) or 1
    anomaly = any(
        "ANOMALY_DETECTION_BAND" in str(metric.get("Expression", "")) for metric in metrics
    )
    periods = [props.get("Period")] + [
        pipelines.dig(metric, "MetricStat", "Period") for metric in metrics
    ]
    high_resolution = any(isinstance(p, int) and p < 60 for p in periods)
    # An anomaly detection alarm is billed as three alarm metrics (the metric and the band).
    count = Decimal(3 if anomaly else metric_count)
    price_id = (
        "cloudwatch.alarm.high_resolution_metric"
        if high_resolution
        else "cloudwatch.alarm.standard_metric"
    )
    return pricer.line(resource, price_id, count, "alarm metric(s)")


def _endpoint(pricer: _Pricer, resource: Resource) -> CostLine:
    config = None
    for reference in pricer.resolver.references(
        resource.properties.get("EndpointConfigName"), resource.stack
    ):
        found = pricer.resolver.resource_of(reference)
        if found is not None and found.type == "AWS::SageMaker::EndpointConfig":
            config = found
    if config is None:
        return pricer.unpriced(resource, "its endpoint config is not in this assembly")
    variants = list(config.properties.get("ProductionVariants") or []) + list(
        config.properties.get("ShadowProductionVariants") or []
    )
    total = Decimal(0)
    quantities, price_ids, explanations = [], [], []
    for variant in variants:
        if "ServerlessConfig" in variant and "InstanceType" not in variant:
            explanations.append(f"variant {variant.get('VariantName')}: serverless, $0 idle")
            continue
        instance_type = pricer.resolver.text(variant.get("InstanceType"), config.stack)
        count = _idle_instances(pricer, resource, variant)
        price_id = f"sagemaker.hosting.{instance_type}"
        price = pricer.table.get(price_id)
        if price is None:
            return pricer.unpriced(resource, f"no price for {instance_type} in the price table")
        total += price.usd * count * pricer.table.hours_per_month
        quantities.append(f"{count} x {instance_type} x {pricer.table.hours_per_month} h")
        price_ids.append(price_id)
        explanations.append(
            f"variant {variant.get('VariantName')}: {format_rate(price.usd)} per instance-hour"
        )
    return CostLine(
        resource,
        total.quantize(_CENT),
        "; ".join(quantities) or "serverless",
        tuple(price_ids),
        "; ".join(explanations),
    )


def _idle_instances(pricer: _Pricer, endpoint: Resource, variant: Mapping[str, Any]) -> Decimal:
    """The autoscaling minimum of this endpoint's variant, else its initial instance count."""
    name = str(variant.get("VariantName"))
    for target in pricer.assembly.resources_of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        if target.properties.get("ServiceNamespace") != "sagemaker":
            continue
        resource_id = pricer.resolver.text(target.properties.get("ResourceId"), target.stack)
        names_endpoint = any(r.address == endpoint.address for r in references_in(resource_id))
        if names_endpoint and resource_id.endswith(f"/variant/{name}"):
            return Decimal(str(target.properties.get("MinCapacity", 1)))
    return Decimal(str(variant.get("InitialInstanceCount", 1)))


def _vpc_endpoint(pricer: _Pricer, resource: Resource) -> CostLine:
    endpoint_type = resource.properties.get("VpcEndpointType", "Gateway")
    if endpoint_type != "Interface":
        return pricer.free(resource, f"{endpoint_type} endpoint: no hourly charge")
    subnets = pricer.resolver.resolve(resource.properties.get("SubnetIds"), resource.stack)
    if not isinstance(subnets, list) or not subnets:
        return pricer.unpriced(resource, "its subnets (hence AZs) are not known at synth")
    return pricer.line(
        resource, "vpc.interface_endpoint", Decimal(len(subnets)), "AZ(s)", hourly=True
    )


_PRICED: dict[str, Callable[[_Pricer, Resource], CostLine]] = {
    "AWS::KMS::Key": lambda p, r: p.line(r, "kms.customer_managed_key", Decimal(1), "key"),
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": lambda p, r: p.line(
        r, "cloudwatch.alarm.composite", Decimal(1), "alarm"
    ),
    "AWS::CloudWatch::Dashboard": lambda p, r: p.line(
        r, "cloudwatch.dashboard", Decimal(1), "dashboard"
    ),
    "AWS::SecretsManager::Secret": lambda p, r: p.line(
        r, "secretsmanager.secret", Decimal(1), "secret"
    ),
    "AWS::EC2::NatGateway": lambda p, r: p.line(
        r, "vpc.nat_gateway", Decimal(1), "gateway", hourly=True
    ),
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
    "AWS::SageMaker::Endpoint": _endpoint,
}


def _dynamodb(pricer: _Pricer, resource: Resource) -> CostLine:
    if resource.properties.get("BillingMode") == "PAY_PER_REQUEST":
        return pricer.free(resource, "on-demand: requests and storage only")
    return pricer.unpriced(resource, "provisioned capacity is not in the price table")


_PRICED["AWS::DynamoDB::Table"] = _dynamodb


def idle_cost(assembly: CloudAssembly, resolver: Resolver, table: PriceTable) -> CostEstimate:
    pricer = _Pricer(assembly, resolver, table)
    lines = []
    for resource in assembly.resources():
        if resource.type in _PRICED:
            lines.append(_PRICED[resource.type](pricer, resource))
        elif resource.type in _FREE_WHEN_IDLE:
            lines.append(pricer.free(resource, _FREE_WHEN_IDLE[resource.type]))
        elif resource.type.startswith("Custom::"):
            lines.append(pricer.free(resource, "custom resource: no charge itself"))
        else:
            lines.append(pricer.unpriced(resource, f"{resource.type} is not in the cost rules"))
    return CostEstimate(tuple(lines), table)


def format_rate(price: Decimal) -> str:
    """A unit price: cents at least, more digits when the price has them ($1.00, $0.115)."""
    cents = price.quantize(_CENT)
    return f"${cents}" if cents == price else f"${price.normalize()}"


def format_usd(amount: Decimal | None) -> str:
    if amount is None:
        return "unpriced"
    return f"${amount.quantize(_CENT):,}"
