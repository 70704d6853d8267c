"""The drift job's AWS side: find the baseline, read a window of captures, publish the figures.

Capture layout (SageMaker data capture)::

    <capture uri>/<endpoint name>/<variant name>/yyyy/mm/dd/hh/<file>.jsonl

A window of ``hours`` is the ``hours`` whole hours before ``end`` (rounded down to the hour), so
consecutive runs on a schedule of the same length cover the captures once each.

The baseline of the served model: the model package's metadata names the pipeline execution
that produced it (``pipeline_execution_arn``), and preprocess.py wrote the training split's
baseline under ``<processed uri>/<execution id>/baseline/`` (``baseline.json``, or one
``baseline-<host>.json`` per instance, merged here with baseline.merge_baselines).
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import drift_metrics as names
from baseline import merge_baselines
from contract import Contract
from drift_capture import CapturedBatch, read_capture_lines
from drift_stats import DriftReport

PIPELINE_EXECUTION_METADATA_KEY = "pipeline_execution_arn"
BASELINE_FOLDER = "baseline"
# PutMetricData takes up to 1000 metrics per request; small batches keep requests small.
METRICS_PER_REQUEST = 20


class DriftInputError(RuntimeError):
    """The job cannot find or read what it must compare (baseline, model package)."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise DriftInputError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise DriftInputError(f"no bucket in {uri!r}")
    return bucket, key


def _join(prefix: str, *parts: str) -> str:
    joined = posixpath.join(prefix.strip("/"), *(part.strip("/") for part in parts))
    return joined.lstrip("/")


def window_hours(end: datetime, hours: int) -> list[datetime]:
    """The start of each whole hour in the window, oldest first."""
    if hours < 1:
        raise ValueError(f"the window must be at least one hour, got {hours}")
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    # timezone.utc, not datetime.UTC: the SageMaker container runs Python 3.10.
    utc = end.astimezone(timezone.utc)  # noqa: UP017
    last = utc.replace(minute=0, second=0, microsecond=0)
    return [last - timedelta(hours=offset) for offset in range(hours, 0, -1)]


def _list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def _list_folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    folders: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, Delimiter="/"
    )
    for page in pages:
        folders.extend(item["Prefix"] for item in page.get("CommonPrefixes", []))
    return sorted(folders)


def capture_keys(
    s3: Any, capture_uri: str, endpoint_name: str, end: datetime, hours: int
) -> tuple[str, list[str]]:
    """(bucket, keys) of every capture file of the endpoint's variants in the window."""
    bucket, prefix = split_s3_uri(capture_uri)
    endpoint_prefix = _join(prefix, endpoint_name) + "/"
    keys: list[str] = []
    for variant_prefix in _list_folders(s3, bucket, endpoint_prefix):
        for hour in window_hours(end, hours):
            hour_prefix = variant_prefix + hour.strftime("%Y/%m/%d/%H/")
            keys.extend(
                key for key in _list_keys(s3, bucket, hour_prefix) if key.endswith(".jsonl")
            )
    return bucket, keys


def read_captures(s3: Any, bucket: str, keys: Sequence[str], contract: Contract) -> CapturedBatch:
    batch = CapturedBatch()
    for key in keys:
        # Capture files hold minutes of traffic each: small enough to read whole.
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")
        read_capture_lines(text.splitlines(), f"s3://{bucket}/{key}", batch, contract)
    return batch


def baseline_prefix_of_model(sagemaker: Any, model_package_arn: str, processed_uri: str) -> str:
    """s3:// prefix of the baseline written by the pipeline execution that built the model."""
    package = sagemaker.describe_model_package(ModelPackageName=model_package_arn)
    execution_arn = (package.get("CustomerMetadataProperties") or {}).get(
        PIPELINE_EXECUTION_METADATA_KEY
    )
    if not execution_arn:
        raise DriftInputError(
            f"model package {model_package_arn} has no {PIPELINE_EXECUTION_METADATA_KEY!r} "
            "metadata: it was not registered by the platform's pipeline; pass --baseline-uri"
        )
    execution_id = execution_arn.rstrip("/").rsplit("/", 1)[-1]
    bucket, prefix = split_s3_uri(processed_uri)
    return f"s3://{bucket}/{_join(prefix, execution_id, BASELINE_FOLDER)}/"


def load_baseline(s3: Any, baseline_uri: str, contract: Contract) -> dict[str, Any]:
    """One baseline from a baseline*.json object, or from every baseline*.json under a prefix."""
    bucket, key = split_s3_uri(baseline_uri)
    if key.endswith(".json"):
        keys = [key]
    else:
        prefix = key if key.endswith("/") else key + "/"
        keys = [
            candidate
            for candidate in _list_keys(s3, bucket, prefix)
            if posixpath.basename(candidate).startswith("baseline") and candidate.endswith(".json")
        ]
    if not keys:
        raise DriftInputError(f"no baseline*.json under {baseline_uri}")
    documents = []
    for name in keys:
        try:
            body = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise DriftInputError(f"baseline s3://{bucket}/{name} does not exist") from None
        documents.append(json.loads(body))
    return documents[0] if len(documents) == 1 else merge_baselines(contract, documents)


def metric_data(
    report: DriftReport, unreadable: int, endpoint_name: str, timestamp: datetime
) -> list[dict[str, Any]]:
    """The figures of one run as PutMetricData items (absent figures are not published)."""
    endpoint = {"Name": names.ENDPOINT_DIMENSION, "Value": endpoint_name}

    def item(name: str, value: float, unit: str, *extra: Mapping[str, str]) -> dict[str, Any]:
        if not math.isfinite(value):
            raise ValueError(f"{name} is not a finite number: {value}")
        return {
            "MetricName": name,
            "Dimensions": [endpoint, *extra],
            "Timestamp": timestamp,
            "Value": float(value),
            "Unit": unit,
        }

    items = [
        item(names.RECORDS_COMPARED, report.records, "Count"),
        item(names.UNREADABLE_CAPTURES, unreadable, "Count"),
    ]
    if report.out_of_contract_share is not None:
        items.append(item(names.OUT_OF_CONTRACT_SHARE, report.out_of_contract_share, "None"))
    if report.max_feature_psi is not None:
        items.append(item(names.MAX_FEATURE_PSI, report.max_feature_psi, "None"))
    for feature, value in sorted(report.feature_psi.items()):
        feature_dimension = {"Name": names.FEATURE_DIMENSION, "Value": feature}
        items.append(item(names.FEATURE_PSI, value, "None", feature_dimension))
    if report.prediction_psi is not None:
        items.append(item(names.PREDICTION_PSI, report.prediction_psi, "None"))
    return items


def publish(cloudwatch: Any, namespace: str, items: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(items), METRICS_PER_REQUEST):
        cloudwatch.put_metric_data(
            Namespace=namespace, MetricData=list(items[start : start + METRICS_PER_REQUEST])
        )
