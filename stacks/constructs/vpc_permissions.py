"""What a role needs so that AWS can place its workload in the platform's subnets.

SageMaker (jobs, models) and Lambda attach network interfaces with the workload's role; the
attach actions are scoped to interfaces in the given subnets and security groups, and the
describe actions, which EC2 does not scope to resources, name ``*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

SAGEMAKER_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
SAGEMAKER_DESCRIBE_ACTIONS = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
# The actions of the AWSLambdaVPCAccessExecutionRole managed policy, scoped where EC2 allows it.
LAMBDA_INTERFACE_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:UnassignPrivateIpAddresses",
)
LAMBDA_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")


@dataclass(frozen=True)
class SubnetPlacement:
    """Where a workload runs: the platform's isolated subnets, behind these security groups."""

    subnets: Sequence[ec2.ISubnet]
    security_groups: Sequence[ec2.ISecurityGroup]


def job_placement_conditions(placement: SubnetPlacement) -> dict[str, dict[str, object]]:
    """Conditions on CreateProcessingJob/CreateTrainingJob: the VPC settings are present (Null
    false) and every value is one of the platform's, so no job runs outside its subnets."""
    return {
        "Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VpcSecurityGroupIds": "false"},
        "ForAllValues:StringEquals": {
            "sagemaker:VpcSubnets": [subnet.subnet_id for subnet in placement.subnets],
            "sagemaker:VpcSecurityGroupIds": [
                group.security_group_id for group in placement.security_groups
            ],
        },
    }


def job_network_statements(stack: Stack, placement: SubnetPlacement) -> list[iam.PolicyStatement]:
    """What SageMaker does with a processing or training job's role to place the job."""
    return _interface_statements(
        stack,
        placement,
        interface_actions=SAGEMAKER_INTERFACE_ACTIONS,
        describe_actions=SAGEMAKER_DESCRIBE_ACTIONS,
        attach_sid="AttachInterfacesInJobSubnets",
        describe_sid="DescribeNetworkForInterfaces",
    )


def model_network_statements(stack: Stack, placement: SubnetPlacement) -> list[iam.PolicyStatement]:
    """What SageMaker does with a model's role to place its endpoint or transform instances."""
    return _interface_statements(
        stack,
        placement,
        interface_actions=SAGEMAKER_INTERFACE_ACTIONS,
        describe_actions=SAGEMAKER_DESCRIBE_ACTIONS,
        attach_sid="AttachInterfacesInSubnets",
        describe_sid="DescribeNetwork",
    )


def function_network_statements(
    stack: Stack, placement: SubnetPlacement
) -> list[iam.PolicyStatement]:
    """What Lambda does with a function's role to place it."""
    return _interface_statements(
        stack,
        placement,
        interface_actions=LAMBDA_INTERFACE_ACTIONS,
        describe_actions=LAMBDA_DESCRIBE_ACTIONS,
        attach_sid="AttachInterfacesInSubnets",
        describe_sid="DescribeNetwork",
    )


def _interface_statements(
    stack: Stack,
    placement: SubnetPlacement,
    *,
    interface_actions: Sequence[str],
    describe_actions: Sequence[str],
    attach_sid: str,
    describe_sid: str,
) -> list[iam.PolicyStatement]:
    def ec2_arn(resource: str, name: str) -> str:
        return stack.format_arn(service="ec2", resource=resource, resource_name=name)

    return [
        iam.PolicyStatement(
            sid=attach_sid,
            actions=sorted(interface_actions),
            resources=[ec2_arn("network-interface", "*")]
            + [ec2_arn("subnet", subnet.subnet_id) for subnet in placement.subnets]
            + [
                ec2_arn("security-group", group.security_group_id)
                for group in placement.security_groups
            ],
        ),
        iam.PolicyStatement(sid=describe_sid, actions=sorted(describe_actions), resources=["*"]),
    ]
