"""Read a synthesized cloud assembly: its stacks, their templates and the compliance files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
VALIDATION_REPORT = "validation-report.json"
ACKNOWLEDGMENT_REGISTER = "acknowledgment-register.json"
_ENVIRONMENT = re.compile(r"^aws://(?P<account>[^/]+)/(?P<region>[^/]+)$")
_UNKNOWN = ("unknown-account", "unknown-region")


class AssemblyError(ValueError):
    """The directory is not a readable cloud assembly; the message says what is missing."""


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: Mapping[str, Any]
    path: str | None  # the construct path (aws:cdk:path metadata), when synth recorded it
    depends_on: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """Unique across the assembly: ``<stack>/<logical id>``."""
        return f"{self.stack}/{self.logical_id}"

    @property
    def name(self) -> str:
        """A readable name: the construct path inside the stack, without the L1's own id."""
        if not self.path:
            return self.logical_id
        parts = self.path.split("/")[1:]
        while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
            parts.pop()
        return "/".join(parts) or self.logical_id


@dataclass(frozen=True)
class Stack:
    name: str
    template: Mapping[str, Any]
    account: str | None  # None when the stack is account-agnostic
    region: str | None
    dependencies: tuple[str, ...]  # other stacks of the assembly this one deploys after
    resources: Mapping[str, Resource]

    @property
    def outputs(self) -> Mapping[str, Any]:
        outputs: Mapping[str, Any] = self.template.get("Outputs", {})
        return outputs

    @property
    def parameters(self) -> Mapping[str, Any]:
        parameters: Mapping[str, Any] = self.template.get("Parameters", {})
        return parameters


@dataclass(frozen=True)
class Export:
    stack: str
    output: str
    value: Any  # the output's Value, still to be resolved in the producing stack


@dataclass(frozen=True)
class CloudAssembly:
    directory: Path
    stacks: Mapping[str, Stack]  # in deployment order
    exports: Mapping[str, Export]
    validation_report: Mapping[str, Any] | None
    acknowledgments: list[Mapping[str, Any]] | None
    _by_path: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)

    def resources(self) -> Iterator[Resource]:
        for stack in self.stacks.values():
            yield from stack.resources.values()

    def resources_of_type(self, *types: str) -> list[Resource]:
        return [resource for resource in self.resources() if resource.type in types]

    def resource(self, stack: str, logical_id: str) -> Resource | None:
        found = self.stacks.get(stack)
        return found.resources.get(logical_id) if found else None

    def resource_at(self, address: str) -> Resource:
        stack, _, logical_id = address.partition("/")
        resource = self.resource(stack, logical_id)
        if resource is None:
            raise KeyError(f"no resource {address} in the assembly")
        return resource

    def by_construct_path(self, path: str) -> Resource | None:
        """The resource synthesized from the construct at ``path`` (an L1, or an L2's child)."""
        if not self._by_path:
            self._by_path.update(
                {resource.path: resource for resource in self.resources() if resource.path}
            )
        for candidate in (path, f"{path}/Resource", f"{path}/Default"):
            if candidate in self._by_path:
                return self._by_path[candidate]
        return None

    @property
    def stage(self) -> str:
        """The stage the stacks belong to (``MlPlatform-<stage>-<Name>``), else the folder name."""
        stages = {
            match["stage"]
            for name in self.stacks
            if (match := re.match(r"^[A-Za-z0-9]+-(?P<stage>[A-Za-z0-9]+)-", name))
        }
        return stages.pop() if len(stages) == 1 else self.directory.name


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AssemblyError(f"{what}: {path} does not exist") from error
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{what}: {path} is not valid JSON ({error})") from error


def _environment(artifact: Mapping[str, Any]) -> tuple[str | None, str | None]:
    match = _ENVIRONMENT.match(str(artifact.get("environment", "")))
    if not match:
        return None, None
    account = None if match["account"] in _UNKNOWN else match["account"]
    region = None if match["region"] in _UNKNOWN else match["region"]
    return account, region


