"""Read the pipeline definition back out of a synthesized cloud assembly, for review and tests.

The definition is deployed as an ``Fn::Join`` of JSON text and CloudFormation references
(imports of the data stack's bucket names and key ARNs, the roles' ARNs, the asset bucket).
Each reference is rendered as ``${<construct path>.<attribute>}`` (``${<path>}`` for a Ref),
following imports to the exporting stack, so the result is the JSON SageMaker will receive with
readable stand-ins for the values CloudFormation fills in at deploy time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

PIPELINE_TYPE = "AWS::SageMaker::Pipeline"

# (stack name, logical id) -> construct path
Labels = Mapping[tuple[str, str], str]


class ReviewError(ValueError):
    """The template does not hold a pipeline definition this module can render."""


def construct_labels(app: cdk.App) -> dict[tuple[str, str], str]:
    """Construct path of every CloudFormation element, by stack name and logical id."""
    labels: dict[tuple[str, str], str] = {}
    for construct in app.node.find_all():
        if isinstance(construct, cdk.CfnElement):
            stack = cdk.Stack.of(construct)
            logical_id = stack.resolve(construct.logical_id)
            labels[(stack.stack_name, logical_id)] = construct.node.path
    return labels


class ReferenceRenderer:
    """Renders CloudFormation values of one app as text with ``${path.attribute}`` stand-ins."""

    def __init__(self, templates: Mapping[str, dict[str, Any]], labels: Labels) -> None:
        self._templates = templates
        self._labels = labels
        self._exports: dict[str, tuple[str, Any]] = {}
        for stack_name, template in templates.items():
            for output in template.get("Outputs", {}).values():
                name = output.get("Export", {}).get("Name")
                if isinstance(name, str):
                    self._exports[name] = (stack_name, output["Value"])

    def _label(self, stack_name: str, logical_id: str) -> str:
        if logical_id.startswith("AWS::"):
            return logical_id
        return self._labels.get((stack_name, logical_id), f"{stack_name}.{logical_id}")

    def render(self, stack_name: str, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(self.render(stack_name, part) for part in parts)
            if function == "Ref":
                return "${" + self._label(stack_name, argument) + "}"
            if function == "Fn::GetAtt":
                logical_id, attribute = argument
                return "${" + f"{self._label(stack_name, logical_id)}.{attribute}" + "}"
            if function == "Fn::Sub" and isinstance(argument, str):
                return argument
            if function == "Fn::ImportValue" and argument in self._exports:
                exporting_stack, exported = self._exports[argument]
                return self.render(exporting_stack, exported)
        raise ReviewError(f"cannot render {json.dumps(value)} from stack {stack_name}")


def pipeline_definition(
    templates: Mapping[str, dict[str, Any]], stack_name: str, labels: Labels | None = None
) -> dict[str, Any]:
    """The parsed definition of the one SageMaker pipeline in ``stack_name``."""
    pipelines = [
        resource
        for resource in templates[stack_name]["Resources"].values()
        if resource["Type"] == PIPELINE_TYPE
    ]
    if len(pipelines) != 1:
        raise ReviewError(f"{stack_name} has {len(pipelines)} pipelines, expected exactly one")
    body = pipelines[0]["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    text = ReferenceRenderer(templates, labels or {}).render(stack_name, body)
    definition: dict[str, Any] = json.loads(text)
    return definition


def assembly_templates(assembly: Any) -> dict[str, dict[str, Any]]:
    """Every stack template of a cloud assembly, by stack name."""
    return {stack.stack_name: stack.template for stack in assembly.stacks}
