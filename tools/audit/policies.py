"""IAM policy statements, resolved, and the matching rules of IAM (actions, resources, principals).

Actions are matched case-insensitively with ``*`` and ``?`` wildcards; resource ARNs
case-sensitively with the same wildcards, where ``*`` also crosses ``/`` and ``:``. Conditions
are kept (resolved) for the report, not evaluated: the report shows them next to each grant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .intrinsics import Resolver


@dataclass(frozen=True)
class PolicySource:
    kind: str  # "identity", "bucket policy", "key policy", "topic policy", "queue policy", ...
    address: str  # the resource that holds the document: <stack>/<logical id>
    name: str  # readable: policy name, or the resource's construct name


@dataclass(frozen=True)
class Principals:
    """A statement's Principal block, resolved: ``{"AWS": [...], "Service": [...]}``."""

    entries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def everyone(self) -> bool:
        return "*" in self.entries.get("AWS", ()) or "*" in self.entries.get("*", ())

    def of_kind(self, kind: str) -> tuple[str, ...]:
        return self.entries.get(kind, ())


@dataclass(frozen=True)
class Statement:
    source: PolicySource
    sid: str
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]  # resolved ARN texts (patterns)
    not_resource: bool
    principals: Principals | None  # None in identity policies
    not_principal: bool
    conditions: Mapping[str, Any]

    @property
    def label(self) -> str:
        sid = f" [{self.sid}]" if self.sid else ""
        return f"{self.source.kind} {self.source.name}{sid}"

    def allows(self) -> bool:
        return self.effect == "Allow"

    def covers_action(self, action: str) -> bool:
        matched = any(action_matches(pattern, action) for pattern in self.actions)
        return matched != self.not_action

    def matching_patterns(self, action: str) -> tuple[str, ...]:
        return tuple(pattern for pattern in self.actions if action_matches(pattern, action))


class PolicyError(ValueError):
    """A policy document that does not have the shape IAM requires."""


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(item) for item in items)


def parse_document(
    document: Any, resolver: Resolver, stack: str, source: PolicySource
) -> list[Statement]:
    """The statements of one policy document (as written in a template)."""
    resolved = resolver.resolve(document, stack)
    if isinstance(resolved, str):
        try:  # some resources keep their policy as a JSON string
            resolved = json.loads(resolved)
        except json.JSONDecodeError as error:
            raise PolicyError(f"{source.address}: policy document is not JSON ({error})") from None
    if not isinstance(resolved, dict):
        raise PolicyError(f"{source.address}: policy document is not an object")
    raw_statements = resolved.get("Statement", [])
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    statements = []
    for index, raw in enumerate(raw_statements):
        if not isinstance(raw, dict) or raw.get("Effect") not in ("Allow", "Deny"):
            raise PolicyError(f"{source.address}: statement {index} has no Effect Allow/Deny")
        principal_key = "NotPrincipal" if "NotPrincipal" in raw else "Principal"
        principals = None
        if principal_key in raw:
            block = raw[principal_key]
            if block == "*":
                block = {"AWS": "*"}
            if not isinstance(block, dict):
                raise PolicyError(f"{source.address}: statement {index} has a malformed Principal")
            principals = Principals({kind: _as_tuple(value) for kind, value in block.items()})
        statements.append(
            Statement(
                source=source,
                sid=str(raw.get("Sid", "")),
                effect=raw["Effect"],
                actions=_as_tuple(raw.get("NotAction", raw.get("Action"))),
                not_action="NotAction" in raw,
                resources=_as_tuple(raw.get("NotResource", raw.get("Resource"))),
                not_resource="NotResource" in raw,
                principals=principals,
                not_principal=principal_key == "NotPrincipal",
                conditions=raw.get("Condition") or {},
            )
        )
    return statements


@cache
def _pattern(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), 0 if case_sensitive else re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern, False).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    return _pattern(pattern, True).fullmatch(arn) is not None


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def covers_resource(statement: Statement, arn: str) -> bool:
    matched = any(resource_matches(pattern, arn) for pattern in statement.resources)
    return matched != statement.not_resource


def format_conditions(conditions: Mapping[str, Any]) -> str:
    """``StringEquals aws:SourceAccount=123; Bool aws:SecureTransport=false``."""
    parts = []
    for operator, tests in conditions.items():
        if not isinstance(tests, dict):
            parts.append(f"{operator} {tests}")
            continue
        for key, value in tests.items():
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(
                str(item).lower() if isinstance(item, bool) else str(item) for item in values
            )
            parts.append(f"{operator} {key}={shown}")
    return "; ".join(parts)


def condition_keys(conditions: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for tests in conditions.values():
        if isinstance(tests, dict):
            keys.update(key.lower() for key in tests)
    return keys


def expand(patterns: Iterable[str], catalog: Iterable[str]) -> list[str]:
    """The catalog's actions that any of ``patterns`` matches."""
    patterns = tuple(patterns)
    return [action for action in catalog if any(action_matches(p, action) for p in patterns)]
