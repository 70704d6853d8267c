"""Network exposure: what is public, or reachable from outside a VPC.

Severity: ``high`` for what anyone on the internet could reach or use (public bucket, "*"
principal without a restricting condition, 0.0.0.0/0 ingress, unauthenticated URLs); ``medium``
for compute that runs outside a VPC (it reaches the internet and AWS public endpoints);
``info`` for reachable-with-IAM-credentials endpoints and delivery outside AWS (e-mail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import pipeline_definition as pipelines
from .access import RESTRICTING_CONDITION_KEYS, resource_policies
from .assembly import CloudAssembly, Resource
from .intrinsics import Resolver
from .policies import condition_keys, format_conditions

_PUBLIC_BLOCK = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Exposure:
    severity: str  # high | medium | info
    resource: Resource
    kind: str
    detail: str


Check = Callable[[Resource, Resolver], Iterator[Exposure]]


def _bucket(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    block = resource.properties.get("PublicAccessBlockConfiguration") or {}
    missing = [setting for setting in _PUBLIC_BLOCK if block.get(setting) not in (True, "true")]
    if missing:
        yield Exposure("high", resource, "public access not blocked", f"off: {', '.join(missing)}")
    acl = resource.properties.get("AccessControl")
    if isinstance(acl, str) and acl.startswith("Public"):
        yield Exposure("high", resource, "public ACL", acl)
    if resource.properties.get("WebsiteConfiguration"):
        yield Exposure("high", resource, "static website", "website hosting is enabled")


def _security_group(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    rules = resource.properties.get("SecurityGroupIngress") or []
    if resource.type == "AWS::EC2::SecurityGroupIngress":
        rules = [resource.properties]
    for rule in rules:
        cidr = resolver.text(rule.get("CidrIp") or rule.get("CidrIpv6"), resource.stack)
        if cidr in _OPEN_CIDRS:
            ports = f"{rule.get('FromPort', 'all')}-{rule.get('ToPort', 'all')}"
            yield Exposure(
                "high", resource, "open ingress", f"{cidr} on {rule.get('IpProtocol')} {ports}"
            )


def _lambda_function(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if not resource.properties.get("VpcConfig"):
        yield Exposure("medium", resource, "outside a VPC", "the function has no VpcConfig")


def _lambda_url(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    auth = resource.properties.get("AuthType")
    severity = "high" if auth == "NONE" else "info"
    yield Exposure(severity, resource, "function URL", f"public HTTPS URL, AuthType {auth}")


def _lambda_permission(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    principal = resolver.text(resource.properties.get("Principal"), resource.stack)
    scoped = resource.properties.get("SourceArn") or resource.properties.get("SourceAccount")
    if principal == "*" and not scoped:
        yield Exposure("high", resource, "public invoke permission", "Principal * without source")


def _sagemaker_model(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if not resource.properties.get("VpcConfig"):
        isolated = resource.properties.get("EnableNetworkIsolation") in (True, "true")
        detail = "no VpcConfig" + (" (network isolation on)" if isolated else "")
        yield Exposure("info" if isolated else "medium", resource, "outside a VPC", detail)


def _sagemaker_endpoint(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    yield Exposure(
        "info",
        resource,
        "invocable endpoint",
        "InvokeEndpoint over the public SageMaker runtime API, for IAM-authorized callers",
    )


def _pipeline(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    try:
        definition = pipelines.load_definition(resource, resolver)
    except pipelines.DefinitionError as error:
        yield Exposure("medium", resource, "pipeline not inspectable", str(error))
        return
    for step in pipelines.steps(definition):
        args = step.arguments
        if step.type == "Processing":
            vpc = pipelines.dig(args, "NetworkConfig", "VpcConfig")
            isolated = pipelines.dig(args, "NetworkConfig", "EnableNetworkIsolation")
        elif step.type in ("Training", "Transform", "Tuning"):
            job = args.get("TrainingJobDefinition", args) if step.type == "Tuning" else args
            vpc = job.get("VpcConfig")
            isolated = job.get("EnableNetworkIsolation")
        else:
            continue
        if not vpc:
            on = isolated in (True, "true")
            yield Exposure(
                "info" if on else "medium",
                resource,
                "job outside a VPC",
                f"step {step.name} ({step.type})"
                + (": network isolation on" if on else ": no VPC, no network isolation"),
            )


def _monitoring(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    props = resource.properties
    job = pipelines.dig(props, "MonitoringScheduleConfig", "MonitoringJobDefinition") or props
    if job is props and resource.type == "AWS::SageMaker::MonitoringSchedule":
        return  # the schedule names a job definition, checked on its own
    if not pipelines.dig(job, "NetworkConfig", "VpcConfig"):
        yield Exposure("medium", resource, "job outside a VPC", "no NetworkConfig.VpcConfig")


def _notebook(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if resource.properties.get("DirectInternetAccess", "Enabled") != "Disabled":
        yield Exposure("high", resource, "direct internet access", "DirectInternetAccess enabled")


def _domain(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if resource.properties.get("AppNetworkAccessType", "PublicInternetOnly") != "VpcOnly":
        yield Exposure("high", resource, "public internet access", "AppNetworkAccessType public")


def _subnet(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if resource.properties.get("MapPublicIpOnLaunch") in (True, "true"):
        yield Exposure("medium", resource, "public subnet", "MapPublicIpOnLaunch")


def _fixed(severity: str, kind: str, detail: str) -> Check:
    def check(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
        yield Exposure(severity, resource, kind, detail)

    return check


def _load_balancer(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if resource.properties.get("Scheme", "internet-facing") == "internet-facing":
        yield Exposure("high", resource, "internet-facing load balancer", "Scheme internet-facing")


def _rest_api(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    types = (resource.properties.get("EndpointConfiguration") or {}).get("Types") or ["EDGE"]
    if "PRIVATE" not in types:
        yield Exposure("high", resource, "public API", f"endpoint type {', '.join(types)}")


def _api_method(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    if resource.properties.get("AuthorizationType", "NONE") == "NONE":
        http = resource.properties.get("HttpMethod")
        if http != "OPTIONS":
            yield Exposure("high", resource, "unauthenticated API method", f"{http} without auth")


def _subscription(resource: Resource, resolver: Resolver) -> Iterator[Exposure]:
    protocol = resolver.text(resource.properties.get("Protocol"), resource.stack)
    if protocol in ("email", "email-json", "http", "https", "sms"):
        endpoint = resolver.text(resource.properties.get("Endpoint"), resource.stack)
        yield Exposure("info", resource, "delivery outside AWS", f"{protocol} to {endpoint}")


_CHECKS: dict[str, Check] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": _security_group,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Url": _lambda_url,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::SageMaker::Model": _sagemaker_model,
    "AWS::SageMaker::Endpoint": _sagemaker_endpoint,
    "AWS::SageMaker::Pipeline": _pipeline,
    "AWS::SageMaker::MonitoringSchedule": _monitoring,
    "AWS::SageMaker::DataQualityJobDefinition": _monitoring,
    "AWS::SageMaker::ModelQualityJobDefinition": _monitoring,
    "AWS::SageMaker::ModelBiasJobDefinition": _monitoring,
    "AWS::SageMaker::ModelExplainabilityJobDefinition": _monitoring,
    "AWS::SageMaker::NotebookInstance": _notebook,
    "AWS::SageMaker::Domain": _domain,
    "AWS::EC2::Subnet": _subnet,
    "AWS::EC2::InternetGateway": _fixed(
        "medium", "internet gateway", "the VPC routes to the internet"
    ),
    "AWS::EC2::NatGateway": _fixed("info", "NAT gateway", "private subnets reach the internet"),
    "AWS::EC2::EIP": _fixed("medium", "public IP address", "an Elastic IP"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Method": _api_method,
    "AWS::ApiGatewayV2::Api": _fixed("high", "public API", "HTTP/WebSocket APIs are public"),
    "AWS::CloudFront::Distribution": _fixed("high", "CDN distribution", "public by design"),
    "AWS::SNS::Subscription": _subscription,
}


def _public_policies(assembly: CloudAssembly, resolver: Resolver) -> Iterator[Exposure]:
    for policy in resource_policies(assembly, resolver):
        for statement in policy.statements:
            if not statement.allows() or statement.principals is None:
                continue
            if not (statement.principals.everyone or statement.not_principal):
                continue
            restricted = condition_keys(statement.conditions) & RESTRICTING_CONDITION_KEYS
            conditions = format_conditions(statement.conditions)
            if restricted:
                yield Exposure(
                    "info",
                    policy.target,
                    "'*' principal, restricted",
                    f"{statement.label}: {', '.join(statement.actions)} when {conditions}",
                )
            else:
                yield Exposure(
                    "high",
                    policy.target,
                    "public policy",
                    f"{statement.label}: {', '.join(statement.actions)} to everyone"
                    + (f" when {conditions}" if conditions else ""),
                )


def network_exposure(assembly: CloudAssembly, resolver: Resolver) -> list[Exposure]:
    exposures: list[Exposure] = []
    for resource in assembly.resources():
        check = _CHECKS.get(resource.type)
        if check is not None:
            exposures.extend(check(resource, resolver))
    exposures.extend(_public_policies(assembly, resolver))
    order = {"high": 0, "medium": 1, "info": 2}
    return sorted(exposures, key=lambda e: (order[e.severity], e.resource.address, e.kind))
