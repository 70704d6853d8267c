"""Generated baselines and endpoint captures, undrifted and drifted, for the drift-job tests.

The baseline is built by baseline.py's own accumulator from generated training records, exactly
as preprocess.py builds it; the captures are SageMaker data-capture JSON Lines whose requests
carry generated records and whose responses carry the best possible predictions
(``sample_data.expected_g3``), as a well-trained model would return.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from baseline import BaselineAccumulator
from contract import load_contract
from features import canonical
from tools import sample_data

CONTRACT = load_contract()
FEATURES = tuple(column.name for column in CONTRACT.feature_columns)
Columns = dict[str, np.ndarray]


def baseline_document(rows: int = 3000, seed: int = 101) -> dict[str, Any]:
    accumulator = BaselineAccumulator(CONTRACT)
    for record in sample_data.generate_rows(rows, seed):
        accumulator.add(canonical(record))
    return accumulator.document("train")


def generated_columns(rows: int, seed: int) -> Columns:
    return sample_data.generate_columns(rows, seed)


def records_of(columns: Mapping[str, np.ndarray]) -> list[dict[str, str]]:
    size = len(next(iter(columns.values())))
    return [{name: str(columns[name][i]) for name in FEATURES} for i in range(size)]


def predictions_of(columns: Mapping[str, np.ndarray]) -> list[float]:
    return [round(float(value), 4) for value in sample_data.expected_g3(columns)]


# --- drift scenarios: each returns new columns, the input is left as it is -------------------


def older_students(columns: Columns) -> Columns:
    """Ages shifted up two years (within the contract's 15..22)."""
    shifted = dict(columns)
    shifted["age"] = np.minimum(columns["age"] + 2, 22)
    return shifted


def weaker_grades(columns: Columns) -> Columns:
    """First- and second-period grades four points lower: predictions fall with them."""
    shifted = dict(columns)
    shifted["G1"] = np.maximum(columns["G1"] - 4, 0)
    shifted["G2"] = np.maximum(columns["G2"] - 4, 0)
    return shifted


def all_from_one_school(columns: Columns) -> Columns:
    shifted = dict(columns)
    shifted["school"] = np.full(len(columns["school"]), "MS", dtype=object)
    return shifted


def with_out_of_contract_ages(records: list[dict[str, str]], every: int) -> list[dict[str, str]]:
    """Every ``every``-th record gets an age the contract rejects."""
    return [
        {**record, "age": "23"} if position % every == 0 else record
        for position, record in enumerate(records)
    ]


# --- capture format --------------------------------------------------------------------------


def _csv_body(records: Sequence[Mapping[str, str]], header: bool) -> str:
    lines = [";".join(FEATURES)] if header else []
    lines += [";".join(f'"{record[name]}"' for name in FEATURES) for record in records]
    return "\n".join(lines)


def _json_body(records: Sequence[Mapping[str, str]]) -> str:
    typed = [
        {name: int(record[name]) if record[name].isdigit() else record[name] for name in FEATURES}
        for record in records
    ]
    return json.dumps({"instances": typed})


def capture_event(
    records: Sequence[Mapping[str, str]],
    predictions: Sequence[float],
    *,
    content_type: str = "text/csv",
    header: bool = False,
    base64_input: bool = False,
) -> str:
    body = _json_body(records) if content_type == "application/json" else _csv_body(records, header)
    encoding = "CSV" if content_type == "text/csv" else "JSON"
    if base64_input:
        body, encoding = base64.b64encode(body.encode()).decode(), "BASE64"
    event = {
        "captureData": {
            "endpointInput": {
                "observedContentType": content_type,
                "mode": "INPUT",
                "data": body,
                "encoding": encoding,
            },
            "endpointOutput": {
                "observedContentType": "application/json",
                "mode": "OUTPUT",
                "data": json.dumps({"predictions": list(predictions)}),
                "encoding": "JSON",
            },
        },
        "eventMetadata": {"eventId": "0", "inferenceTime": "2024-05-01T10:00:00Z"},
        "eventVersion": "0",
    }
    return json.dumps(event)


def capture_lines(
    records: Sequence[Mapping[str, str]],
    predictions: Sequence[float],
    *,
    per_request: int = 3,
) -> list[str]:
    """Invocations of ``per_request`` records each, alternating the request formats."""
    styles: list[Callable[[Sequence[Mapping[str, str]], Sequence[float]], str]] = [
        lambda r, p: capture_event(r, p),
        lambda r, p: capture_event(r, p, header=True),
        lambda r, p: capture_event(r, p, content_type="application/json"),
        lambda r, p: capture_event(r, p, base64_input=True),
    ]
    lines = []
    for number, start in enumerate(range(0, len(records), per_request)):
        chunk = slice(start, start + per_request)
        lines.append(styles[number % len(styles)](records[chunk], predictions[chunk]))
    return lines
