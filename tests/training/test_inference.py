"""Serving functions: good payloads in every accepted shape, bad ones named by record and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

import inference
from features import CONTRACT, FEATURE_NAMES
from inference import CSV, JSON, RequestError, UnsupportedContentTypeError

from .helpers import csv_text, sample_records

RECORDS = sample_records(3, seed=41)


def predict(body: str | bytes, content_type: str, model: inference.LoadedModel) -> list[float]:
    response, media_type = inference.output_fn(
        inference.predict_fn(inference.input_fn(body, content_type), model), JSON
    )
    assert media_type == JSON
    return json.loads(response)["predictions"]


@pytest.fixture(scope="module")
def expected(loaded_model: inference.LoadedModel) -> list[float]:
    return predict(json.dumps(RECORDS), JSON, loaded_model)


def features_only(record: dict[str, str]) -> dict[str, str]:
    return {name: record[name] for name in FEATURE_NAMES}


# ---- good payloads --------------------------------------------------------------------------


def test_predictions_are_grades_within_the_contract_range(expected: list[float]) -> None:
    assert len(expected) == 3
    assert all(0 <= value <= 20 for value in expected)


def test_csv_with_header_one_and_many_records(loaded_model, expected) -> None:
    assert predict(csv_text(RECORDS), CSV, loaded_model) == expected
    assert predict(csv_text(RECORDS[:1]), CSV, loaded_model) == expected[:1]


def test_csv_header_in_another_order_and_without_g3(loaded_model, expected) -> None:
    names = tuple(reversed(FEATURE_NAMES))
    assert predict(csv_text(RECORDS, names), CSV, loaded_model) == expected


def test_csv_without_header_with_32_features_or_all_33_columns(loaded_model, expected) -> None:
    features_body = "\n".join(
        ";".join(record[name] for name in FEATURE_NAMES) for record in RECORDS
    )
    full_body = "\n".join(
        ";".join(record[name] for name in CONTRACT.column_names) for record in RECORDS
    )
    assert predict(features_body, CSV, loaded_model) == expected
    assert predict(full_body + "\n", CSV, loaded_model) == expected


def test_csv_with_uci_quoting_bytes_and_a_charset(loaded_model, expected) -> None:
    line = ";".join(f'"{RECORDS[0][name]}"' for name in CONTRACT.column_names)
    assert predict(line.encode("utf-8"), "text/csv; charset=utf-8", loaded_model) == expected[:1]


def test_json_object_list_and_instances(loaded_model, expected) -> None:
    assert predict(json.dumps(RECORDS[0]), JSON, loaded_model) == expected[:1]
    assert predict(json.dumps({"instances": RECORDS}), JSON, loaded_model) == expected
    assert predict(json.dumps(RECORDS).encode(), "Application/JSON", loaded_model) == expected


def test_json_numbers_are_accepted_for_integer_fields(loaded_model, expected) -> None:
    typed = {name: int(value) if value.isdigit() else value for name, value in RECORDS[0].items()}
    typed["age"] = float(typed["age"])
    assert predict(json.dumps(typed), JSON, loaded_model) == expected[:1]


def test_g3_is_ignored_whether_absent_present_or_even_invalid(loaded_model, expected) -> None:
    without = [features_only(record) for record in RECORDS]
    odd_target = [record | {"G3": "99"} for record in RECORDS]
    assert predict(json.dumps(without), JSON, loaded_model) == expected
    assert predict(json.dumps(odd_target), JSON, loaded_model) == expected
    assert predict(csv_text(odd_target), CSV, loaded_model) == expected
    names = CONTRACT.column_names
    positional = "\n".join(";".join(row[name] for name in names) for row in odd_target)
    assert predict(positional, CSV, loaded_model) == expected


def test_accept_header_variants(loaded_model) -> None:
    for accept in (None, "*/*", "application/json"):
        assert inference.output_fn(np.array([1.23456]), accept) == (
            '{"predictions": [1.2346]}',
            JSON,
        )


# ---- bad payloads ---------------------------------------------------------------------------


def bad(body: str | bytes, content_type: str = JSON) -> str:
    with pytest.raises(RequestError) as error:
        inference.input_fn(body, content_type)
    return str(error.value)


def test_missing_field_is_named_in_json() -> None:
    record = features_only(RECORDS[1])
    del record["studytime"]
    message = bad(json.dumps([RECORDS[0], record]))
    assert message == "record 1: field 'studytime' is missing"


def test_null_and_empty_values_count_as_missing() -> None:
    assert bad(json.dumps(RECORDS[0] | {"Mjob": None})) == "record 0: field 'Mjob' is missing"
    body = csv_text([RECORDS[0], RECORDS[1] | {"absences": ""}])
    assert bad(body, CSV) == "record 1: field 'absences' is missing"


def test_missing_column_in_a_csv_header_is_named() -> None:
    names = tuple(name for name in CONTRACT.column_names if name != "Fedu")
    assert "field 'Fedu' is missing" in bad(csv_text(RECORDS, names), CSV)


def test_out_of_range_is_named_with_the_range() -> None:
    message = bad(csv_text([RECORDS[0], RECORDS[1], RECORDS[2] | {"age": "30"}]), CSV)
    assert message == "record 2: field 'age': '30' is outside 15..22"


def test_unknown_category_is_named_with_the_allowed_values() -> None:
    message = bad(json.dumps({"instances": [RECORDS[0] | {"guardian": "aunt"}]}))
    assert message == "record 0: field 'guardian': 'aunt' is not one of mother, father, other"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "record 0: field 'failures': bool is not a valid value"),
        ([1], "record 0: field 'failures': list is not a valid value"),
        (1.5, "record 0: field 'failures': 1.5 is not a whole number"),
        ("two", "record 0: field 'failures': 'two' is not a whole number"),
    ],
)
def test_wrong_types_are_named(value: object, expected: str) -> None:
    assert bad(json.dumps(RECORDS[0] | {"failures": value})) == expected


def test_unknown_fields_are_refused_so_typos_do_not_go_unnoticed() -> None:
    assert bad(json.dumps(RECORDS[0] | {"Medu ": "1"})) == "record 0: unknown field 'Medu '"
    names = (*CONTRACT.column_names, "name")
    assert "unknown field(s) 'name'" in bad(
        csv_text([record | {"name": "x"} for record in RECORDS], names), CSV
    )


def test_a_csv_line_with_the_wrong_number_of_fields_is_named() -> None:
    full = "\n".join(";".join(record[name] for name in CONTRACT.column_names) for record in RECORDS)
    assert bad(full + ";extra", CSV).startswith("record 2: 34 fields; expected 32 features")
    short = ";".join(RECORDS[0][name] for name in FEATURE_NAMES[:-1])
    assert bad(short, CSV).startswith("record 0: 31 fields; expected 32 features")
    commas = ",".join(RECORDS[0][name] for name in FEATURE_NAMES)
    assert "separated by ';'" in bad(commas, CSV)


def test_a_record_that_is_not_an_object_is_named() -> None:
    assert (
        bad(json.dumps([RECORDS[0], "GP;F;18"]))
        == "record 1: expected an object of field names to values"
    )


@pytest.mark.parametrize("body", ["", "   \n", b""])
def test_an_empty_body_is_refused(body: str | bytes) -> None:
    assert bad(body) == "request body is empty"
    assert bad(body, CSV) == "request body is empty"


def test_an_empty_list_and_broken_json_and_bytes_that_are_not_utf8() -> None:
    assert bad("[]") == "request holds no records"
    assert bad('{"school": ').startswith("request body is not valid JSON")
    assert bad(b"\xff\xfe\x00", CSV).startswith("request body is not UTF-8")


def test_a_body_the_csv_reader_cannot_parse_is_refused() -> None:
    assert bad("a" * 200_000, CSV).startswith("request body is not valid CSV: field larger")


def test_unsupported_content_and_accept_types_are_refused() -> None:
    with pytest.raises(UnsupportedContentTypeError, match="'application/x-npy' is not supported"):
        inference.input_fn(b"\x93NUMPY", "application/x-npy")
    with pytest.raises(
        UnsupportedContentTypeError, match="accept type 'text/csv' is not supported"
    ):
        inference.output_fn(np.array([1.0]), "text/csv")


def test_model_fn_refuses_a_model_trained_on_other_features(model_dir, tmp_path) -> None:
    for path in model_dir.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    metadata = json.loads((tmp_path / inference.METADATA_FILE).read_text())
    metadata["features"] = metadata["features"][:-1]
    (tmp_path / inference.METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(RuntimeError, match="trained on features"):
        inference.model_fn(str(tmp_path))


def test_a_headerless_record_holding_values_that_are_also_column_names(loaded_model) -> None:
    record = RECORDS[0] | {"Mjob": "health", "Fjob": "health"}  # "health" is also a column
    line = ";".join(record[name] for name in FEATURE_NAMES)
    assert len(predict(line, CSV, loaded_model)) == 1
