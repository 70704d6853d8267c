"""Side effects on AWS: read the upload, copy it, write reports, start the pipeline, alert.

Thin wrappers over boto3 clients passed in by the caller (created once per container). Errors
that retrying cannot fix become ``SourceGone``/``SourceChanged``; every other error propagates,
so the SQS message is retried and finally dead-lettered intact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus

from .events import Upload
from .locations import Destination

MISSING_OBJECT_CODES = {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}
PRECONDITION_FAILED_CODES = {"PreconditionFailed", "412"}
SNS_SUBJECT_MAX_CHARS = 100


class SourceGone(Exception):
    """The uploaded object version no longer exists (deleted before it could be validated)."""


class SourceChanged(Exception):
    """An unversioned upload was overwritten between reading and copying it."""


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _candidate_keys(key: str) -> list[str]:
    # S3 events may carry URL-encoded keys; try the key as given first, then decoded forms.
    return list(dict.fromkeys((key, unquote_plus(key), unquote(key))))


@dataclass
class OpenedUpload:
    upload: Upload  # with the key that really exists
    size: int
    etag: str
    body: Any  # botocore StreamingBody

    def chunks(self, chunk_bytes: int) -> Iterator[bytes]:
        return self.body.iter_chunks(chunk_bytes)


def open_upload(s3: Any, upload: Upload) -> OpenedUpload:
    for key in _candidate_keys(upload.key):
        arguments = {"Bucket": upload.bucket, "Key": key}
        if upload.version_id:
            arguments["VersionId"] = upload.version_id
        try:
            response = s3.get_object(**arguments)
        except Exception as error:
            if error_code(error) in MISSING_OBJECT_CODES:
                continue
            raise
        found = Upload(upload.bucket, key, upload.version_id, upload.size, upload.sequencer)
        return OpenedUpload(found, response["ContentLength"], response["ETag"], response["Body"])
    raise SourceGone(f"{upload.uri} version {upload.revision} does not exist")


def reopen_chunks(s3: Any, opened: OpenedUpload, chunk_bytes: int) -> Iterator[bytes]:
    """The very bytes that were opened, read again; the body is closed when done."""
    arguments = {"Bucket": opened.upload.bucket, "Key": opened.upload.key, "IfMatch": opened.etag}
    if opened.upload.version_id:
        arguments["VersionId"] = opened.upload.version_id
    body = s3.get_object(**arguments)["Body"]
    try:
        yield from body.iter_chunks(chunk_bytes)
    finally:
        body.close()


def object_size(s3: Any, bucket: str, key: str) -> int | None:
    """The size of an object, or None if it does not exist."""
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except Exception as error:
        if error_code(error) in MISSING_OBJECT_CODES:
            return None
        raise


def copy_upload(
    s3: Any,
    opened: OpenedUpload,
    destination: Destination,
    *,
    kms_key_id: str,
    metadata: dict[str, str],
) -> None:
    """Server-side copy of exactly the bytes that were validated."""
    source = {"Bucket": opened.upload.bucket, "Key": opened.upload.key}
    if opened.upload.version_id:
        source["VersionId"] = opened.upload.version_id
    try:
        s3.copy_object(
            Bucket=destination.bucket,
            Key=destination.data_key,
            CopySource=source,
            CopySourceIfMatch=opened.etag,  # guards unversioned uploads against overwrites
            MetadataDirective="REPLACE",
            Metadata=metadata,
            ContentType="text/csv",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=kms_key_id,
            BucketKeyEnabled=True,
        )
    except Exception as error:
        if error_code(error) in PRECONDITION_FAILED_CODES:
            raise SourceChanged(f"{opened.upload.uri} changed while being validated") from error
        raise


def put_report(s3: Any, destination: Destination, report: dict[str, Any], *, kms_key_id: str):
    s3.put_object(
        Bucket=destination.bucket,
        Key=destination.report_key,
        Body=json.dumps(report, indent=2, sort_keys=True).encode("utf-8"),
        ContentType="application/json",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key_id,
        BucketKeyEnabled=True,
    )


def delete_upload_version(s3: Any, upload: Upload) -> None:
    """Remove exactly the validated version (never a newer upload of the same key)."""
    if not upload.version_id:
        raise ValueError("only a specific object version may be deleted")
    s3.delete_object(Bucket=upload.bucket, Key=upload.key, VersionId=upload.version_id)


def start_pipeline(
    sagemaker: Any, *, pipeline_name: str, input_data_url: str, token: str, description: str
) -> str:
    response = sagemaker.start_pipeline_execution(
        PipelineName=pipeline_name,
        PipelineParameters=[{"Name": "InputDataUrl", "Value": input_data_url}],
        PipelineExecutionDescription=description[:3000],
        ClientRequestToken=token,
    )
    return str(response["PipelineExecutionArn"])


def publish_alert(sns: Any, *, topic_arn: str, subject: str, message: str) -> str:
    # SNS subjects: ASCII, no line breaks, at most 100 characters.
    clean = "".join(c if " " <= c <= "~" else "?" for c in subject)[:SNS_SUBJECT_MAX_CHARS]
    response = sns.publish(TopicArn=topic_arn, Subject=clean, Message=message)
    return str(response["MessageId"])
