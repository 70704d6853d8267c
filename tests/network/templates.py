"""Readers of cross-stack references: which network resource an imported value names."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.helpers import resources_of_type


def network_template(stage: Any) -> dict[str, Any]:
    return stage.template(stage.platform.network)  # type: ignore[no-any-return]


def exported_resources(stage: Any) -> dict[str, tuple[str, str]]:
    """Export name of the network stack -> (resource type, logical id) it resolves to."""
    template = network_template(stage)
    exports = {}
    for output in template.get("Outputs", {}).values():
        value = output["Value"]
        logical = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
        exports[output["Export"]["Name"]] = (template["Resources"][logical]["Type"], logical)
    return exports


def network_ids(stage: Any) -> tuple[set[str], set[str]]:
    """Logical ids of the isolated subnets and of the workloads' security group."""
    template = network_template(stage)
    subnets = set(resources_of_type(template, "AWS::EC2::Subnet"))
    workloads = stage.platform.network.workloads_group.node.default_child
    group = stage.platform.network.resolve(workloads.logical_id)
    return subnets, {group}


def resolve_imports(stage: Any, values: list[Any]) -> list[tuple[str, str]]:
    """(type, logical id) in the network stack of each ``Fn::ImportValue`` in ``values``."""
    exports = exported_resources(stage)
    resolved = []
    for value in values:
        assert isinstance(value, dict) and "Fn::ImportValue" in value, value
        resolved.append(exports[value["Fn::ImportValue"]])
    return resolved


def render(value: Any) -> str:
    """A Fn::Join of JSON pieces as text, each reference as a <marker> inside its string."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if "Fn::ImportValue" in value:
        return f"<import:{value['Fn::ImportValue']}>"
    return f"<{json.dumps(value, sort_keys=True)}>".replace('"', "'")
