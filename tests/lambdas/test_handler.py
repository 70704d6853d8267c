"""The validator Lambda end to end, on moto: curate, quarantine, retry, drop, never twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tools import validate_file
from tools.sample_data import DefectSpec, render_csv
from validator.settings import SettingsError

from .conftest import (
    CURATED_BUCKET,
    QUARANTINE_BUCKET,
    RAW_BUCKET,
    FakeLambdaContext,
    emitted_metrics,
    failed_ids,
    object_created_event,
    sqs_batch,
)

GOOD = render_csv(40, seed=5, quoting="uci").text.encode()


def upload_event(world, key: str, body: bytes) -> dict:
    version = world.upload(key, body)
    return object_created_event(key, version, size=len(body))


def throttle(method: str, code: str = "SlowDown"):
    def fail(*args, **kwargs):
        raise ClientError({"Error": {"Code": code, "Message": "try later"}}, method)

    return fail


# -- a good file -----------------------------------------------------------------------------


def test_a_good_file_is_curated_reported_and_trains_exactly_once(
    world, invoke, capsys, tmp_path
) -> None:
    event = upload_event(world, "incoming/school-a/2024.csv", GOOD)
    version = event["detail"]["object"]["version-id"]

    response = invoke(sqs_batch(event))

    assert response == {"batchItemFailures": []}
    folder = f"validated/school-a/2024.csv/version={version}"
    assert world.keys(CURATED_BUCKET) == [f"{folder}/data/2024.csv", f"{folder}/report.json"]
    assert world.read(CURATED_BUCKET, f"{folder}/data/2024.csv") == GOOD
    head = world.s3.head_object(Bucket=CURATED_BUCKET, Key=f"{folder}/data/2024.csv")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["Metadata"]["source-version-id"] == version
    report = world.read_json(CURATED_BUCKET, f"{folder}/report.json")
    assert report["verdict"] == "accepted"
    assert report["counts"]["rows"] == 40
    assert report["source"]["version_id"] == version
    assert world.execution_input_urls() == [f"s3://{CURATED_BUCKET}/{folder}/data/2024.csv"]
    assert world.keys(QUARANTINE_BUCKET) == []
    assert world.alerts() == []
    assert world.read(RAW_BUCKET, "incoming/school-a/2024.csv") == GOOD  # kept
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["AcceptedFiles"] == 1
    assert metrics["RejectedFiles"] == 0
    assert metrics["Rows"] == 40
    assert metrics["Bytes"] == len(GOOD)
    assert_the_local_command_agrees(GOOD, report, tmp_path, capsys)


# -- bad files -------------------------------------------------------------------------------

BAD_FILES = {
    "missing": (render_csv(30, 1, defects=[DefectSpec("missing", 2)]).text, "missing_value"),
    "out_of_range": (
        render_csv(30, 1, defects=[DefectSpec("out_of_range")]).text,
        "out_of_range",
    ),
    "formula": (render_csv(30, 1, defects=[DefectSpec("formula")]).text, "formula_injection"),
    "duplicate": (render_csv(30, 1, defects=[DefectSpec("duplicate")]).text, "duplicate_row"),
    "wrong_delimiter": (
        render_csv(30, 1, defects=[DefectSpec("wrong_delimiter")]).text,
        "delimiter",
    ),
    "header_only": (render_csv(0, 1).text, "too_few_rows"),
    "empty": ("", "empty_file"),
    "byte_order_mark": ("\ufeff" + render_csv(5, 1).text, "encoding"),
    "short_row": (render_csv(5, 1).text + "GP;F;17\n", "field_count"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_quarantined_reported_alerted_and_removed(
    world, invoke, capsys, tmp_path, name
) -> None:
    text, kind = BAD_FILES[name]
    body = text.encode()
    event = upload_event(world, f"incoming/{name}.csv", body)
    version = event["detail"]["object"]["version-id"]

    response = invoke(sqs_batch(event))

    assert response == {"batchItemFailures": []}
    folder = f"quarantine/{name}.csv/version={version}"
    assert world.keys(QUARANTINE_BUCKET) == [f"{folder}/data/{name}.csv", f"{folder}/report.json"]
    assert world.read(QUARANTINE_BUCKET, f"{folder}/data/{name}.csv") == body
    report = world.read_json(QUARANTINE_BUCKET, f"{folder}/report.json")
    assert report["verdict"] == "rejected"
    assert kind in report["counts"]["problems_by_kind"]
    assert report["source"] == {
        "bucket": RAW_BUCKET,
        "key": f"incoming/{name}.csv",
        "version_id": version,
        "size": len(body),
        "etag": report["source"]["etag"],
    }
    # The raw version is gone (no delete marker: that exact version was removed).
    versions = world.s3.list_object_versions(Bucket=RAW_BUCKET).get("Versions", [])
    assert versions == []
    (alert,) = world.alerts()
    assert alert["subject"] == f"Rejected upload: {name}.csv"
    assert f"s3://{RAW_BUCKET}/incoming/{name}.csv" in alert["text"]
    assert f"{kind}:" in alert["text"]
    assert world.executions() == []
    assert world.keys(CURATED_BUCKET) == []
    assert_the_local_command_agrees(body, report, tmp_path, capsys)


def test_alerts_name_places_and_reasons_but_never_values(world, invoke) -> None:
    rendered = render_csv(30, 2, defects=[DefectSpec("formula"), DefectSpec("unknown_category")])
    invoke(sqs_batch(upload_event(world, "incoming/x.csv", rendered.text.encode())))
    (alert,) = world.alerts()
    for defect in rendered.defects:
        assert f"line {defect.line}, column {defect.column}" in alert["text"]
        assert defect.value not in alert["text"]


def test_a_file_over_the_size_limit_is_quarantined_without_being_read(
    world, invoke, monkeypatch
) -> None:
    from validator import handler

    monkeypatch.setenv("MAX_FILE_BYTES", "1000")
    handler.runtime.cache_clear()
    event = upload_event(world, "incoming/big.csv", GOOD)
    invoke(sqs_batch(event))
    (report_key,) = [k for k in world.keys(QUARANTINE_BUCKET) if k.endswith("report.json")]
    report = world.read_json(QUARANTINE_BUCKET, report_key)
    assert report["counts"]["problems_by_kind"] == {"file_too_large": 1}
    assert report["counts"]["bytes"] == 0


# -- the same verdict as the local command ---------------------------------------------------


def assert_the_local_command_agrees(body: bytes, from_lambda: dict, tmp_path: Path, capsys):
    """tools.validate_file on the same bytes: same verdict, counts, problems and limits."""
    capsys.readouterr()
    path = tmp_path / "same-bytes.csv"
    path.write_bytes(body)
    status = validate_file.main([str(path)])
    from_command = json.loads(capsys.readouterr().out)
    assert status == (0 if from_lambda["verdict"] == "accepted" else 1)
    for field in ("verdict", "complete", "counts", "problems", "contract", "limits"):
        assert from_command[field] == from_lambda[field], field


# -- idempotency -----------------------------------------------------------------------------


def test_duplicate_deliveries_start_one_execution(world, invoke, capsys) -> None:
    event = upload_event(world, "incoming/a.csv", GOOD)
    first = invoke(sqs_batch(event, event))  # delivered twice in one batch
    second = invoke(sqs_batch(event))  # and redelivered later
    assert failed_ids(first) == failed_ids(second) == []
    assert len(world.executions()) == 1
    assert len([k for k in world.keys(CURATED_BUCKET) if "/data/" in k]) == 1
    assert emitted_metrics(capsys.readouterr().out)["AcceptedFiles"] == 1


def test_a_concurrent_delivery_is_retried_not_processed_twice(world, invoke, monkeypatch) -> None:
    event = upload_event(world, "incoming/a.csv", GOOD)
    clients = _clients()
    real_start = clients.sagemaker.start_pipeline_execution
    concurrent_responses = []

    def start_while_another_invocation_arrives(**kwargs):
        # Another Lambda instance (its own batch processor and clients) receives the same
        # message while this one is still working on it.
        from validator import handler

        other_instance = handler.build_runtime()
        concurrent = sqs_batch(event)
        response = other_instance.process_batch(concurrent, FakeLambdaContext())
        concurrent_responses.append((concurrent, response))
        return real_start(**kwargs)

    monkeypatch.setattr(
        clients.sagemaker, "start_pipeline_execution", start_while_another_invocation_arrives
    )
    assert invoke(sqs_batch(event)) == {"batchItemFailures": []}
    ((concurrent, response),) = concurrent_responses
    assert failed_ids(response) == [concurrent["Records"][0]["messageId"]]
    assert len(world.executions()) == 1


def test_a_new_version_of_the_same_key_is_a_new_upload(world, invoke) -> None:
    first = upload_event(world, "incoming/a.csv", GOOD)
    second = upload_event(world, "incoming/a.csv", render_csv(20, seed=9).text.encode())
    invoke(sqs_batch(first, second))
    assert len(world.executions()) == 2
    assert len(set(world.execution_input_urls())) == 2


def test_a_redelivered_rejection_is_not_alerted_twice_even_without_its_record(
    world, invoke
) -> None:
    event = upload_event(world, "incoming/bad.csv", BAD_FILES["missing"][0].encode())
    invoke(sqs_batch(event))
    assert len(world.alerts()) == 1
    # The idempotency record is lost (say, expired): the raw version is already gone.
    for item in world.dynamodb.scan(TableName="validator-idempotency")["Items"]:
        world.dynamodb.delete_item(TableName="validator-idempotency", Key={"id": item["id"]})
    from validator import handler

    handler.runtime.cache_clear()  # a new container: no local cache either
    response = invoke(sqs_batch(event))
    assert response == {"batchItemFailures": []}
    assert world.alerts() == []
    assert len(world.keys(QUARANTINE_BUCKET)) == 2


# -- messages that are not uploads -----------------------------------------------------------


def test_foreign_and_malformed_messages_are_dropped_without_failing_the_batch(
    world, invoke, capsys
) -> None:
    good = upload_event(world, "incoming/good.csv", GOOD)
    response = invoke(
        sqs_batch(
            "{not json",
            {"hello": "world"},
            object_created_event("incoming/a.csv", "v1", detail_type="Object Deleted"),
            object_created_event("incoming/a.csv", "v1", bucket="other-bucket"),
            object_created_event("elsewhere/a.csv", "v1"),
            good,
        )
    )
    assert response == {"batchItemFailures": []}
    assert len(world.executions()) == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["IgnoredEvents"] == 5
    assert metrics["AcceptedFiles"] == 1


def test_an_upload_deleted_before_validation_is_dropped_and_counted(world, invoke, capsys) -> None:
    event = upload_event(world, "incoming/gone.csv", GOOD)
    world.s3.delete_object(
        Bucket=RAW_BUCKET,
        Key="incoming/gone.csv",
        VersionId=event["detail"]["object"]["version-id"],
    )
    assert invoke(sqs_batch(event)) == {"batchItemFailures": []}
    assert emitted_metrics(capsys.readouterr().out)["MissingUploads"] == 1
    assert world.keys(QUARANTINE_BUCKET) == world.keys(CURATED_BUCKET) == []


def test_an_url_encoded_key_in_the_event_is_found(world, invoke) -> None:
    version = world.upload("incoming/class 7b+c.csv", GOOD)
    event = object_created_event("incoming/class+7b%2Bc.csv", version)
    assert invoke(sqs_batch(event)) == {"batchItemFailures": []}
    assert world.execution_input_urls()[0].endswith("/data/class 7b+c.csv")


def test_an_unversioned_rejected_upload_is_kept_in_the_raw_bucket(
    world, invoke, monkeypatch
) -> None:
    from validator import handler

    world.s3.create_bucket(
        Bucket="plain-raw", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    body = BAD_FILES["missing"][0].encode()
    world.upload("incoming/bad.csv", body, bucket="plain-raw")
    monkeypatch.setenv("RAW_BUCKET_NAME", "plain-raw")
    handler.runtime.cache_clear()
    event = object_created_event("incoming/bad.csv", None, bucket="plain-raw")
    assert invoke(sqs_batch(event)) == {"batchItemFailures": []}
    assert world.read("plain-raw", "incoming/bad.csv") == body
    assert any("version=unversioned-" in key for key in world.keys(QUARANTINE_BUCKET))


# -- failing dependencies --------------------------------------------------------------------


def test_a_throttled_copy_fails_only_that_message_and_its_retry_succeeds(
    world, invoke, monkeypatch
) -> None:
    bad = upload_event(world, "incoming/bad.csv", BAD_FILES["formula"][0].encode())
    good = upload_event(world, "incoming/good.csv", GOOD)
    clients = _clients()
    real_copy = clients.s3.copy_object

    def copy_failing_for_quarantine(**kwargs):
        if kwargs["Bucket"] == QUARANTINE_BUCKET:
            return throttle("CopyObject")(**kwargs)
        return real_copy(**kwargs)

    monkeypatch.setattr(clients.s3, "copy_object", copy_failing_for_quarantine)
    batch = sqs_batch(bad, good)
    response = invoke(batch)
    assert failed_ids(response) == [batch["Records"][0]["messageId"]]
    assert len(world.executions()) == 1
    assert world.read(RAW_BUCKET, "incoming/bad.csv")  # nothing lost
    assert world.alerts() == []

    monkeypatch.setattr(clients.s3, "copy_object", real_copy)  # the dependency recovers
    assert invoke(sqs_batch(bad)) == {"batchItemFailures": []}
    assert len(world.alerts()) == 1
    assert len(world.keys(QUARANTINE_BUCKET)) == 2


def test_a_failed_pipeline_start_is_retried_into_exactly_one_execution(
    world, invoke, monkeypatch
) -> None:
    event = upload_event(world, "incoming/a.csv", GOOD)
    clients = _clients()
    real_start = clients.sagemaker.start_pipeline_execution
    monkeypatch.setattr(
        clients.sagemaker,
        "start_pipeline_execution",
        throttle("StartPipelineExecution", "ThrottlingException"),
    )
    batch = sqs_batch(event)
    assert failed_ids(invoke(batch)) == [batch["Records"][0]["messageId"]]
    assert world.executions() == []

    monkeypatch.setattr(clients.sagemaker, "start_pipeline_execution", real_start)
    assert invoke(batch) == {"batchItemFailures": []}
    assert invoke(batch) == {"batchItemFailures": []}
    assert len(world.executions()) == 1


def test_an_unavailable_idempotency_table_fails_the_message(world, invoke) -> None:
    world.dynamodb.delete_table(TableName="validator-idempotency")
    batch = sqs_batch(upload_event(world, "incoming/a.csv", GOOD))
    assert failed_ids(invoke(batch)) == [batch["Records"][0]["messageId"]]
    assert world.executions() == []


def test_a_missing_variable_fails_the_invocation_naming_it(world, monkeypatch) -> None:
    from validator import handler

    monkeypatch.delenv("PIPELINE_NAME")
    handler.runtime.cache_clear()
    with pytest.raises(SettingsError, match="PIPELINE_NAME is missing"):
        handler.lambda_handler(
            sqs_batch(object_created_event("incoming/a.csv", "v")), FakeLambdaContext()
        )


def _clients():
    """The boto3 clients of the warm runtime (what a test may make fail)."""
    from validator import handler

    return handler.runtime().clients
