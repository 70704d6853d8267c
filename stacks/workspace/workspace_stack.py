"""The data-science workspace: a VPC-only SageMaker Studio domain inside the platform's network.

    browser --presigned URL--> Studio web service
                                   |
    isolated subnets: JupyterLab app (workspace group) --443--> SageMaker API endpoint
                                   |                   --443--> S3 gateway -> curated data
                                   +-- NFS (SageMaker's own groups) --> home EFS (data key)

No internet: AppNetworkAccessType VpcOnly in subnets without NAT or internet gateway. The home
file system holds student data pulled into notebooks, so it is encrypted with the data key.
Idle JupyterLab apps are shut down. Which endpoints the workspace needs, and why it adds none,
is in ``stacks/config/workspace.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..compliance import acknowledge_wildcard_resources
from ..config import StageConfig
from ..config.workspace import MIN_IDLE_MINUTES
from .permissions import (
    SAGEMAKER_SERVICE,
    WILDCARD_REASONS,
    CuratedData,
    data_statements,
    studio_statements,
)

HTTPS = 443


@dataclass(frozen=True)
class WorkspaceNetwork:
    """Where the domain's apps run, and the group of the interface endpoints they call."""

    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    endpoints_group: ec2.ISecurityGroup


class WorkspaceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: WorkspaceNetwork,
        data: CuratedData,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.workspace
        self.security_group = self._security_group(network)
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            # No aws:SourceAccount condition, like the platform's other SageMaker roles: Studio
            # documents a plain trust; a caller needs iam:PassRole on this role to use it.
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
            description="Studio users: read curated data, run JupyterLab in own private spaces",
        )
        idle = sagemaker.CfnDomain.IdleSettingsProperty(
            lifecycle_management="ENABLED",
            idle_timeout_in_minutes=settings.idle_shutdown_minutes,
            # Users may pick a shorter timeout in JupyterLab, never a longer one.
            min_idle_timeout_in_minutes=MIN_IDLE_MINUTES,
            max_idle_timeout_in_minutes=settings.idle_shutdown_minutes,
        )
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=f"{config.resource_prefix}-workspace",
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=network.vpc.vpc_id,
            subnet_ids=[subnet.subnet_id for subnet in network.subnets],
            # The home EFS holds student data copied into notebooks: the data key encrypts it.
            kms_key_id=data.key.key_arn,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=self.execution_role.role_arn,
                security_groups=[self.security_group.security_group_id],
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    app_lifecycle_management=sagemaker.CfnDomain.AppLifecycleManagementProperty(
                        idle_settings=idle
                    )
                ),
            ),
            domain_settings=sagemaker.CfnDomain.DomainSettingsProperty(
                # No Docker builds from notebooks (they would need registries outside the VPC).
                docker_settings=sagemaker.CfnDomain.DockerSettingsProperty(
                    enable_docker_access="DISABLED"
                ),
            ),
        )
        # Deleting the stack must not delete the home file system with the users' work.
        self.domain.apply_removal_policy(RemovalPolicy.RETAIN)
        self.policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description="What Studio users may do, statement by statement",
            statements=[
                *data_statements(self, data),
                *studio_statements(self, self.domain.attr_domain_id, self.domain.attr_domain_arn),
            ],
            roles=[self.execution_role],
        )
        acknowledge_wildcard_resources(self.policy, WILDCARD_REASONS)
        self.user_profiles = {name: self._user_profile(name) for name in settings.user_profiles}

    def _security_group(self, network: WorkspaceNetwork) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "Apps",
            vpc=network.vpc,
            description="Studio apps: HTTPS to the VPC endpoints only, no inbound",
            allow_all_outbound=False,
        )
        group.add_egress_rule(
            network.endpoints_group, ec2.Port.tcp(HTTPS), "HTTPS to the interface endpoints"
        )
        # Gateway endpoints are reached by route at S3's public addresses; with no internet or
        # NAT gateway in the VPC that route is the only one leaving it (as in the network stack).
        group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS), "HTTPS to the S3 gateway endpoint"
        )
        # The endpoints admit the apps here, so the network stack need not know the workspace.
        ec2.CfnSecurityGroupIngress(
            self,
            "EndpointsAdmitApps",
            group_id=network.endpoints_group.security_group_id,
            source_security_group_id=group.security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="HTTPS from the Studio apps",
        )
        return group

    def _user_profile(self, name: str) -> sagemaker.CfnUserProfile:
        profile = sagemaker.CfnUserProfile(
            self,
            f"User-{name}",
            domain_id=self.domain.attr_domain_id,
            user_profile_name=name,
        )
        profile.apply_removal_policy(RemovalPolicy.RETAIN)
        return profile
