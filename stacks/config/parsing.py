"""Turn plain JSON (cdk.json context) into frozen, typed config dataclasses.

Every section is a frozen dataclass whose field annotations are the schema: the parser rejects
unknown keys, missing required keys and wrong types, then runs the section's own ``check()``
for impossible values. Errors name the dotted key path, so a bad value in cdk.json produces a
one-line message instead of a failure deep inside a construct.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


class SettingError(ValueError):
    """Raised by a section's ``check()``: ``key`` is relative to that section."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class _InvalidValue(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


_TYPE_NAMES = {int: "an integer", str: "a string", bool: "true or false", float: "a number"}


def _describe(expected: Any) -> str:
    if get_origin(expected) is Literal:
        return "one of " + ", ".join(repr(value) for value in get_args(expected))
    if dataclasses.is_dataclass(expected):
        return "an object"
    return _TYPE_NAMES.get(expected, getattr(expected, "__name__", str(expected)))


def _convert(value: Any, expected: Any, path: str) -> Any:
    origin = get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        options = get_args(expected)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(value, option, path)
            except _InvalidValue as error:
                errors.append(error.message)
        raise _InvalidValue(path, " or ".join(errors))
    if origin is Literal:
        if value not in get_args(expected):
            raise _InvalidValue(path, f"must be {_describe(expected)}, got {value!r}")
        return value
    if origin is tuple:
        (item_type, _ellipsis) = get_args(expected)
        if not isinstance(value, list):
            raise _InvalidValue(path, f"must be a list, got {type(value).__name__}")
        return tuple(_convert(item, item_type, f"{path}[{i}]") for i, item in enumerate(value))
    if dataclasses.is_dataclass(expected):
        return parse_section(expected, value, path)  # type: ignore[arg-type]
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _InvalidValue(path, f"must be a number, got {value!r}")
        return float(value)
    if expected is int and isinstance(value, bool):
        raise _InvalidValue(path, f"must be an integer, got {value!r}")
    if not isinstance(value, expected):
        raise _InvalidValue(path, f"must be {_describe(expected)}, got {value!r}")
    return value


def parse_section(cls: type[T], raw: Any, path: str) -> T:
    """Build ``cls`` from ``raw``; errors carry the dotted ``path`` of the offending key."""
    if not isinstance(raw, dict):
        raise _InvalidValue(path, f"must be an object, got {raw!r}")
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    prefix = f"{path}." if path else ""
    settable = sorted(name for name, f in fields.items() if not f.metadata.get("injected"))
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise _InvalidValue(prefix + unknown[0], f"unknown key (known keys: {', '.join(settable)})")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in raw:
            values[name] = _convert(raw[name], hints[name], prefix + name)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise _InvalidValue(prefix + name, "is required")
    instance = cls(**values)
    check = getattr(instance, "check", None)
    if check is not None:
        try:
            check()
        except SettingError as error:
            raise _InvalidValue(prefix + error.key, error.message) from None
    return instance


InvalidValue = _InvalidValue
