"""Read the job settings inside an ``AWS::SageMaker::Pipeline`` definition.

The definition is a JSON document kept as a string (usually an ``Fn::Join`` of literal pieces and
references) in ``PipelineDefinition.PipelineDefinitionBody``. Resolving it leaves resource tokens
inside JSON strings, so the result still parses; step arguments are the SageMaker API requests
(CreateProcessingJob, CreateTrainingJob, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .assembly import Resource
from .intrinsics import Resolver


class DefinitionError(ValueError):
    """The pipeline definition cannot be read from the template."""


@dataclass(frozen=True)
class PipelineStep:
    name: str
    type: str  # Processing, Training, Transform, Tuning, RegisterModel, Model, Condition, ...
    arguments: Mapping[str, Any]


def load_definition(pipeline: Resource, resolver: Resolver) -> Mapping[str, Any]:
    definition = pipeline.properties.get("PipelineDefinition") or {}
    if "PipelineDefinitionBody" not in definition:
        where = "in S3" if "PipelineDefinitionS3Location" in definition else "missing"
        raise DefinitionError(f"{pipeline.address}: the pipeline definition is {where}")
    body = resolver.resolve(definition["PipelineDefinitionBody"], pipeline.stack)
    if not isinstance(body, str):
        raise DefinitionError(f"{pipeline.address}: PipelineDefinitionBody is not a string")
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{pipeline.address}: the definition is not JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise DefinitionError(f"{pipeline.address}: the definition is not a JSON object")
    return parsed


def steps(definition: Mapping[str, Any]) -> Iterator[PipelineStep]:
    """Every step, including those nested in condition steps' branches."""

    def walk(items: Any) -> Iterator[PipelineStep]:
        for step in items or []:
            if not isinstance(step, dict):
                continue
            arguments = step.get("Arguments") or {}
            yield PipelineStep(str(step.get("Name")), str(step.get("Type")), arguments)
            if step.get("Type") == "Condition" and isinstance(arguments, dict):
                yield from walk(arguments.get("IfSteps"))
                yield from walk(arguments.get("ElseSteps"))

    yield from walk(definition.get("Steps"))


def value(definition: Mapping[str, Any], raw: Any) -> str | None:
    """A setting's text: literal, or a parameter's default (``{"Get": "Parameters.X"}``)."""
    if raw is None:
        return None
    if isinstance(raw, dict) and isinstance(raw.get("Get"), str):
        source = raw["Get"]
        if source.startswith("Parameters."):
            name = source.removeprefix("Parameters.")
            for parameter in definition.get("Parameters", []):
                if parameter.get("Name") == name:
                    default = parameter.get("DefaultValue")
                    return None if default is None else str(default)
        return "{{unresolved:" + source + "}}"
    if isinstance(raw, dict):
        return "{{unresolved:pipeline expression}}"
    return str(raw)


def dig(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...`` or None when any level is missing."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping
