"""What happens to one upload: validate it, then curate it or quarantine it.

Accepted: server-side copy to the curated bucket, report beside it, then exactly one pipeline
execution (its ClientRequestToken is derived from the upload, so a retry cannot start a second
one even before the idempotency record exists).

Rejected: copy to the quarantine bucket, check the copy's size, report beside it, alert, and
only then delete the raw object version. "Moved" means: the bytes exist in quarantine (with the
source version in the path and metadata) and that exact version is removed from the raw bucket,
so a bad file is never kept where uploads are picked up. An unversioned upload is never deleted
(the key may already hold a newer upload).

Every step is safe to repeat: a failure anywhere raises, the message is retried and the steps
run again, overwriting their own output with the same content.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .actions import (
    OpenedUpload,
    SourceGone,
    copy_upload,
    delete_upload_version,
    object_size,
    open_upload,
    publish_alert,
    put_report,
    reopen_chunks,
    start_pipeline,
)
from .events import Upload
from .locations import Destination, destination_for, pipeline_request_token, source_metadata
from .report import ValidationReport
from .settings import Settings
from .validation import CHUNK_BYTES, validate_chunks

ALERT_PROBLEMS = 10  # problems listed in an alert (kinds and places only, never values)


@dataclass(frozen=True)
class Clients:
    s3: Any
    sagemaker: Any
    sns: Any


def process_upload(upload: Upload, *, settings: Settings, clients: Clients) -> dict[str, Any]:
    """Validate one upload and act on the verdict; returns a JSON-serializable outcome."""
    started = time.monotonic()
    try:
        opened = open_upload(clients.s3, upload)
    except SourceGone:
        already = _already_quarantined(upload, settings, clients)
        if already is not None:
            return already
        raise
    try:
        report = validate_chunks(
            opened.chunks(CHUNK_BYTES),
            limits=settings.limits,
            declared_size=opened.size,
            # Only if some rows may repeat: a second GET of the same version locates them.
            reread=lambda: reopen_chunks(clients.s3, opened, CHUNK_BYTES),
        )
    finally:
        opened.body.close()
    validation_seconds = time.monotonic() - started
    act = _accept if report.accepted else _reject
    outcome = act(opened, report, settings, clients)
    outcome.update(
        rows=report.rows,
        bytes=opened.size,
        problems=report.problem_total,
        validation_ms=round(validation_seconds * 1000, 1),
        processing_ms=round((time.monotonic() - started) * 1000, 1),
    )
    return outcome


def report_document(
    report: ValidationReport, opened: OpenedUpload, destination: Destination
) -> dict[str, Any]:
    document = report.to_dict()
    document["source"] = {
        "bucket": opened.upload.bucket,
        "key": opened.upload.key,
        "version_id": opened.upload.version_id,
        "size": opened.size,
        "etag": opened.etag,
    }
    document["copy"] = {"bucket": destination.bucket, "key": destination.data_key}
    document["validated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return document


def _accept(
    opened: OpenedUpload, report: ValidationReport, settings: Settings, clients: Clients
) -> dict[str, Any]:
    destination = destination_for(
        opened.upload,
        upload_prefix=settings.upload_prefix,
        bucket=settings.curated_bucket,
        prefix=settings.curated_prefix,
    )
    metadata = {**source_metadata(opened.upload), "validation": report.verdict}
    copy_upload(
        clients.s3,
        opened,
        destination,
        kms_key_id=settings.curated_kms_key_id,
        metadata=metadata,
    )
    put_report(
        clients.s3,
        destination,
        report_document(report, opened, destination),
        kms_key_id=settings.curated_kms_key_id,
    )
    execution_arn = start_pipeline(
        clients.sagemaker,
        pipeline_name=settings.pipeline_name,
        input_data_url=destination.data_uri,
        token=pipeline_request_token(opened.upload),
        description=f"Validated upload {opened.upload.uri} version {opened.upload.revision}",
    )
    return {
        "verdict": report.verdict,
        "source": opened.upload.to_dict(),
        "destination": destination.data_uri,
        "report": destination.report_uri,
        "pipeline_execution_arn": execution_arn,
    }


def _reject(
    opened: OpenedUpload, report: ValidationReport, settings: Settings, clients: Clients
) -> dict[str, Any]:
    destination = _quarantine_destination(opened.upload, settings)
    metadata = {**source_metadata(opened.upload), "validation": report.verdict}
    copy_upload(
        clients.s3,
        opened,
        destination,
        kms_key_id=settings.quarantine_kms_key_id,
        metadata=metadata,
    )
    copied_size = object_size(clients.s3, destination.bucket, destination.data_key)
    if copied_size != opened.size:
        raise RuntimeError(
            f"quarantine copy {destination.data_uri} has {copied_size} bytes, expected "
            f"{opened.size}; the raw object is kept"
        )
    put_report(
        clients.s3,
        destination,
        report_document(report, opened, destination),
        kms_key_id=settings.quarantine_kms_key_id,
    )
    message_id = publish_alert(
        clients.sns,
        topic_arn=settings.alert_topic_arn,
        subject=f"Rejected upload: {opened.upload.key.rsplit('/', 1)[-1]}",
        message=alert_message(report, opened.upload, destination),
    )
    deleted = False
    if opened.upload.version_id:
        delete_upload_version(clients.s3, opened.upload)
        deleted = True
    return {
        "verdict": report.verdict,
        "source": opened.upload.to_dict(),
        "destination": destination.data_uri,
        "report": destination.report_uri,
        "alert_message_id": message_id,
        "raw_version_deleted": deleted,
    }


def _quarantine_destination(upload: Upload, settings: Settings) -> Destination:
    return destination_for(
        upload,
        upload_prefix=settings.upload_prefix,
        bucket=settings.quarantine_bucket,
        prefix=settings.quarantine_prefix,
    )


def _already_quarantined(
    upload: Upload, settings: Settings, clients: Clients
) -> dict[str, Any] | None:
    """The outcome of an earlier attempt that quarantined and deleted this very version."""
    destination = _quarantine_destination(upload, settings)
    if object_size(clients.s3, destination.bucket, destination.report_key) is None:
        return None
    return {
        "verdict": "rejected",
        "source": upload.to_dict(),
        "destination": destination.data_uri,
        "report": destination.report_uri,
        "already_processed": True,
    }


def alert_message(report: ValidationReport, upload: Upload, destination: Destination) -> str:
    """The alert text: where the file is and what is wrong, without any student data."""
    counts = ", ".join(f"{kind}: {count}" for kind, count in sorted(report.problem_counts.items()))
    lines = [
        "An uploaded file was rejected by data validation and moved to quarantine.",
        "",
        f"File: {upload.uri} (version {upload.version_id or 'unversioned'})",
        f"Quarantined copy: {destination.data_uri}",
        f"Report: {destination.report_uri}",
        f"Contract: {report.contract_name} {report.contract_version}",
        f"Rows read: {report.rows} ({report.rejected_rows} rejected); problems: {counts}",
    ]
    if report.stop_reason:
        lines.append(f"Reading stopped early: {report.stop_reason}")
    lines += ["", "First problems:"]
    for problem in report.problems[:ALERT_PROBLEMS]:
        where = f"line {problem.line}" if problem.line is not None else "file"
        column = f", column {problem.column}" if problem.column else ""
        lines.append(f"- {where}{column}: {problem.kind.value}: {problem.reason}")
    return "\n".join(lines) + "\n"
