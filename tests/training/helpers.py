"""Shared helpers for the training-script tests: generated data in the contract's formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features import CONTRACT, records_to_frame
from tools import sample_data


def sample_records(rows: int, seed: int = 0) -> list[dict[str, str]]:
    return list(sample_data.generate_rows(rows, seed))


def sample_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    return records_to_frame(sample_records(rows, seed), CONTRACT.columns)


def csv_text(records: list[dict[str, str]], names: tuple[str, ...] = CONTRACT.column_names) -> str:
    delimiter = CONTRACT.delimiter
    lines = [delimiter.join(names)] + [
        delimiter.join(record[name] for name in names) for record in records
    ]
    return "\n".join(lines) + "\n"


def write_records(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(records), encoding="utf-8")
    return path
