"""Lambda entry point: an SQS batch of S3 "Object Created" events, one upload per message.

Thin on purpose: parse the message, run ``processing.process_upload`` once per object version
(Powertools idempotency, DynamoDB), report failed messages back to SQS (partial batch
response) so only those are retried and, in the end, dead-lettered intact.

Cold start: the module imports only the Powertools logger and metrics. The tracer (the X-Ray
SDK alone takes ~250 ms to import), boto3, the batch and idempotency utilities and the settings
are loaded on the first event (``runtime()``), once per container.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .actions import SourceChanged, SourceGone
from .events import IgnoredEvent, Upload, parse_upload
from .processing import Clients, process_upload
from .settings import Settings

logger = Logger()
metrics = Metrics()  # namespace from POWERTOOLS_METRICS_NAMESPACE

# Stable across function renames and redeployments: the same object version is never
# processed twice while its idempotency record lives.
IDEMPOTENCY_KEY_PREFIX = "validator#upload"
IDEMPOTENCY_KEY_FIELDS = "[bucket, key, revision]"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    clients: Clients
    process_once: Callable[..., dict[str, Any]]
    process_batch: Callable[[dict[str, Any], Any], dict[str, Any]]  # traced


@cache
def runtime() -> Runtime:
    """Everything built once per container, on the first event."""
    return build_runtime()


def build_runtime() -> Runtime:
    """Settings, clients, idempotent processing and the traced batch handler of one container."""
    settings = Settings.from_environment(os.environ)
    import boto3
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from botocore.config import Config

    client_config = Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60
    )
    clients = Clients(
        s3=boto3.client("s3", config=client_config),
        sagemaker=boto3.client("sagemaker", config=client_config),
        sns=boto3.client("sns", config=client_config),
    )
    store = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table,
        boto3_client=boto3.client("dynamodb", config=client_config),
    )
    idempotency_config = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_FIELDS,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
        use_local_cache=True,
    )

    @idempotent_function(
        data_keyword_argument="upload",
        persistence_store=store,
        config=idempotency_config,
        key_prefix=IDEMPOTENCY_KEY_PREFIX,
    )
    def process_once(upload: dict[str, Any]) -> dict[str, Any]:
        outcome = process_upload(Upload.from_dict(upload), settings=settings, clients=clients)
        # Recorded here, not by the caller: a replayed (cached) outcome is not counted twice.
        _record_metrics(outcome)
        return outcome

    tracer = Tracer()  # patches botocore: every AWS call becomes a subsegment
    # A batch whose every message failed is reported like any other (each message retried,
    # then dead-lettered), not turned into a failed invocation.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    @tracer.capture_lambda_handler
    def process_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
        idempotency_config.register_lambda_context(context)
        return process_partial_response(
            event=event,
            record_handler=lambda record: handle_record(record, built),
            processor=processor,
            context=context,
        )

    built = Runtime(
        settings=settings,
        clients=clients,
        process_once=process_once,
        process_batch=process_batch,
    )
    return built


def _record_metrics(outcome: dict[str, Any]) -> None:
    accepted = outcome["verdict"] == "accepted"
    metrics.add_metric(name="AcceptedFiles", unit=MetricUnit.Count, value=int(accepted))
    metrics.add_metric(name="RejectedFiles", unit=MetricUnit.Count, value=int(not accepted))
    if outcome.get("already_processed"):
        return
    metrics.add_metric(name="Rows", unit=MetricUnit.Count, value=outcome["rows"])
    metrics.add_metric(name="Bytes", unit=MetricUnit.Bytes, value=outcome["bytes"])
    metrics.add_metric(
        name="ValidationDuration", unit=MetricUnit.Milliseconds, value=outcome["validation_ms"]
    )
    metrics.add_metric(
        name="ProcessingDuration", unit=MetricUnit.Milliseconds, value=outcome["processing_ms"]
    )


def handle_record(record: Any, current: Runtime) -> dict[str, Any] | None:
    """One SQS message. Raising marks it failed (retried by SQS); returning drops it."""
    try:
        upload = parse_upload(
            record.body,
            raw_bucket=current.settings.raw_bucket,
            upload_prefix=current.settings.upload_prefix,
        )
    except IgnoredEvent as ignored:
        logger.warning(
            "message ignored: not an upload to validate",
            extra={
                "reason": ignored.reason,
                "detail": ignored.detail,
                "message_id": record.message_id,
            },
        )
        metrics.add_metric(name="IgnoredEvents", unit=MetricUnit.Count, value=1)
        return None
    where = {"upload": upload.uri, "revision": upload.revision, "message_id": record.message_id}
    try:
        outcome = current.process_once(upload=upload.to_dict())
    except (SourceGone, SourceChanged) as gone:
        # Retrying cannot help: the object version to validate is not there any more.
        logger.error(f"upload not processed: {gone}", extra=where)
        metrics.add_metric(name="MissingUploads", unit=MetricUnit.Count, value=1)
        return None
    except Exception as error:
        if type(error).__name__ == "IdempotencyAlreadyInProgressError":
            # Another invocation holds this upload right now; the retry will see its outcome.
            logger.warning("upload is being processed elsewhere; SQS will retry", extra=where)
        else:
            logger.exception("upload processing failed; SQS will retry the message", extra=where)
        raise
    logger.info(
        "upload processed",
        extra={
            **where,
            "verdict": outcome["verdict"],
            "destination": outcome["destination"],
            "report": outcome["report"],
            "already_processed": bool(outcome.get("already_processed")),
        },
    )
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return runtime().process_batch(event, context)
