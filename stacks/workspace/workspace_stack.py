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
        # The domain's default: what a profile made outside this stack gets (reads, no spaces).
        self.execution_role = self._role(
            "ExecutionRole",
            "Studio default: read curated data only (no spaces: profiles come from the config)",
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
        self.policy = self._policy(self.execution_role, data_statements(self, data))
        self.user_roles: dict[str, iam.Role] = {}
        self.user_policies: dict[str, iam.ManagedPolicy] = {}
        self.user_profiles = {
            name: self._user_profile(name, data) for name in settings.user_profiles
        }

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

    def _role(self, construct_id: str, description: str) -> iam.Role:
        # No aws:SourceAccount condition, like the platform's other SageMaker roles: Studio
        # documents a plain trust; a caller needs iam:PassRole on this role to use it.
        return iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
            description=description,
        )

    def _policy(self, role: iam.Role, statements: list[iam.PolicyStatement]) -> iam.ManagedPolicy:
        policy = iam.ManagedPolicy(
            role,
            "Policy",
            description="What this Studio role may do, statement by statement",
            statements=statements,
            roles=[role],
        )
        acknowledge_wildcard_resources(policy, WILDCARD_REASONS)
        return policy

    def _user_profile(self, name: str, data: CuratedData) -> sagemaker.CfnUserProfile:
        """A profile with a role of its own: its user may open only the spaces it owns."""
        role = self._role(f"User-{name}-Role", f"Studio user {name}: curated reads, own spaces")
        self.user_roles[name] = role
        self.user_policies[name] = self._policy(
            role,
            [
                *data_statements(self, data),
                *studio_statements(
                    self,
                    domain_id=self.domain.attr_domain_id,
                    domain_arn=self.domain.attr_domain_arn,
                    profile_name=name,
                ),
            ],
        )
        profile = sagemaker.CfnUserProfile(
            self,
            f"User-{name}",
            domain_id=self.domain.attr_domain_id,
            user_profile_name=name,
            # Settings left out here (JupyterLab idle shutdown, landing page) are the domain's:
            # the UserProfile schema has no AppLifecycleManagement to state them again.
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(
                execution_role=role.role_arn,
                security_groups=[self.security_group.security_group_id],
            ),
        )
        profile.apply_removal_policy(RemovalPolicy.RETAIN)
        # The role's permissions exist before a user can open Studio with it.
        profile.node.add_dependency(self.user_policies[name])
        return profile
