"""Small readers of synthesized templates, shared by the infrastructure tests."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import IConstruct


def logical_id(construct: IConstruct) -> str:
    """The logical id of an L1 resource, or of the L1 an L2 construct wraps."""
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    assert isinstance(element, cdk.CfnElement), (
        f"{construct.node.path} has no CloudFormation element"
    )
    resolved: str = cdk.Stack.of(element).resolve(element.logical_id)
    return resolved


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements_for(template: dict[str, Any], bucket_logical_id: str) -> list[dict[str, Any]]:
    """The statements of the bucket policy attached to one bucket."""
    for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values():
        if policy["Properties"]["Bucket"] == {"Ref": bucket_logical_id}:
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no bucket policy for {bucket_logical_id}")
