"""The shared record transformation: field verdicts, canonical values, stable splits, reading."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import features
from features import CONTRACT, DataError, FieldProblem

from .helpers import csv_text, sample_records, write_records


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("age", "", features.MISSING),
        ("age", "14", features.OUT_OF_RANGE),
        ("age", "23", features.OUT_OF_RANGE),
        ("age", "-3", features.OUT_OF_RANGE),
        ("age", "17.0", features.NOT_AN_INTEGER),
        ("age", "seventeen", features.NOT_AN_INTEGER),
        ("age", "\u0661\u0667", features.NOT_AN_INTEGER),  # Arabic-Indic 17: digits, not ASCII
        ("school", "gp", features.NOT_ALLOWED),
        ("school", "=cmd|' /C calc'!A0", features.NOT_ALLOWED),
        ("school", "", features.MISSING),
    ],
)
def test_field_problem_classifies_what_is_wrong(field: str, value: str, problem: str) -> None:
    found = features.field_problem(CONTRACT.column(field), value)
    assert found == FieldProblem(field, problem, value)
    assert found.reason == f"{problem}:{field}"
    assert repr(field) in found.describe()


@pytest.mark.parametrize(
    ("field", "value"), [("age", "15"), ("age", "22"), ("age", "017"), ("school", "MS")]
)
def test_field_problem_accepts_values_within_the_contract(field: str, value: str) -> None:
    assert features.field_problem(CONTRACT.column(field), value) is None


def test_descriptions_say_the_allowed_range_or_values() -> None:
    assert "15..22" in FieldProblem("age", features.OUT_OF_RANGE, "99").describe()
    assert "GP, MS" in FieldProblem("school", features.NOT_ALLOWED, "XX").describe()


def test_first_problem_reports_the_first_bad_field_in_contract_order() -> None:
    record = sample_records(1)[0] | {"G1": "x", "sex": ""}
    assert features.first_problem(record) == FieldProblem("sex", features.MISSING, "")
    assert features.first_problem(sample_records(1)[0]) is None


def test_canonical_strips_leading_zeros_and_keeps_contract_order() -> None:
    record = sample_records(1)[0] | {"age": "017", "absences": "000"}
    values = features.canonical(record)
    assert values[CONTRACT.column_names.index("age")] == "17"
    assert values[CONTRACT.column_names.index("absences")] == "0"
    assert values[0] == record[CONTRACT.column_names[0]]


def test_split_is_stable_roughly_proportional_and_salt_dependent() -> None:
    records = [features.canonical(record) for record in sample_records(4000, seed=3)]
    splits = [
        features.split_of(values, train_fraction=0.7, validation_fraction=0.15)
        for values in records
    ]
    again = [
        features.split_of(values, train_fraction=0.7, validation_fraction=0.15)
        for values in records
    ]
    salted = [
        features.split_of(v, train_fraction=0.7, validation_fraction=0.15, salt="2")
        for v in records
    ]
    assert splits == again
    counts = Counter(splits)
    assert counts["train"] / 4000 == pytest.approx(0.7, abs=0.03)
    assert counts["validation"] / 4000 == pytest.approx(0.15, abs=0.03)
    assert salted != splits


def test_column_positions_maps_names_in_any_order() -> None:
    header = list(reversed(CONTRACT.column_names))
    positions = features.column_positions(header, required=CONTRACT.column_names, source="f.csv")
    assert positions["G3"] == 0 and positions["school"] == len(header) - 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*CONTRACT.column_names, "extra"], "unknown column(s) extra"),
        ([name for name in CONTRACT.column_names if name != "age"], "lacks column(s) age"),
        ([*CONTRACT.column_names, "age"], "repeats column(s) age"),
        ([",".join(CONTRACT.column_names)], "separated by ';'"),
    ],
)
def test_column_positions_refuses_bad_headers_naming_the_columns(
    header: list[str], message: str
) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        features.column_positions(header, required=CONTRACT.column_names, source="in/f.csv")
    assert "in/f.csv" in str(error.value)


def test_read_clean_files_reads_every_file_and_types_columns(tmp_path: Path) -> None:
    records = sample_records(30, seed=1)
    write_records(tmp_path / "a.csv", records[:10])
    write_records(tmp_path / "sub" / "b.csv", records[10:])
    frame = features.read_clean_files(features.list_data_files(tmp_path))
    assert len(frame) == 30
    assert list(frame.columns) == list(CONTRACT.column_names)
    assert frame["age"].dtype == "int64"
    assert frame["school"].tolist() == [record["school"] for record in records]


def test_read_clean_files_accepts_quoted_fields_and_a_bom(tmp_path: Path) -> None:
    text = "\ufeff" + csv_text(sample_records(3)).replace("\n", "\r\n")
    lines = text.split("\r\n")
    lines[1] = ";".join(f'"{field}"' for field in lines[1].split(";"))
    (tmp_path / "quoted.csv").write_text("\r\n".join(lines), encoding="utf-8")
    frame = features.read_clean_files([tmp_path / "quoted.csv"])
    assert len(frame) == 3 and frame["G3"].dtype == "int64"


def test_read_clean_files_fails_naming_file_line_and_field(tmp_path: Path) -> None:
    records = sample_records(5)
    records[3] = records[3] | {"Medu": "9"}
    path = write_records(tmp_path / "bad.csv", records)
    with pytest.raises(DataError, match=r"bad\.csv:5: field 'Medu': '9' is outside 0\.\.4"):
        features.read_clean_files([path])


def test_read_clean_files_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"school;sex\n\xff\xfe\n")
    with pytest.raises(DataError, match=r"a\.csv: not readable as utf-8 CSV"):
        features.read_clean_files([tmp_path / "a.csv"])


def test_list_data_files_skips_hidden_files_and_refuses_a_missing_directory(tmp_path: Path) -> None:
    write_records(tmp_path / "b.csv", sample_records(1))
    write_records(tmp_path / ".hidden" / "x.csv", sample_records(1))
    (tmp_path / ".DS_Store").write_text("")
    assert features.list_data_files(tmp_path) == [tmp_path / "b.csv"]
    with pytest.raises(DataError, match="does not exist"):
        features.list_data_files(tmp_path / "nope")
