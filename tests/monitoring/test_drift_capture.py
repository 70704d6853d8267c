"""Reading SageMaker data capture back: every request format the endpoint accepts, and every
unreadable line counted with its place, never with its content."""

from __future__ import annotations

import json

import pytest

from drift_capture import CapturedBatch, read_capture_lines

from . import drift_data as data

RECORDS = data.records_of(data.generated_columns(8, seed=3))
PREDICTIONS = [10.5, 11.0, 12.25, 9.0, 14.0, 8.5, 13.0, 15.5]


def _read(lines):
    batch = CapturedBatch()
    read_capture_lines(lines, "capture.jsonl", batch)
    return batch


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"header": True},
        {"content_type": "application/json"},
        {"base64_input": True},
        {"content_type": "application/json", "base64_input": True},
    ],
    ids=["csv", "csv-header", "json", "csv-base64", "json-base64"],
)
def test_each_request_format_gives_back_the_records_and_predictions(options):
    batch = _read([data.capture_event(RECORDS, PREDICTIONS, **options)])
    assert batch.records == RECORDS
    assert batch.predictions == PREDICTIONS
    assert (batch.events, batch.unreadable_inputs, batch.unreadable_outputs) == (1, 0, 0)


def test_csv_rows_with_all_33_columns_drop_the_target():
    full = [{**record, "G3": "12"} for record in RECORDS[:2]]
    names = [*data.FEATURES, "G3"]
    body = "\n".join(";".join(record[name] for name in names) for record in full)
    event = json.loads(data.capture_event(RECORDS[:2], PREDICTIONS[:2]))
    event["captureData"]["endpointInput"]["data"] = body
    batch = _read([json.dumps(event)])
    assert batch.records == RECORDS[:2]


def test_a_csv_record_holding_a_column_name_is_not_taken_for_a_header():
    # "health" is both a column and a job value; a record is not a header for it.
    record = {**RECORDS[0], "Mjob": "health", "Fjob": "health"}
    batch = _read([data.capture_event([record], [10.0])])
    assert batch.records == [record]


def test_json_nulls_and_absent_fields_are_kept_as_empty_values():
    event = json.loads(data.capture_event(RECORDS[:1], [10.0], content_type="application/json"))
    instance = json.loads(event["captureData"]["endpointInput"]["data"])["instances"][0]
    instance["age"] = None
    del instance["sex"]
    event["captureData"]["endpointInput"]["data"] = json.dumps(instance)
    (record,) = _read([json.dumps(event)]).records
    assert record["age"] == "" and record["sex"] == ""
    assert record["school"] == RECORDS[0]["school"]


def test_unreadable_lines_are_counted_with_their_place_and_without_their_content():
    good = data.capture_event(RECORDS[:2], PREDICTIONS[:2])
    secret = "GP;F;17;U;SECRET-VALUE"
    bad_json = "{not json " + secret
    bad_body = json.loads(good)
    bad_body["captureData"]["endpointInput"]["data"] = secret  # 5 fields, not 32
    bad_output = json.loads(good)
    bad_output["captureData"]["endpointOutput"]["data"] = '{"error": "' + secret + '"}'
    batch = _read([good, bad_json, "", json.dumps(bad_body), json.dumps(bad_output)])
    assert batch.events == 4  # the blank line is not an event
    assert batch.records == RECORDS[:2] * 2  # good line, and the bad-output line's input
    assert batch.predictions == PREDICTIONS[:2] * 2  # good line, and the bad-input line's output
    assert batch.unreadable_inputs == 2 and batch.unreadable_outputs == 2
    places = [problem.split(": ")[0] for problem in batch.problems]
    assert places == ["capture.jsonl:2", "capture.jsonl:4", "capture.jsonl:5"]
    assert all(secret not in problem and "SECRET" not in problem for problem in batch.problems)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"observedContentType": "application/x-npy"}, "content type 'application/x-npy'"),
        ({"encoding": "BASE64", "data": "%%%"}, "base64"),
        ({"encoding": "GZIP"}, "unknown encoding"),
    ],
)
def test_requests_in_unknown_forms_are_counted_with_the_reason(change, why):
    event = json.loads(data.capture_event(RECORDS[:1], [10.0]))
    event["captureData"]["endpointInput"].update(change)
    batch = _read([json.dumps(event)])
    assert batch.unreadable_inputs == 1 and batch.records == []
    assert why in batch.problems[0]


@pytest.mark.parametrize(
    "output", ['{"predictions": [1.0, "x"]}', '{"predictions": NaN}', '{"predictions": [Infinity]}']
)
def test_responses_with_non_numeric_predictions_are_unreadable(output):
    event = json.loads(data.capture_event(RECORDS[:1], [10.0]))
    event["captureData"]["endpointOutput"]["data"] = output
    batch = _read([json.dumps(event)])
    assert batch.unreadable_outputs == 1 and batch.predictions == []
