"""Where curated and quarantined copies go, and the pipeline's request token."""

from __future__ import annotations

from validator.events import Upload
from validator.locations import destination_for, pipeline_request_token, source_metadata


def upload(key: str = "incoming/school-a/2024.csv", version: str | None = "v1") -> Upload:
    return Upload("raw", key, version, 10, "SEQ")


def test_the_layout_keeps_the_original_key_and_version() -> None:
    destination = destination_for(
        upload(), upload_prefix="incoming/", bucket="curated", prefix="validated/"
    )
    assert destination.data_key == "validated/school-a/2024.csv/version=v1/data/2024.csv"
    assert destination.report_key == "validated/school-a/2024.csv/version=v1/report.json"
    assert destination.data_uri == f"s3://curated/{destination.data_key}"


def test_the_data_uri_never_prefixes_the_report_whatever_the_file_is_called() -> None:
    for name in ("report.json", "report", "data", "x.report.json", "2024.csv"):
        destination = destination_for(
            upload(f"incoming/{name}"), upload_prefix="incoming/", bucket="c", prefix="v/"
        )
        assert not destination.report_key.startswith(destination.data_key)
        assert not destination.data_key.startswith(destination.report_key)


def test_the_request_token_is_stable_per_version_and_valid_for_sagemaker() -> None:
    token = pipeline_request_token(upload())
    assert token == pipeline_request_token(upload())
    assert token != pipeline_request_token(upload(version="v2"))
    assert token != pipeline_request_token(upload(key="incoming/other.csv"))
    assert 32 <= len(token) <= 128


def test_metadata_is_ascii_even_for_unicode_keys() -> None:
    metadata = source_metadata(upload("incoming/élèves 2024.csv", None))
    assert metadata["source-key"] == "incoming/%C3%A9l%C3%A8ves%202024.csv"
    assert metadata["source-version-id"] == "none"
    assert all(value.isascii() for value in metadata.values())