def _construct_paths(directory: Path, artifact: Mapping[str, Any]) -> dict[str, str]:
    """Logical id -> construct path, from the stack's metadata (templates carry the path only
    when path metadata is on, as with the CDK CLI; the metadata always has it)."""
    metadata: dict[str, Any] = dict(artifact.get("metadata") or {})
    extra = artifact.get("additionalMetadataFile")
    if extra and (directory / extra).exists():
        metadata.update(_read_json(directory / extra, "stack metadata"))
    paths = {}
    for path, entries in metadata.items():
        for entry in entries or []:
            if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                paths[entry["data"]] = path.lstrip("/")
    return paths


def _stack(directory: Path, name: str, artifact: Mapping[str, Any], names: set[str]) -> Stack:
    template_file = artifact.get("properties", {}).get("templateFile")
    if not template_file:
        raise AssemblyError(f"manifest.json: stack {name} names no templateFile")
    template = _read_json(directory / template_file, f"template of {name}")
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise AssemblyError(f"template of {name}: no Resources section")
    paths = _construct_paths(directory, artifact)
    resources: dict[str, Resource] = {}
    for logical_id, body in template["Resources"].items():
        if not isinstance(body, dict) or "Type" not in body:
            raise AssemblyError(f"template of {name}: resource {logical_id} has no Type")
        depends_on = body.get("DependsOn", [])
        resources[logical_id] = Resource(
            stack=name,
            logical_id=logical_id,
            type=body["Type"],
            properties=body.get("Properties", {}) or {},
            path=(body.get("Metadata") or {}).get("aws:cdk:path") or paths.get(logical_id),
            depends_on=tuple([depends_on] if isinstance(depends_on, str) else depends_on),
        )
    account, region = _environment(artifact)
    dependencies = tuple(dep for dep in artifact.get("dependencies", []) if dep in names)
    return Stack(name, template, account, region, dependencies, resources)


def _deployment_order(stacks: dict[str, Stack]) -> dict[str, Stack]:
    ordered: dict[str, Stack] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in trail:
            raise AssemblyError(f"manifest.json: stacks depend on each other: {(*trail, name)}")
        for dependency in stacks[name].dependencies:
            visit(dependency, (*trail, name))
        ordered[name] = stacks[name]

    for name in stacks:
        visit(name, ())
    return ordered


def load_assembly(directory: Path | str) -> CloudAssembly:
    """Load every stack of the assembly in ``directory`` (what ``cdk synth`` wrote)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise AssemblyError(f"{directory} is not a directory (run synth first)")
    manifest = _read_json(directory / "manifest.json", "cloud assembly manifest")
    artifacts: Mapping[str, Any] = manifest.get("artifacts", {})
    names = {name for name, body in artifacts.items() if body.get("type") == STACK_ARTIFACT}
    if not names:
        raise AssemblyError(f"{directory / 'manifest.json'} lists no CloudFormation stacks")
    stacks = {
        name: _stack(directory, name, body, names)
        for name, body in artifacts.items()
        if name in names
    }
    exports: dict[str, Export] = {}
    for stack in stacks.values():
        for output_name, output in stack.outputs.items():
            export_name = (output.get("Export") or {}).get("Name")
            # CDK names cross-stack exports with literal strings; others are skipped, not guessed.
            if isinstance(export_name, str):
                exports[export_name] = Export(stack.name, output_name, output.get("Value"))
    report_path = directory / VALIDATION_REPORT
    register_path = directory / ACKNOWLEDGMENT_REGISTER
    report = _read_json(report_path, "cdk-nag report") if report_path.exists() else None
    register = (
        _read_json(register_path, "acknowledgment register") if register_path.exists() else None
    )
    if register is not None and not isinstance(register, list):
        raise AssemblyError(f"{register_path}: expected a list of acknowledgments")
    return CloudAssembly(
        directory=directory,
        stacks=_deployment_order(stacks),
        exports=exports,
        validation_report=report,
        acknowledgments=register,
    )
