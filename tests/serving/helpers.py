"""Readers of the serving templates shared by the serving tests."""

from __future__ import annotations

from typing import Any

from stacks.compliance import flatten_reference
from tests.infra.helpers import as_list, resources_of_type


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """The properties of the one resource of ``resource_type`` (fails if not exactly one)."""
    (resource,) = resources_of_type(template, resource_type).values()
    properties: dict[str, Any] = resource.get("Properties", {})
    return properties


def logical_id_of(template: dict[str, Any], resource_type: str, **properties: Any) -> str:
    """The logical id of the one resource of the type whose properties include ``properties``."""
    matches = [
        name
        for name, resource in resources_of_type(template, resource_type).items()
        if all(resource["Properties"].get(key) == value for key, value in properties.items())
    ]
    (name,) = matches
    return name


def policy_of_role(template: dict[str, Any], role_logical_id: str) -> dict[str, Any]:
    """The statements of the managed policy attached to one role, by Sid."""
    (policy,) = [
        resource["Properties"]["PolicyDocument"]
        for resource in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_logical_id} in resource["Properties"]["Roles"]
    ]
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def flat_resources(statement: dict[str, Any]) -> list[str]:
    return sorted(flatten_reference(resource) for resource in as_list(statement["Resource"]))


def actions(statement: dict[str, Any]) -> list[str]:
    return sorted(as_list(statement["Action"]))
