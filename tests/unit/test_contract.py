"""The contract loader: the real contract's shape, field checks, and bad documents refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from contract import CATEGORY, CONTRACT_PATH, INTEGER, ContractError, load_contract, parse_contract

DOCUMENT = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))


def test_the_contract_has_the_uci_columns_with_g3_last() -> None:
    contract = load_contract()
    assert len(contract.columns) == 33
    assert contract.target == "G3" and contract.column_names[-1] == "G3"
    assert len(contract.feature_columns) == 32 and "G3" not in [
        c.name for c in contract.feature_columns
    ]
    assert contract.sensitive_attributes == ("school", "sex", "age", "address")
    assert (contract.delimiter, contract.quotechar) == (";", '"')


def test_load_contract_is_cached_per_path() -> None:
    assert load_contract() is load_contract()


def test_column_lookup_names_the_missing_column() -> None:
    with pytest.raises(KeyError, match="'height'"):
        load_contract().column("height")


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("age", "15", True),
        ("age", "22", True),
        ("age", "014", False),
        ("age", "23", False),
        ("age", "", False),
        ("age", "+16", False),
        ("age", " 16", False),
        ("age", "16.0", False),
        ("age", "\u0661\u0666", False),  # Arabic-Indic 16: not ASCII digits
        ("absences", "0", True),
        ("absences", "93", True),
        ("sex", "F", True),
        ("sex", "f", False),
        ("sex", '"F"', False),  # quotes are the CSV reader's business, not the column's
    ],
)
def test_column_accepts_only_values_within_the_contract(
    name: str, value: str, accepted: bool
) -> None:
    assert load_contract().column(name).accepts(value) is accepted


def document_with(position: int, **changes: object) -> dict:
    document = copy.deepcopy(DOCUMENT)
    column = document["columns"][position]
    for key, value in changes.items():
        if value is None:
            column.pop(key, None)
        else:
            column[key] = value
    return document


AGE = DOCUMENT["columns"].index(next(c for c in DOCUMENT["columns"] if c["name"] == "age"))
SEX = DOCUMENT["columns"].index(next(c for c in DOCUMENT["columns"] if c["name"] == "sex"))


@pytest.mark.parametrize(
    ("position", "changes", "message"),
    [
        (AGE, {"type": "float"}, "type must be 'integer' or 'category'"),
        (AGE, {"min": None}, "integer min <= max"),
        (AGE, {"max": "22"}, "integer min <= max"),
        (AGE, {"min": 30}, "integer min <= max"),
        (AGE, {"min": -1}, "negative integers"),
        (SEX, {"allowed": []}, "non-empty 'allowed'"),
        (SEX, {"allowed": None}, "non-empty 'allowed'"),
        (SEX, {"allowed": ["F", ""]}, "non-empty 'allowed'"),
        (SEX, {"allowed": ["F", 1]}, "non-empty 'allowed'"),
    ],
)
def test_bad_columns_raise_contract_error_naming_the_column(
    position: int, changes: dict, message: str
) -> None:
    name = DOCUMENT["columns"][position]["name"]
    with pytest.raises(ContractError, match=message) as error:
        parse_contract(document_with(position, **changes))
    assert f"columns[{position}] ({name})" in str(error.value)


def test_duplicate_column_names_are_refused() -> None:
    document = copy.deepcopy(DOCUMENT)
    document["columns"][1]["name"] = document["columns"][0]["name"]
    with pytest.raises(ContractError, match="column 'school' is defined twice"):
        parse_contract(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["columns"][0].pop("name"),
            r"columns\[0\] \(\?\): needs a non-empty string 'name'",
        ),
        (lambda d: d.pop("target"), "the contract needs the keys target"),
        (
            lambda d: d["columns"][2].update(min=True),
            r"columns\[2\] \(age\): an integer column needs",
        ),
        (
            lambda d: d["columns"][0].update(allowed=["GP", "GP"]),
            r"\(school\): 'allowed' lists a value twice",
        ),
        (lambda d: d.update(target="school"), "target 'school' must be an integer column"),
        (lambda d: d.update(columns=[]), "columns: must be a non-empty list"),
    ],
)
def test_malformed_contracts_get_a_contract_error_naming_the_problem(change, message) -> None:
    document = copy.deepcopy(DOCUMENT)
    change(document)
    with pytest.raises(ContractError, match=message):
        parse_contract(document)


def test_a_target_that_is_not_a_column_is_refused_by_name() -> None:
    with pytest.raises(ContractError, match="'G4'"):
        parse_contract(DOCUMENT | {"target": "G4"})


def test_load_contract_reads_another_path(tmp_path: Path) -> None:
    document = copy.deepcopy(DOCUMENT)
    document["version"] = "9.9.9"
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    contract = load_contract(path)
    assert contract.version == "9.9.9"
    assert {column.kind for column in contract.columns} == {INTEGER, CATEGORY}
