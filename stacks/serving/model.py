"""A SageMaker model created from an approved model package, with its own execution role."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..constructs.vpc_permissions import SubnetPlacement
from .permissions import attach_policy
from .selection import ModelPackage

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"


class PackagedModel(Construct):
    """``AWS::SageMaker::Model`` with ``Containers: [{ModelPackageName: <arn>}]``.

    The image, artifact and environment come from the package, so what runs is exactly what the
    reviewer approved. The role gets ``statements`` in a managed policy; ``policy`` is exposed
    so that whatever starts the model (an endpoint) can wait for it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        package: ModelPackage,
        description: str,
        statements: Sequence[iam.PolicyStatement],
        network_isolation: bool,
        network: SubnetPlacement | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
            description=description,
        )
        self.policy = attach_policy(self.role, statements)
        vpc_config = None
        if network is not None:
            vpc_config = sagemaker.CfnModel.VpcConfigProperty(
                subnets=[subnet.subnet_id for subnet in network.subnets],
                security_group_ids=[group.security_group_id for group in network.security_groups],
            )
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            containers=[
                sagemaker.CfnModel.ContainerDefinitionProperty(model_package_name=package.arn)
            ],
            enable_network_isolation=network_isolation,
            vpc_config=vpc_config,
        )
        # CreateModel checks that SageMaker can assume the role; starting the model needs the
        # permissions, so they are attached first.
        self.model.node.add_dependency(self.policy)

    @property
    def model_name(self) -> str:
        return self.model.attr_model_name
