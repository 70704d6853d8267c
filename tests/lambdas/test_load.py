"""A bounded load test: 1,000 upload events through the handler, every file accounted for once.

300 small files (a few rows each, a tenth of them bad) and 700 repeated deliveries of their
events (SQS delivers at least once; here hard), shuffled, in batches of ten shared by two Lambda
instances, each with its own clients and idempotency cache. Every upload must end up curated or
quarantined exactly once, and every good one must start exactly one pipeline execution.

(A fresh upload costs about seven moto calls, ~20 ms here; repeats are what keep this fast.)
"""

from __future__ import annotations

import random

from tools.sample_data import DefectSpec, render_csv

from .conftest import (
    CURATED_BUCKET,
    QUARANTINE_BUCKET,
    RAW_BUCKET,
    FakeLambdaContext,
    failed_ids,
    object_created_event,
    sqs_batch,
)

EVENTS = 1_000
UPLOADS = 300
BATCH_SIZE = 10  # the SQS event source's largest batch without a batching window


def test_a_thousand_upload_events_handle_each_file_exactly_once(world, invoke) -> None:
    from validator import handler

    rng = random.Random(20)
    good_body = render_csv(4, seed=1).text.encode()
    bad_body = render_csv(4, seed=1, defects=[DefectSpec("missing")]).text.encode()
    events, expected_good, expected_bad = [], set(), set()
    for number in range(UPLOADS):
        key = f"incoming/school-{number % 17}/upload-{number:04d}.csv"
        is_bad = number % 10 == 3
        version = world.upload(key, bad_body if is_bad else good_body)
        (expected_bad if is_bad else expected_good).add((key, version))
        events.append(object_created_event(key, version))
    deliveries = events + rng.choices(events, k=EVENTS - UPLOADS)
    rng.shuffle(deliveries)

    other_instance = handler.build_runtime()
    failures = []
    for number, start in enumerate(range(0, EVENTS, BATCH_SIZE)):
        batch = sqs_batch(*deliveries[start : start + BATCH_SIZE])
        if number % 2:
            response = other_instance.process_batch(batch, FakeLambdaContext())
        else:
            response = invoke(batch)
        failures += failed_ids(response)

    assert failures == []
    assert sorted(_uploads_in(world, CURATED_BUCKET)) == sorted(expected_good)  # each once
    assert sorted(_uploads_in(world, QUARANTINE_BUCKET)) == sorted(expected_bad)
    # One execution per good upload; its description names the upload (no per-run lookups).
    described = [run["PipelineExecutionDescription"] for run in world.executions()]
    assert sorted(described) == sorted(
        f"Validated upload s3://{RAW_BUCKET}/{key} version {version}"
        for key, version in expected_good
    )


def _uploads_in(world, bucket: str) -> list[tuple[str, str]]:
    """(original key, version) of every data copy in a bucket, read back from its key."""
    found = []
    paginator = world.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if "/data/" not in item["Key"]:
                continue
            _, rest = item["Key"].split("/", 1)
            original, version = rest.split("/version=", 1)
            found.append((f"incoming/{original}", version.split("/data/", 1)[0]))
    return found
