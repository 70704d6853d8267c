"""The private network of a stage: isolated subnets, VPC endpoints, two security groups.

    isolated subnet (AZ a) --+                       +--> S3, DynamoDB (gateway endpoints)
    isolated subnet (AZ b) --+-- workloads group ----+--> SageMaker API, SNS, CloudWatch
                                 (443 out only)           (interface endpoints: endpoints group
                                                           admits the workloads group on 443)

No NAT gateway and no internet gateway: the only ways out of the subnets are the VPC
endpoints, each with a policy that admits only this account's principals (and, where the
service supports it, only this account's resources). Flow logs of every interface go to a
log group under the network's own key: the network stack is built before the data stack (whose
bucket policies name the S3 endpoint), so it cannot use the data stack's keys. Which endpoints
exist, and why, is in ``stacks/config/network.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..compliance import acknowledge
from ..config import StageConfig
from ..config.network import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS
from ..constructs.encryption_key import EncryptionKey, cloudwatch_logs_use
from ..constructs.vpc_permissions import SubnetPlacement

HTTPS = 443
DEFAULT_GROUP_REASON = (
    "The VPC's default security group keeps AWS's default rules but is attached to nothing: "
    "every job, model, function and endpoint names the Workloads or Endpoints group, and the "
    "VPC has no internet or NAT gateway. Closing it needs a custom-resource Lambda outside "
    "the VPC, a larger attack surface than the unused group."
)
SUBNET_GROUP_NAME = "Workloads"
SUBNET_CIDR_MASK = 24
# Services whose condition context carries aws:ResourceAccount for every action the platform
# calls (CloudWatch PutMetricData and SNS topic-less calls have no resource to compare).
_RESOURCE_ACCOUNT_SERVICES = frozenset({"s3", "dynamodb"})


@dataclass(frozen=True)
class WorkloadNetwork(SubnetPlacement):
    """Where the platform's jobs, models and functions run: the isolated subnets, one group."""

    vpc: ec2.IVpc


class NetworkStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        **kwargs,
    ) -> None:
        self._az_count = config.network.max_azs
        super().__init__(scope, construct_id, **kwargs)
        settings = config.network
        flow_log_group_name = f"/{config.resource_prefix}/vpc-flow-logs"
        self.flow_log_key = EncryptionKey(
            self,
            "FlowLogKey",
            description=f"ml-platform {config.name}: VPC flow log records",
            alias=f"alias/{config.resource_prefix}/network",
            services=[cloudwatch_logs_use(self, flow_log_group_name)],
        ).key
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            log_group_name=flow_log_group_name,
            encryption_key=self.flow_log_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The configured retention, set on the resource (RetentionDays has no value per day).
        flow_log_resource = self.flow_log_group.node.default_child
        assert isinstance(flow_log_resource, logs.CfnLogGroup)
        flow_log_resource.retention_in_days = config.logs.retention_days
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(settings.cidr),
            # Fn::GetAZs picks them at deploy time: no context lookup, no credentials at synth.
            availability_zones=self.availability_zones,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=SUBNET_GROUP_NAME,
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=SUBNET_CIDR_MASK,
                )
            ],
            # The default group is left unused; closing it needs a custom-resource Lambda.
            restrict_default_security_group=False,
        )
        self.flow_log_role = self._flow_log_role()
        # The L1 resource: the L2 FlowLog also registers cfn-lint acknowledgments of its own.
        self.flow_log = ec2.CfnFlowLog(
            self,
            "AllTraffic",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_group_name=self.flow_log_group.log_group_name,
            deliver_logs_permission_arn=self.flow_log_role.role_arn,
        )
        # EC2 checks the role's permissions when the flow log is created.
        self.flow_log.node.add_dependency(self.flow_log_policy)
        acknowledge(
            self.vpc,
            "HIPAA.Security-VPCDefaultSecurityGroupClosed",
            DEFAULT_GROUP_REASON,
        )
        for pack in ("NIST.800.53.R5", "PCI.DSS.321"):
            acknowledge(self.vpc, f"{pack}-VPCDefaultSecurityGroupClosed", DEFAULT_GROUP_REASON)
        self.subnets = self.vpc.select_subnets(subnet_group_name=SUBNET_GROUP_NAME).subnets

        self.workloads_group = ec2.SecurityGroup(
            self,
            "Workloads",
            vpc=self.vpc,
            description="SageMaker jobs and models, Lambda functions: HTTPS to VPC endpoints only",
            allow_all_outbound=False,
        )
        self.endpoints_group = ec2.SecurityGroup(
            self,
            "Endpoints",
            vpc=self.vpc,
            description="Interface VPC endpoints: HTTPS from the platform workloads only",
            allow_all_outbound=False,
        )
        self.endpoints_group.add_ingress_rule(
            self.workloads_group, ec2.Port.tcp(HTTPS), "HTTPS from the platform workloads"
        )
        self.workloads_group.add_egress_rule(
            self.endpoints_group, ec2.Port.tcp(HTTPS), "HTTPS to the interface endpoints"
        )
        # Gateway endpoints are reached by route, at the services' public addresses: with no
        # internet gateway or NAT those routes are the only ones leaving the VPC.
        self.workloads_group.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(HTTPS),
            "HTTPS to the S3 and DynamoDB gateway endpoints",
        )

        self.gateway_endpoints: dict[str, ec2.GatewayVpcEndpoint] = {}
        for need in GATEWAY_ENDPOINTS:
            gateway = self.vpc.add_gateway_endpoint(
                f"Gateway-{need.service}",
                service=ec2.GatewayVpcEndpointAwsService(need.service),
                subnets=[ec2.SubnetSelection(subnet_group_name=SUBNET_GROUP_NAME)],
            )
            gateway.add_to_policy(self._endpoint_statement(need.service))
            self.gateway_endpoints[need.service] = gateway

        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        for need in INTERFACE_ENDPOINTS:
            interface = self.vpc.add_interface_endpoint(
                f"Interface-{need.service}",
                service=ec2.InterfaceVpcEndpointAwsService(need.service),
                subnets=ec2.SubnetSelection(subnet_group_name=SUBNET_GROUP_NAME),
                security_groups=[self.endpoints_group],
                private_dns_enabled=True,
                open=False,
            )
            interface.add_to_policy(self._endpoint_statement(need.service))
            self.interface_endpoints[need.service] = interface

        self.s3_endpoint_id = self.gateway_endpoints["s3"].vpc_endpoint_id
        self.workloads = WorkloadNetwork(
            vpc=self.vpc, subnets=self.subnets, security_groups=[self.workloads_group]
        )

    @property
    def availability_zones(self) -> list[str]:
        """The first ``max_azs`` AZs of the region, chosen at deploy time by Fn::GetAZs.

        Overrides Stack's own: that one also registers a cfn-lint W3010 acknowledgment on the
        stack for literal AZs, which this template never contains.
        """
        return [Fn.select(index, Fn.get_azs(self.region)) for index in range(self._az_count)]

    def _flow_log_role(self) -> iam.Role:
        role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
            description="VPC flow logs: write records to the flow log group",
        )
        self.flow_log_policy = iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            description="Write VPC flow log records to the flow log group only",
            statements=[
                iam.PolicyStatement(
                    sid="WriteFlowLogRecords",
                    actions=[
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    # The group's Arn attribute ends in ":*", which covers its log streams.
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
            roles=[role],
        )
        return role

    def _endpoint_statement(self, service: str) -> iam.PolicyStatement:
        """Any action IAM allows, for this account's principals (and resources, where defined)."""
        conditions = {"aws:PrincipalAccount": self.account}
        if service in _RESOURCE_ACCOUNT_SERVICES:
            conditions["aws:ResourceAccount"] = self.account
        return iam.PolicyStatement(
            sid="OnlyThisAccount",
            principals=[iam.AnyPrincipal()],
            actions=["*"],
            resources=["*"],
            conditions={"StringEquals": conditions},
        )
