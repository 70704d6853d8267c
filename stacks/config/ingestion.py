"""Settings of the ingestion path: upload event -> queue -> validator function.

The queue's visibility timeout is derived, never set: AWS recommends at least six times the
function timeout for an SQS event source (plus the batching window), so no stage can configure
a queue that hands a message to a second invocation while the first one still works on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parsing import SettingError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Service limits the settings are checked against.
LAMBDA_MEMORY_MB = (128, 10240)
LAMBDA_MAX_TIMEOUT_SECONDS = 900
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600
SQS_MAX_RETENTION_DAYS = 14
# Dead-letter queues keep messages the SQS maximum. A dead-lettered message keeps its original
# enqueue time, so it expires from the dead-letter queue 14 days after the upload, whatever the
# time it spent in the upload queue: the upload queue's retention is capped so that at least
# this long is left for a person to look at it.
DEAD_LETTER_RETENTION_DAYS = SQS_MAX_RETENTION_DAYS
MIN_DEAD_LETTER_WAIT_DAYS = 7
SQS_MAX_BATCHING_WINDOW_SECONDS = 300
# Without a batching window Lambda reads at most 10 messages per batch from a standard queue.
SQS_MAX_BATCH_WITHOUT_WINDOW = 10
SQS_MAX_BATCH_WITH_WINDOW = 10000
# An SQS event source's maximum concurrency is at least 2.
SQS_MIN_MAXIMUM_CONCURRENCY = 2
# The validator copies accepted files with one CopyObject call: at most 5 GiB.
MAX_FILE_MB_LIMIT = 5 * 1024
# AWS's recommendation for SQS event sources: visibility timeout >= 6 x the function timeout.
VISIBILITY_TIMEOUT_FACTOR = 6


@dataclass(frozen=True)
class IngestionConfig:
    # The validator function: memory (MB; also buys CPU) and how long one batch may take.
    memory_mb: int = 1024
    timeout_seconds: int = 300
    # Concurrent validations at most; the queue's event source never scales past it, so a
    # burst of uploads waits in the queue instead of being throttled and retried.
    reserved_concurrency: int = 5
    # Messages per invocation, and how long Lambda may wait to fill a batch.
    batch_size: int = 1
    max_batching_window_seconds: int = 0
    # Deliveries of one message before it moves to the dead-letter queue.
    max_receive_count: int = 3
    # How long an undelivered upload event waits in the queue.
    message_retention_days: int = 4
    # Limits of one uploaded file (bigger or longer files are rejected, never truncated).
    max_file_mb: int = 512
    min_rows: int = 1
    max_rows: int = 1_000_000
    # Data team addresses told about every quarantined file (each confirms its subscription).
    notify_emails: tuple[str, ...] = ()

    @property
    def visibility_timeout_seconds(self) -> int:
        return VISIBILITY_TIMEOUT_FACTOR * self.timeout_seconds + self.max_batching_window_seconds

    def check(self) -> None:
        _check_range("memory_mb", self.memory_mb, *LAMBDA_MEMORY_MB)
        _check_range("timeout_seconds", self.timeout_seconds, 1, LAMBDA_MAX_TIMEOUT_SECONDS)
        if self.reserved_concurrency < SQS_MIN_MAXIMUM_CONCURRENCY:
            raise SettingError(
                "reserved_concurrency",
                f"must be >= {SQS_MIN_MAXIMUM_CONCURRENCY} (the smallest maximum concurrency "
                f"of an SQS event source), got {self.reserved_concurrency}",
            )
        _check_range(
            "max_batching_window_seconds",
            self.max_batching_window_seconds,
            0,
            SQS_MAX_BATCHING_WINDOW_SECONDS,
        )
        largest_batch = (
            SQS_MAX_BATCH_WITH_WINDOW
            if self.max_batching_window_seconds > 0
            else SQS_MAX_BATCH_WITHOUT_WINDOW
        )
        if not 1 <= self.batch_size <= largest_batch:
            raise SettingError(
                "batch_size",
                f"must be 1..{largest_batch} with max_batching_window_seconds="
                f"{self.max_batching_window_seconds}, got {self.batch_size}",
            )
        _check_range("max_receive_count", self.max_receive_count, 1, 1000)
        _check_range(
            "message_retention_days",
            self.message_retention_days,
            1,
            DEAD_LETTER_RETENTION_DAYS - MIN_DEAD_LETTER_WAIT_DAYS,
        )
        if self.visibility_timeout_seconds > SQS_MAX_VISIBILITY_TIMEOUT_SECONDS:
            raise SettingError(
                "timeout_seconds",
                f"gives a queue visibility timeout of {self.visibility_timeout_seconds} s "
                f"({VISIBILITY_TIMEOUT_FACTOR} x timeout + batching window), above SQS's "
                f"{SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} s",
            )
        # A message must live long enough for all its deliveries, or it expires before it
        # reaches the dead-letter queue and the upload is never validated nor reported.
        deliveries_seconds = self.max_receive_count * self.visibility_timeout_seconds
        if deliveries_seconds >= self.message_retention_days * 86400:
            raise SettingError(
                "message_retention_days",
                f"must exceed max_receive_count x visibility timeout ({deliveries_seconds} s) "
                f"so failed messages reach the dead-letter queue, got "
                f"{self.message_retention_days} day(s)",
            )
        _check_range("max_file_mb", self.max_file_mb, 1, MAX_FILE_MB_LIMIT)
        _check_range("min_rows", self.min_rows, 1, None)
        if self.max_rows < self.min_rows:
            raise SettingError(
                "max_rows", f"must be >= min_rows ({self.min_rows}), got {self.max_rows}"
            )
        for position, email in enumerate(self.notify_emails):
            if not _EMAIL.match(email):
                raise SettingError(
                    f"notify_emails[{position}]", f"must be an email address, got {email!r}"
                )


def _check_range(key: str, value: int, low: int, high: int | None) -> None:
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingError(key, f"must be {bounds}, got {value}")
