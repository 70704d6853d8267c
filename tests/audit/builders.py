"""Hand-written cloud assemblies for exact expectations: a manifest and a template per stack."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REGION = "us-east-1"


def resource(
    type_: str, path: str | None = None, depends_on: list[str] | None = None, **properties: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"Type": type_, "Properties": properties}
    if path:
        body["Metadata"] = {"aws:cdk:path": path}
    if depends_on:
        body["DependsOn"] = depends_on
    return body


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


def imported(name: str) -> dict[str, str]:
    return {"Fn::ImportValue": name}


def export(value: Any, name: str) -> dict[str, Any]:
    return {"Value": value, "Export": {"Name": name}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: Any, resources: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def write_assembly(
    directory: Path,
    stacks: Mapping[str, Mapping[str, Any]],
    *,
    dependencies: Mapping[str, list[str]] | None = None,
    report: Mapping[str, Any] | None = None,
    register: list[Mapping[str, Any]] | None = None,
    account: str = "unknown-account",
) -> Path:
    """``stacks``: name -> {"Resources": ..., "Outputs": ...}; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {}
    for name, template in stacks.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template), encoding="utf-8")
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://{account}/{REGION}",
            "properties": {"templateFile": f"{name}.template.json"},
            "dependencies": list((dependencies or {}).get(name, [])),
        }
    manifest = {"version": "55.0.0", "artifacts": artifacts}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if report is not None:
        (directory / "validation-report.json").write_text(json.dumps(report), encoding="utf-8")
    if register is not None:
        (directory / "acknowledgment-register.json").write_text(
            json.dumps(register), encoding="utf-8"
        )
    return directory


def json_join(document: Any, substitutions: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` as JSON text in an Fn::Join, with each marker string (e.g. "@KEY@") inside
    it replaced by an intrinsic, the way CDK writes a definition that embeds references."""
    text = json.dumps(document)
    parts: list[Any] = [text]
    for marker, value in substitutions.items():
        split: list[Any] = []
        for part in parts:
            if not isinstance(part, str):
                split.append(part)
                continue
            pieces = part.split(marker)
            for index, piece in enumerate(pieces):
                if index:
                    split.append(value)
                split.append(piece)
        parts = split
    return {"Fn::Join": ["", parts]}
