"""Serving functions for the SageMaker scikit-learn container (and batch transform).

Requests carry the 32 feature columns of the contract. G3, the target, may be present (so rows
copied from the data files work as they are) and is then ignored: it is neither validated nor
used. Any other problem (a missing, unknown, out-of-range or mistyped field) fails the whole
request with an error naming the record (0-based) and the field: never a silent prediction
from garbage.

Accepted bodies:

* ``text/csv``: fields separated by the contract's ``;``, quoting with ``"``; one record per
  line; with a header line (any column order, names from the contract) or without one (then
  each line holds the 32 features in contract order, or all 33 columns in contract order).
* ``application/json``: one object, a list of objects, or ``{"instances": [objects]}``; each
  object maps column names to values (numbers or strings; integers may be given as "7" or 7.0).

Response: ``application/json`` ``{"predictions": [float, ...]}``, one per record, in request
order, clipped to the target's contract range.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn

from features import (
    CONTRACT,
    FEATURE_COLUMNS,
    FEATURE_NAMES,
    TARGET,
    csv_reader,
    feature_frame,
    first_problem,
    records_to_frame,
)

LOG = logging.getLogger("inference")

CSV = "text/csv"
JSON = "application/json"
MODEL_FILE = "model.joblib"
METADATA_FILE = "model_metadata.json"
FULL_ROW_NAMES = CONTRACT.column_names


class RequestError(ValueError):
    """The request cannot be turned into valid records; the message says where and why."""


class UnsupportedContentTypeError(RequestError):
    pass


@dataclass(frozen=True)
class LoadedModel:
    pipeline: Any
    metadata: dict[str, Any]


def model_fn(model_dir: str) -> LoadedModel:
    directory = Path(model_dir)
    metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    if tuple(metadata["features"]) != FEATURE_NAMES:
        raise RuntimeError(
            f"model was trained on features {metadata['features']}, "
            f"this code serves {list(FEATURE_NAMES)}"
        )
    if metadata.get("sklearn_version") != sklearn.__version__:
        LOG.warning(
            "model trained with scikit-learn %s, serving with %s",
            metadata.get("sklearn_version"),
            sklearn.__version__,
        )
    return LoadedModel(pipeline=joblib.load(directory / MODEL_FILE), metadata=metadata)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _decode(body: bytes | bytearray | str) -> str:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise RequestError(f"request body is not UTF-8 text: {error}") from None
    if not body.strip():
        raise RequestError("request body is empty")
    return body


def input_fn(request_body: bytes | str, request_content_type: str | None) -> pd.DataFrame:
    """Request body -> a typed frame of the contract's feature columns, or RequestError."""
    media_type = _media_type(request_content_type)
    if media_type == CSV:
        records = _csv_records(_decode(request_body))
    elif media_type == JSON:
        records = _json_records(_decode(request_body))
    else:
        raise UnsupportedContentTypeError(
            f"content type {request_content_type!r} is not supported; use {CSV} or {JSON}"
        )
    if not records:
        raise RequestError("request holds no records")
    for index, record in enumerate(records):
        problem = first_problem(record, FEATURE_COLUMNS)
        if problem is not None:
            raise RequestError(f"record {index}: {problem.describe()}")
    return records_to_frame(records, FEATURE_COLUMNS)


def _csv_records(text: str) -> list[dict[str, str]]:
    try:
        rows = [row for row in csv_reader(text.splitlines()) if row]
    except csv.Error as error:
        raise RequestError(f"request body is not valid CSV: {error}") from None
    if not rows:
        raise RequestError("request body has no CSV rows")
    first = [name.strip() for name in rows[0]]
    # A header is mostly column names; a record can hold a few too ("health" is also a job).
    if sum(name in FULL_ROW_NAMES for name in first) > len(first) / 2:
        return [_named_row(first, row, index) for index, row in enumerate(rows[1:])]
    return [_positional_row(row, index) for index, row in enumerate(rows)]


def _named_row(header: list[str], row: list[str], index: int) -> dict[str, str]:
    unknown = [name for name in header if name not in FULL_ROW_NAMES]
    if unknown:
        raise RequestError(f"header: unknown field(s) {', '.join(repr(name) for name in unknown)}")
    absent = [name for name in FEATURE_NAMES if name not in header]
    if absent:
        raise RequestError(f"header: field {absent[0]!r} is missing")
    if len(row) != len(header):
        raise RequestError(f"record {index}: {len(row)} fields, the header has {len(header)}")
    return dict(zip(header, row, strict=True))


def _positional_row(row: list[str], index: int) -> dict[str, str]:
    if len(row) == len(FEATURE_NAMES):
        return dict(zip(FEATURE_NAMES, row, strict=True))
    if len(row) == len(FULL_ROW_NAMES):
        return dict(zip(FULL_ROW_NAMES, row, strict=True))
    raise RequestError(
        f"record {index}: {len(row)} fields; expected {len(FEATURE_NAMES)} features in contract "
        f"order (or all {len(FULL_ROW_NAMES)} columns), separated by {CONTRACT.delimiter!r}"
    )


def _json_records(text: str) -> list[dict[str, str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(f"request body is not valid JSON: {error}") from None
    if isinstance(document, dict) and "instances" in document:
        document = document["instances"]
        if not isinstance(document, list):
            raise RequestError("'instances' must be a list of records")
    items = document if isinstance(document, list) else [document]
    return [_json_record(item, index) for index, item in enumerate(items)]


def _json_record(item: Any, index: int) -> dict[str, str]:
    if not isinstance(item, dict):
        raise RequestError(f"record {index}: expected an object of field names to values")
    unknown = [name for name in item if name not in FULL_ROW_NAMES]
    if unknown:
        raise RequestError(f"record {index}: unknown field {unknown[0]!r}")
    return {name: _json_text(item.get(name), index, name) for name in FEATURE_NAMES}


def _json_text(value: Any, index: int, name: str) -> str:
    """A JSON value as the raw text the contract checks; empty text for null/absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(
            f"record {index}: field {name!r}: {type(value).__name__} is not a valid value"
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise RequestError(f"record {index}: field {name!r}: {value!r} is not a whole number")
        value = int(value)
    return str(value)


def predict_fn(input_data: pd.DataFrame, model: LoadedModel) -> np.ndarray:
    target = CONTRACT.column(TARGET)
    predictions = model.pipeline.predict(feature_frame(input_data))
    return np.clip(predictions, target.minimum, target.maximum)


def output_fn(prediction: np.ndarray | Sequence[float], accept: str | None) -> tuple[str, str]:
    media_type = _media_type(accept)
    if media_type not in ("", "*/*", JSON):
        raise UnsupportedContentTypeError(f"accept type {accept!r} is not supported; use {JSON}")
    values = [round(float(value), 4) for value in np.asarray(prediction).ravel()]
    return json.dumps({"predictions": values}), JSON


def predict_records(model: LoadedModel, records: Sequence[Mapping[str, Any]]) -> list[float]:
    """Convenience for in-process callers: the same path as an application/json request."""
    body, _ = output_fn(predict_fn(input_fn(json.dumps(list(records)), JSON), model), JSON)
    return json.loads(body)["predictions"]
