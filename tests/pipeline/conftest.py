"""Fixtures over the session-wide synthesized dev stage of tests/conftest.py (no re-synthesis)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from constructs import IConstruct

from stacks.config import StageConfig, cdk_json_context, parse_stage_config
from stacks.pipeline.review import (
    ReferenceRenderer,
    assembly_templates,
    construct_labels,
    pipeline_definition,
)


def ref(construct: IConstruct, attribute: str | None = None) -> str:
    """How review.py renders a reference to ``construct`` (its L1 when given an L2)."""
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    assert isinstance(element, cdk.CfnElement), construct.node.path
    path = element.node.path
    return "${" + (f"{path}.{attribute}" if attribute else path) + "}"


@pytest.fixture(scope="session")
def dev_config() -> StageConfig:
    return parse_stage_config("dev", cdk_json_context()["ml-platform:stages"])


@pytest.fixture(scope="session")
def pipeline_stack(dev) -> Any:
    stack = getattr(dev.platform, "pipeline", None)
    if stack is None:
        pytest.fail(
            "stacks/platform.py does not build the training pipeline: add "
            "stacks.pipeline.pipeline_stack.PipelineStack to build_platform as Platform.pipeline"
        )
    return stack


@pytest.fixture(scope="session")
def templates(dev) -> dict[str, dict[str, Any]]:
    return assembly_templates(dev.assembly)


@pytest.fixture(scope="session")
def pipeline_template(templates, pipeline_stack) -> dict[str, Any]:
    return templates[pipeline_stack.stack_name]


@pytest.fixture(scope="session")
def renderer(dev, templates) -> ReferenceRenderer:
    return ReferenceRenderer(templates, construct_labels(dev.app))


@pytest.fixture(scope="session")
def definition(dev, templates, pipeline_stack) -> dict[str, Any]:
    """The deployed definition, parsed from the synthesized template."""
    return pipeline_definition(templates, pipeline_stack.stack_name, construct_labels(dev.app))


def all_steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step by name, including those inside the condition's branches."""
    steps: dict[str, dict[str, Any]] = {}
    pending = list(definition["Steps"])
    while pending:
        step = pending.pop(0)
        steps[step["Name"]] = step
        arguments = step.get("Arguments", {})
        if step["Type"] == "Condition":
            pending += arguments.get("IfSteps", []) + arguments.get("ElseSteps", [])
    return steps


def references(value: Any) -> set[str]:
    """Every ``{"Get": ...}`` path inside a value: what a step reads from others."""
    found: set[str] = set()
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            found.add(value["Get"])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found
