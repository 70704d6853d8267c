"""Turn one SQS message body (an EventBridge "Object Created" event from S3) into an upload.

Anything else (deletes, other sources, other buckets, keys outside the upload prefix, folder
markers, bodies that are not JSON) raises ``IgnoredEvent`` with a reason code: such messages are
dropped on purpose, logged and counted, and never fail the batch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


class IgnoredEvent(Exception):
    """A message that is not an upload to validate."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Upload:
    """One uploaded object version."""

    bucket: str
    key: str
    version_id: str | None  # None when the raw bucket is not (or was not) versioned
    size: int | None
    sequencer: str | None

    @property
    def revision(self) -> str:
        """What tells this upload apart from any other upload of the same key."""
        if self.version_id:
            return self.version_id
        return f"unversioned-{self.sequencer or 'unknown'}"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "revision": self.revision}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Upload:
        return cls(
            bucket=data["bucket"],
            key=data["key"],
            version_id=data.get("version_id"),
            size=data.get("size"),
            sequencer=data.get("sequencer"),
        )


def parse_upload(body: str, *, raw_bucket: str, upload_prefix: str) -> Upload:
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as error:
        raise IgnoredEvent("unparseable_body", f"not JSON ({error})") from None
    if not isinstance(event, dict):
        raise IgnoredEvent("unparseable_body", "not a JSON object")
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != "aws.s3" or detail_type != "Object Created":
        raise IgnoredEvent("not_object_created", f"source {source!r}, detail-type {detail_type!r}")
    detail = event.get("detail")
    bucket = _dig(detail, "bucket", "name")
    key = _dig(detail, "object", "key")
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise IgnoredEvent("malformed_event", "detail.bucket.name or detail.object.key missing")
    if bucket != raw_bucket:
        raise IgnoredEvent("foreign_bucket", f"bucket {bucket!r} is not the raw bucket")
    if not key.startswith(upload_prefix):
        raise IgnoredEvent("outside_upload_prefix", f"key {key!r} is outside {upload_prefix!r}")
    if key.endswith("/"):
        raise IgnoredEvent("folder_marker", f"key {key!r} is a folder marker")
    version_id = _dig(detail, "object", "version-id")
    # "null" is the version of objects written while versioning was off: not unique.
    if version_id in ("", "null") or not isinstance(version_id, str):
        version_id = None
    size = _dig(detail, "object", "size")
    sequencer = _dig(detail, "object", "sequencer")
    return Upload(
        bucket=bucket,
        key=key,
        version_id=version_id,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        sequencer=sequencer if isinstance(sequencer, str) and sequencer else None,
    )


def _dig(node: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node
