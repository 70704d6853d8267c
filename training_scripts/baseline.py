"""Baseline statistics of the training split, for drift detection later.

Per column, the count of every value in the contract's domain (zeros included), plus summary
statistics for integers. Counts, not proportions, so the baselines of several processing
instances (each seeing a shard) merge exactly with ``merge_baselines``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contract import CATEGORY, Column, Contract

BASELINE_FORMAT = "student-records-baseline/1"


class BaselineAccumulator:
    """Counts the values of valid, canonical records (contract order) one record at a time."""

    def __init__(self, contract: Contract) -> None:
        self._contract = contract
        self._counts: list[Counter[str]] = [Counter() for _ in contract.columns]
        self.rows = 0

    def add(self, values: Sequence[str]) -> None:
        for counter, value in zip(self._counts, values, strict=True):
            counter[value] += 1
        self.rows += 1

    def document(self, split: str = "train") -> dict[str, Any]:
        counts = {
            column.name: dict(counter)
            for column, counter in zip(self._contract.columns, self._counts, strict=True)
        }
        return build_document(self._contract, counts, self.rows, split)


def _domain(column: Column) -> list[str]:
    if column.kind == CATEGORY:
        return list(column.allowed)
    assert column.minimum is not None and column.maximum is not None
    return [str(value) for value in range(column.minimum, column.maximum + 1)]


def _column_statistics(column: Column, counts: Mapping[str, int]) -> dict[str, Any]:
    domain = _domain(column)
    unexpected = sorted(set(counts) - set(domain))
    if unexpected:
        raise ValueError(f"baseline for {column.name!r}: values outside the contract {unexpected}")
    full = {value: int(counts.get(value, 0)) for value in domain}
    entry: dict[str, Any] = {"type": column.kind, "counts": full}
    if column.kind != CATEGORY:
        total = sum(full.values())
        if total:
            mean = sum(int(value) * count for value, count in full.items()) / total
            variance = (
                sum(count * (int(value) - mean) ** 2 for value, count in full.items()) / total
            )
            present = [int(value) for value, count in full.items() if count]
            entry.update(mean=mean, std=math.sqrt(variance), min=min(present), max=max(present))
        else:
            entry.update(mean=None, std=None, min=None, max=None)
    return entry


def build_document(
    contract: Contract, counts: Mapping[str, Mapping[str, int]], rows: int, split: str
) -> dict[str, Any]:
    columns = {
        column.name: _column_statistics(column, counts.get(column.name, {}))
        for column in contract.columns
    }
    return {
        "format": BASELINE_FORMAT,
        "contract": {"name": contract.name, "version": contract.version},
        "split": split,
        "row_count": rows,
        "features": {name: entry for name, entry in columns.items() if name != contract.target},
        "target": {contract.target: columns[contract.target]},
    }


def merge_baselines(contract: Contract, documents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One baseline from several shards' baselines (same contract and split)."""
    documents = list(documents)
    if not documents:
        raise ValueError("no baselines to merge")
    splits = {document["split"] for document in documents}
    versions = {document["contract"]["version"] for document in documents}
    if len(splits) != 1 or versions != {contract.version}:
        raise ValueError(
            f"cannot merge baselines of splits {splits} and contract versions {versions}"
        )
    totals: dict[str, Counter[str]] = {column.name: Counter() for column in contract.columns}
    for document in documents:
        for section in ("features", "target"):
            for name, entry in document[section].items():
                totals[name].update(entry["counts"])
    rows = sum(int(document["row_count"]) for document in documents)
    return build_document(
        contract, {name: dict(counter) for name, counter in totals.items()}, rows, splits.pop()
    )
