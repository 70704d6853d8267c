"""Baseline statistics: full-domain counts, integer summaries, exact merging of shards."""

from __future__ import annotations

import pytest

import baseline
import features
from features import CONTRACT

from .helpers import sample_records


def accumulate(records: list[dict[str, str]]) -> dict:
    accumulator = baseline.BaselineAccumulator(CONTRACT)
    for record in records:
        accumulator.add(features.canonical(record))
    return accumulator.document("train")


def test_counts_cover_the_whole_domain_including_unseen_values() -> None:
    records = [record | {"age": "16"} for record in sample_records(10)]
    document = accumulate(records)
    age = document["features"]["age"]
    assert list(age["counts"]) == [str(value) for value in range(15, 23)]
    assert age["counts"]["16"] == 10 and age["counts"]["22"] == 0
    assert (age["mean"], age["std"], age["min"], age["max"]) == (16, 0, 16, 16)
    assert document["row_count"] == 10


def test_integer_summary_statistics() -> None:
    records = sample_records(4)
    for record, absences in zip(records, ("0", "2", "4", "6"), strict=True):
        record["absences"] = absences
    absences = accumulate(records)["features"]["absences"]
    assert absences["mean"] == 3
    assert absences["std"] == pytest.approx(5**0.5)


def test_merging_shards_equals_accumulating_everything() -> None:
    records = sample_records(300, seed=2)
    merged = baseline.merge_baselines(
        CONTRACT, [accumulate(records[:120]), accumulate(records[120:])]
    )
    assert merged == accumulate(records)


def test_merging_refuses_other_contract_versions_and_nothing() -> None:
    document = accumulate(sample_records(5))
    other = document | {"contract": {"name": CONTRACT.name, "version": "0.0.1"}}
    with pytest.raises(ValueError, match="contract versions"):
        baseline.merge_baselines(CONTRACT, [document, other])
    with pytest.raises(ValueError, match="no baselines"):
        baseline.merge_baselines(CONTRACT, [])


def test_values_outside_the_contract_are_refused_by_name() -> None:
    accumulator = baseline.BaselineAccumulator(CONTRACT)
    accumulator.add(["XX", *features.canonical(sample_records(1)[0])[1:]])
    with pytest.raises(ValueError, match=r"'school'.*\['XX'\]"):
        accumulator.document()
