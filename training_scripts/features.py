"""The record transformation shared by preprocessing, training, evaluation and serving.

One place decides whether a raw record is acceptable (the data contract, field by field), how it
is cleaned (integers canonicalised: "07" -> "7") and how records become the model's input frame,
so the endpoint applies exactly what training saw. The model uses the contract's feature columns
as they are; no derived features.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from contract import CATEGORY, Column, Contract, load_contract

CONTRACT: Contract = load_contract()
TARGET = CONTRACT.target
FEATURE_COLUMNS: tuple[Column, ...] = CONTRACT.feature_columns
FEATURE_NAMES: tuple[str, ...] = tuple(column.name for column in FEATURE_COLUMNS)
NUMERIC_FEATURES: tuple[str, ...] = tuple(c.name for c in FEATURE_COLUMNS if c.kind != CATEGORY)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(c.name for c in FEATURE_COLUMNS if c.kind == CATEGORY)
FILE_ENCODING = "utf-8-sig"  # the contract's UTF-8, tolerating the BOM spreadsheets add

MISSING = "missing"
NOT_AN_INTEGER = "not_an_integer"
OUT_OF_RANGE = "out_of_range"
NOT_ALLOWED = "not_allowed"
WRONG_FIELD_COUNT = "wrong_field_count"

SPLITS = ("train", "validation", "test")


class DataError(ValueError):
    """Data that breaks the contract where it must not (a header, or a file meant to be clean)."""


@dataclass(frozen=True)
class FieldProblem:
    """Why one field of one record breaks the contract."""

    field: str
    problem: str  # one of MISSING, NOT_AN_INTEGER, OUT_OF_RANGE, NOT_ALLOWED
    value: str

    @property
    def reason(self) -> str:
        """A short key for counting rejections: ``out_of_range:age``."""
        return f"{self.problem}:{self.field}"

    def describe(self) -> str:
        column = CONTRACT.column(self.field)
        shown = repr(self.value if len(self.value) <= 40 else self.value[:40] + "...")
        if self.problem == MISSING:
            return f"field {self.field!r} is missing"
        if self.problem == NOT_AN_INTEGER:
            return f"field {self.field!r}: {shown} is not a whole number"
        if self.problem == OUT_OF_RANGE:
            return f"field {self.field!r}: {shown} is outside {column.minimum}..{column.maximum}"
        return f"field {self.field!r}: {shown} is not one of {', '.join(column.allowed)}"


def field_problem(column: Column, value: str) -> FieldProblem | None:
    """The contract's verdict on one raw (unquoted) field value; None when it is acceptable."""
    if value == "":
        return FieldProblem(column.name, MISSING, value)
    if column.accepts(value):
        return None
    if column.kind == CATEGORY:
        return FieldProblem(column.name, NOT_ALLOWED, value)
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()):
        return FieldProblem(column.name, NOT_AN_INTEGER, value)
    return FieldProblem(column.name, OUT_OF_RANGE, value)


def first_problem(
    record: Mapping[str, str], columns: Sequence[Column] = CONTRACT.columns
) -> FieldProblem | None:
    """The first field (in contract order) of ``record`` that breaks the contract."""
    for column in columns:
        problem = field_problem(column, record[column.name])
        if problem is not None:
            return problem
    return None


def canonical(record: Mapping[str, str], columns: Sequence[Column] = CONTRACT.columns) -> list[str]:
    """A valid record's values in contract order, integers without leading zeros."""
    return [
        record[column.name] if column.kind == CATEGORY else str(int(record[column.name]))
        for column in columns
    ]


def split_of(
    values: Sequence[str], *, train_fraction: float, validation_fraction: float, salt: str = ""
) -> str:
    """train/validation/test from a stable hash of the canonical record.

    The split depends only on the record itself, never on which file or instance saw it, so it
    is the same however the input is sharded, and duplicates land together (no train/test leak).
    """
    digest = hashlib.blake2b("\x1f".join([salt, *values]).encode("utf-8"), digest_size=8).digest()
    position = int.from_bytes(digest, "big") / 2**64
    if position < train_fraction:
        return "train"
    if position < train_fraction + validation_fraction:
        return "validation"
    return "test"


def column_positions(
    header: Sequence[str], *, required: Sequence[str], optional: Sequence[str] = (), source: str
) -> dict[str, int]:
    """Map column names to their position in a file's header, refusing unknown or missing ones."""
    names = [name.strip() for name in header]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DataError(f"{source}: header repeats column(s) {', '.join(duplicates)}")
    known = set(required) | set(optional)
    unknown = [name for name in names if name not in known]
    if unknown:
        hint = ""
        if len(names) == 1 and CONTRACT.delimiter not in header[0]:
            hint = f" (fields must be separated by {CONTRACT.delimiter!r})"
        raise DataError(f"{source}: header has unknown column(s) {', '.join(unknown)}{hint}")
    absent = [name for name in required if name not in names]
    if absent:
        raise DataError(f"{source}: header lacks column(s) {', '.join(absent)}")
    return {name: position for position, name in enumerate(names)}


def csv_reader(lines: Iterable[str]) -> Iterator[list[str]]:
    """Rows of a contract-formatted CSV (delimiter and quote character from the contract)."""
    return csv.reader(lines, delimiter=CONTRACT.delimiter, quotechar=CONTRACT.quotechar)


def list_data_files(directory: str | Path) -> list[Path]:
    """Every regular, non-hidden file under ``directory`` (recursively), in a stable order."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"input directory {root} does not exist")
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def records_to_frame(
    records: Sequence[Mapping[str, str]], columns: Sequence[Column]
) -> pd.DataFrame:
    """Valid raw records -> typed frame: integers as int64, categories as Python strings."""
    data = {}
    for column in columns:
        values = [record[column.name] for record in records]
        if column.kind == CATEGORY:
            data[column.name] = pd.Series(values, dtype=object)
        else:
            data[column.name] = pd.Series([int(value) for value in values], dtype="int64")
    return pd.DataFrame(data, columns=[column.name for column in columns])


def read_clean_files(
    paths: Sequence[Path], columns: Sequence[Column] = CONTRACT.columns
) -> pd.DataFrame:
    """Read contract CSV files that must already be clean (the preprocessing outputs).

    Any bad row here means a broken pipeline, so it raises, naming file, line and field.
    """
    if not paths:
        raise DataError("no data files to read")
    names = [column.name for column in columns]
    records: list[dict[str, str]] = []
    for path in paths:
        try:
            records += _read_clean_file(path, columns, names)
        except (UnicodeDecodeError, csv.Error) as error:
            raise DataError(f"{path}: not readable as {CONTRACT.encoding} CSV: {error}") from None
    return records_to_frame(records, columns)


def _read_clean_file(
    path: Path, columns: Sequence[Column], names: list[str]
) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    with open(path, encoding=FILE_ENCODING, newline="") as handle:
        reader = csv_reader(handle)
        header = next(reader, None)
        if header is None:
            return records  # an empty shard: nothing to read
        other = [name for name in CONTRACT.column_names if name not in names]
        positions = column_positions(header, required=names, optional=other, source=str(path))
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path}:{reader.line_num}: {len(row)} fields, header has {len(header)}"
                )
            record = {name: row[positions[name]] for name in names}
            problem = first_problem(record, columns)
            if problem is not None:
                raise DataError(f"{path}:{reader.line_num}: {problem.describe()}")
            records.append(record)
    return records


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input: the contract's feature columns, in contract order."""
    return frame.loc[:, list(FEATURE_NAMES)]
