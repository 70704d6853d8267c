"""The student-records data contract: the single source of truth for every column.

The contract itself is data (``student_contract.json`` beside this module); this module only
loads and checks it, with the standard library alone, so the validator Lambda, the SageMaker
containers and the tests all read the same file the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONTRACT_PATH = Path(__file__).resolve().parent / "student_contract.json"

INTEGER = "integer"
CATEGORY = "category"


class ContractError(ValueError):
    """The contract file itself is malformed."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # INTEGER or CATEGORY
    description: str
    sensitive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    allowed: tuple[str, ...] = ()

    def accepts(self, value: str) -> bool:
        """Whether one raw (unquoted) field value is within this column's contract."""
        if self.kind == CATEGORY:
            return value in self.allowed
        if not value.isascii() or not value.isdigit():
            return False
        assert self.minimum is not None and self.maximum is not None
        return self.minimum <= int(value) <= self.maximum


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    encoding: str
    delimiter: str
    quotechar: str
    target: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def feature_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.name != self.target)

    @property
    def sensitive_attributes(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.sensitive)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"column {name!r} is not in contract {self.name} {self.version}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_column(raw: object, position: int) -> Column:
    if not isinstance(raw, dict):
        raise ContractError(f"columns[{position}]: must be an object, got {raw!r}")
    name = raw.get("name")
    where = f"columns[{position}] ({name if name else '?'})"
    if not isinstance(name, str) or not name:
        raise ContractError(f"{where}: needs a non-empty string 'name'")
    kind = raw.get("type")
    if kind == INTEGER:
        minimum, maximum = raw.get("min"), raw.get("max")
        if not _is_int(minimum) or not _is_int(maximum) or minimum > maximum:
            raise ContractError(f"{where}: an integer column needs integer min <= max")
        if minimum < 0:
            raise ContractError(f"{where}: negative integers are not supported")
        return Column(
            name=raw["name"],
            kind=INTEGER,
            description=raw.get("description", ""),
            sensitive=bool(raw.get("sensitive", False)),
            minimum=minimum,
            maximum=maximum,
        )
    if kind == CATEGORY:
        allowed = raw.get("allowed")
        if (
            not isinstance(allowed, list)
            or not allowed
            or not all(isinstance(value, str) and value for value in allowed)
        ):
            raise ContractError(f"{where}: a category column needs a non-empty 'allowed' list")
        if len(set(allowed)) != len(allowed):
            raise ContractError(f"{where}: 'allowed' lists a value twice")
        return Column(
            name=raw["name"],
            kind=CATEGORY,
            description=raw.get("description", ""),
            sensitive=bool(raw.get("sensitive", False)),
            allowed=tuple(allowed),
        )
    raise ContractError(f"{where}: type must be {INTEGER!r} or {CATEGORY!r}, got {kind!r}")


_REQUIRED_KEYS = ("name", "version", "encoding", "delimiter", "quotechar", "target", "columns")


def parse_contract(document: dict) -> Contract:
    missing = [key for key in _REQUIRED_KEYS if key not in document]
    if missing:
        raise ContractError(f"the contract needs the keys {', '.join(missing)}")
    if not isinstance(document["columns"], list) or not document["columns"]:
        raise ContractError("columns: must be a non-empty list")
    columns = tuple(_parse_column(raw, i) for i, raw in enumerate(document["columns"]))
    seen: set[str] = set()
    for column in columns:
        if column.name in seen:
            raise ContractError(f"column {column.name!r} is defined twice")
        seen.add(column.name)
    target = document["target"]
    if target not in seen:
        raise ContractError(f"target {target!r} is not a column")
    if next(column for column in columns if column.name == target).kind != INTEGER:
        raise ContractError(f"target {target!r} must be an integer column (a grade)")
    return Contract(
        name=document["name"],
        version=document["version"],
        encoding=document["encoding"],
        delimiter=document["delimiter"],
        quotechar=document["quotechar"],
        target=document["target"],
        columns=columns,
    )


@lru_cache(maxsize=4)
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Load and check the contract (cached: it is read once per process)."""
    with open(path, encoding="utf-8") as handle:
        return parse_contract(json.load(handle))
