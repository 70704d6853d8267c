"""Read SageMaker endpoint data capture (JSON Lines) back into records and predictions.

One capture line is one invocation::

    {"captureData": {
        "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                           "data": "...", "encoding": "CSV" | "JSON" | "BASE64"},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": "{\\"predictions\\": [...]}", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "2024-05-01T10:00:00Z"},
     "eventVersion": "0"}

Request bodies take the forms inference.py accepts: ``text/csv`` (the contract's delimiter and
quote character; with or without a header line) and ``application/json`` (one object, a list of
objects, or ``{"instances": [...]}``). A line, body or record that cannot be read is counted with
its place (source and line number), never dropped silently, and its content is never logged:
captured requests are student records.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contract import Contract, load_contract

CSV = "text/csv"
JSON = "application/json"
MAX_PROBLEM_EXAMPLES = 20  # places of unreadable captures kept for the report


@dataclass
class CapturedBatch:
    """Everything read from the captures of one window."""

    # One dict per record: feature name -> raw text ("" when the field was absent).
    records: list[dict[str, str]] = field(default_factory=list)
    predictions: list[float] = field(default_factory=list)
    events: int = 0  # capture lines read
    unreadable_inputs: int = 0  # requests (or records in them) that could not be parsed
    unreadable_outputs: int = 0  # responses whose predictions could not be parsed
    problems: list[str] = field(default_factory=list)  # "<source>:<line>: <why>" (no content)

    def note(self, where: str, why: str) -> None:
        if len(self.problems) < MAX_PROBLEM_EXAMPLES:
            self.problems.append(f"{where}: {why}")


class _Unreadable(ValueError):
    pass


def _media_type(content_type: Any) -> str:
    return str(content_type or "").split(";")[0].strip().lower()


def _payload_text(payload: Mapping[str, Any]) -> str:
    data = payload.get("data")
    if not isinstance(data, str):
        raise _Unreadable("no data")
    encoding = str(payload.get("encoding", "")).upper()
    if encoding == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8-sig")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise _Unreadable(f"base64 data does not decode to UTF-8 text ({error})") from None
    if encoding in ("CSV", "JSON", ""):
        return data
    raise _Unreadable(f"unknown encoding {encoding!r}")


def _json_value_text(value: Any) -> str:
    """A JSON field as the raw text the contract checks (as inference.py reads it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()  # never a valid contract value: counted as out of contract
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_records(text: str, contract: Contract) -> list[dict[str, str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Unreadable(f"request is not valid JSON ({error.msg})") from None
    if isinstance(document, dict) and "instances" in document:
        document = document["instances"]
    items = document if isinstance(document, list) else [document]
    if not items or not all(isinstance(item, dict) for item in items):
        raise _Unreadable("JSON request is not an object or a list of objects")
    names = [column.name for column in contract.feature_columns]
    return [{name: _json_value_text(item.get(name)) for name in names} for item in items]


def _csv_records(text: str, contract: Contract) -> list[dict[str, str]]:
    rows = [
        row
        for row in csv.reader(
            text.splitlines(), delimiter=contract.delimiter, quotechar=contract.quotechar
        )
        if row
    ]
    if not rows:
        raise _Unreadable("CSV request has no rows")
    features = [column.name for column in contract.feature_columns]
    everything = list(contract.column_names)
    header = [name.strip() for name in rows[0]]
    # As inference.py: a header is mostly column names ("health" is also a job value).
    if sum(name in everything for name in header) > len(header) / 2:
        unknown = [name for name in header if name not in everything]
        if unknown:
            raise _Unreadable(f"CSV header has {len(unknown)} unknown column name(s)")
        positions = {name: position for position, name in enumerate(header)}
        records = []
        for row in rows[1:]:
            if len(row) != len(header):
                raise _Unreadable(f"a CSV row has {len(row)} fields, the header {len(header)}")
            records.append(
                {name: row[positions[name]] if name in positions else "" for name in features}
            )
        return records
    records = []
    for row in rows:
        if len(row) == len(features):
            records.append(dict(zip(features, row, strict=True)))
        elif len(row) == len(everything):
            full = dict(zip(everything, row, strict=True))
            records.append({name: full[name] for name in features})
        else:
            raise _Unreadable(
                f"a CSV row has {len(row)} fields, expected {len(features)} or {len(everything)}"
            )
    return records


def parse_request(payload: Mapping[str, Any], contract: Contract) -> list[dict[str, str]]:
    text = _payload_text(payload)
    media_type = _media_type(payload.get("observedContentType"))
    if media_type == CSV:
        return _csv_records(text, contract)
    if media_type == JSON:
        return _json_records(text, contract)
    raise _Unreadable(f"request content type {media_type or 'unknown'!r} is not read")


def parse_response(payload: Mapping[str, Any]) -> list[float]:
    text = _payload_text(payload)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Unreadable(f"response is not valid JSON ({error.msg})") from None
    values = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(values, list):
        raise _Unreadable("response has no 'predictions' list")
    predictions = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Unreadable("a prediction is not a number")
        if not math.isfinite(value):
            raise _Unreadable("a prediction is not finite")
        predictions.append(float(value))
    return predictions


def read_capture_lines(
    lines: Iterable[str],
    source: str,
    batch: CapturedBatch,
    contract: Contract | None = None,
) -> None:
    """Add the invocations of one capture file (its lines) to ``batch``."""
    contract = contract or load_contract()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        batch.events += 1
        try:
            event = json.loads(line)
            capture = event["captureData"]
            request, response = capture.get("endpointInput"), capture.get("endpointOutput")
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            batch.unreadable_inputs += 1
            batch.unreadable_outputs += 1
            batch.note(where, "not a SageMaker data capture event")
            continue
        try:
            if not isinstance(request, dict):
                raise _Unreadable("no endpointInput")
            batch.records.extend(parse_request(request, contract))
        except _Unreadable as error:
            batch.unreadable_inputs += 1
            batch.note(where, f"input: {error}")
        try:
            if not isinstance(response, dict):
                raise _Unreadable("no endpointOutput")
            batch.predictions.extend(parse_response(response))
        except _Unreadable as error:
            batch.unreadable_outputs += 1
            batch.note(where, f"output: {error}")
