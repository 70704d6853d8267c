"""SQS message bodies: uploads to validate, and everything else, dropped with a reason."""

from __future__ import annotations

import json

import pytest

from validator.events import IgnoredEvent, Upload, parse_upload

from .conftest import RAW_BUCKET, object_created_event


def parse(body: str | dict) -> Upload:
    text = body if isinstance(body, str) else json.dumps(body)
    return parse_upload(text, raw_bucket=RAW_BUCKET, upload_prefix="incoming/")


def test_an_upload_event_gives_bucket_key_version_and_size() -> None:
    upload = parse(object_created_event("incoming/a/b.csv", "v1", size=42))
    assert (upload.bucket, upload.key, upload.version_id, upload.size) == (
        RAW_BUCKET,
        "incoming/a/b.csv",
        "v1",
        42,
    )
    assert upload.revision == "v1"
    assert Upload.from_dict(upload.to_dict()) == upload


@pytest.mark.parametrize("version", [None, "null", ""])
def test_without_a_real_version_the_sequencer_tells_uploads_apart(version: str | None) -> None:
    first = parse(object_created_event("incoming/a.csv", version))
    second = parse(object_created_event("incoming/a.csv", version))
    assert first.version_id is None
    assert first.revision.startswith("unversioned-")
    assert first.revision != second.revision


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "unparseable_body"),
        ("[1, 2]", "unparseable_body"),
        (object_created_event("incoming/a.csv", "v", detail_type="Object Deleted"),
         "not_object_created"),
        (object_created_event("incoming/a.csv", "v", source="aws.ec2"), "not_object_created"),
        ({"Records": [{"eventSource": "aws:s3"}]}, "not_object_created"),
        (object_created_event("incoming/a.csv", "v", bucket="someone-else"), "foreign_bucket"),
        (object_created_event("other/a.csv", "v"), "outside_upload_prefix"),
        (object_created_event("incoming-old/a.csv", "v"), "outside_upload_prefix"),
        (object_created_event("incoming/folder/", "v"), "folder_marker"),
        ({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}, "malformed_event"),
    ],
)  # fmt: skip
def test_other_messages_are_ignored_with_a_reason(body: str | dict, reason: str) -> None:
    with pytest.raises(IgnoredEvent) as raised:
        parse(body)
    assert raised.value.reason == reason
