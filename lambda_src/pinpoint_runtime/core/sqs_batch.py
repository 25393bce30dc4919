"""SQS batches with partial failures (``ReportBatchItemFailures``) and dead-lettering with a reason.

:func:`process_sqs_batch` runs a record handler on every record of an SQS event; a record whose handler raises is
reported in ``batchItemFailures``, so SQS retries it and, after the queue's ``maxReceiveCount``, moves it to the
queue's dead-letter queue. Nothing is dropped silently. A record that can never succeed (malformed, refused for
good) is better moved at once, with its reason: :class:`DeadLetterQueue` sends it there with the message attributes
``reason`` and ``source_message_id``.

Powertools' batch utility does the same, but costs over 100 ms of cold import (its data classes and JMESPath),
more than this whole loop is worth on the hot paths that use it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.core.aws_clients import LazyClient, error_code

MAX_REASON_CHARACTERS = 256
"""Longest ``reason`` attribute written on a dead-lettered message."""

_LOGGER = logging.getLogger(__name__)


class RetryRecord(Exception):
    """Raised by a record handler for a record that should be retried (reported as a batch item failure) when
    there is no exception to raise: e.g. a send deferred because the rate limit left no time for it."""


def describe_error(error: BaseException) -> str:
    """What may be logged of an error: its AWS error code, else its type (never its text, which may hold data)."""
    return error_code(error, type(error).__name__)


def process_sqs_batch(
    event: Mapping[str, Any],
    record_handler: Callable[[Mapping[str, Any]], Any],
    *,
    logger: Any = None,
    describe: Callable[[BaseException], str] = describe_error,
) -> dict[str, list[dict[str, str]]]:
    """Run ``record_handler`` on every SQS record; the ones that raise become ``batchItemFailures``.

    A batch whose records all fail is answered like any other (every record listed, so SQS retries them all)
    instead of raising: one behaviour, and a count for alarms. The log names the SQS message id and
    ``describe(error)``, never the record.
    """
    log = logger or _LOGGER
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "") if isinstance(record, Mapping) else ""
        try:
            record_handler(record)
        except Exception as error:  # noqa: BLE001 - every failure is reported to SQS for a retry
            log.warning(
                "SQS record failed; SQS will retry it",
                extra={"source_message_id": message_id, "error": describe(error)},
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


class DeadLetterQueue:
    """The dead-letter queue of a function's source queue, for records that can never succeed.

    ``url`` may be empty: :attr:`configured` is then false and the caller should fail the record instead, so
    that the source queue's redrive policy still keeps it.
    """

    client = LazyClient("sqs")

    def __init__(self, url: str | None, *, sqs_client: Any = None) -> None:
        self.url = url or None
        self._client = sqs_client

    @property
    def configured(self) -> bool:
        return self.url is not None

    def send(self, record: Mapping[str, Any] | Any, reason: str) -> None:
        """Send ``record``'s body unchanged (or the record as JSON when it has no body) with ``reason``.

        Raises when the queue is not configured or the call fails (the caller then fails the record).
        """
        if self.url is None:
            raise RuntimeError("no dead-letter queue is configured")
        if not isinstance(record, Mapping):
            record = {"body": json.dumps(record, default=str)}
        body = record.get("body")
        if not isinstance(body, str) or not body:
            body = json.dumps(record, default=str)
        source_id = record.get("messageId")
        self.client.send_message(
            QueueUrl=self.url,
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:MAX_REASON_CHARACTERS]},
                "source_message_id": {
                    "DataType": "String",
                    "StringValue": source_id if isinstance(source_id, str) and source_id else "unknown",
                },
            },
        )
