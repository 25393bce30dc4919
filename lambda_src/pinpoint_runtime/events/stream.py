"""Producer API of the event lake: write Pinpoint event-stream records to its Firehose stream.

:class:`EventStreamWriter` is what producer Lambdas (and partners) use instead of Amazon Pinpoint's event
ingestion:

* :meth:`EventStreamWriter.put_records` writes records as newline-delimited compact JSON with ``PutRecordBatch``
  (at most 500 records and 4 MiB per call), retrying records Firehose reports as failed;
* :meth:`EventStreamWriter.put_events` accepts Pinpoint's ``put_events`` request, validates every event the way
  Pinpoint does and answers with Pinpoint's ``EventsResponse`` shape, so partner code written for Pinpoint ports
  unchanged;
* :meth:`EventStreamWriter.put_delivery_events` writes the library's own delivery events, marked with
  ``application.sdk.name == LIBRARY_SDK_NAME`` (partition ``source=library``).

boto3 is imported only when a client has to be created.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.events.event_types import LIBRARY_SDK_NAME
from pinpoint_runtime.events.put_events import ACCEPTED, event_problem, event_record, events_request
from pinpoint_runtime.events.stream_settings import EventStreamSettings

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_CAP_SECONDS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_RECORDS",
    "MAX_RECORD_BYTES",
    "RETRYABLE_ERROR_CODES",
    "EventStreamDeliveryError",
    "EventStreamSettings",
    "EventStreamWriter",
]


MAX_BATCH_RECORDS = 500
"""Firehose ``PutRecordBatch`` limit: records per call."""

MAX_BATCH_BYTES = 4 * 1024 * 1024
"""Firehose ``PutRecordBatch`` limit: bytes per call (4 MiB)."""

MAX_RECORD_BYTES = 1000 * 1024
"""Firehose limit: bytes per record (1,000 KiB), also Pinpoint's per-event limit."""

RETRYABLE_ERROR_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "InternalFailure",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestLimitExceeded",
    }
)
"""Whole-call ``PutRecordBatch`` errors that are retried; per-record ``ErrorCode`` entries are always retried."""

BACKOFF_BASE_SECONDS = 0.1
BACKOFF_CAP_SECONDS = 5.0


class EventStreamDeliveryError(RuntimeError):
    """Some records were not delivered to Firehose after all attempts (or hit a non-retryable error).

    ``delivered`` counts the records that did get through, ``failed_records`` holds the encoded records that did
    not (so callers can dead-letter them), ``error_codes`` counts the last error code seen per failed record.
    The message carries counts and codes only, never record contents.
    """

    def __init__(
        self,
        stream_name: str,
        *,
        delivered: int,
        failed_records: list[bytes],
        error_codes: Mapping[str, int],
        max_attempts: int,
    ) -> None:
        self.stream_name = stream_name
        self.delivered = delivered
        self.failed_records = tuple(failed_records)
        self.failed_count = len(failed_records)
        self.error_codes = dict(error_codes)
        codes = ", ".join(f"{code} x{count}" for code, count in sorted(self.error_codes.items()))
        super().__init__(
            f"{self.failed_count} record(s) not delivered to Firehose stream {stream_name!r} "
            f"after up to {max_attempts} attempt(s) ({delivered} delivered); error codes: {codes}"
        )


class _PermanentBatchError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class EventStreamWriter:
    """Write Pinpoint event-stream records to the event lake's Firehose stream (DirectPut).

    ``delivery_stream_name``, ``application_id`` and ``account_id`` (written to ``awsAccountId`` by
    :meth:`put_events`) default to the function's :class:`EventStreamSettings` (``PINPOINT_EVENT_STREAM_NAME``,
    ``APPLICATION_ID``, ``AWS_ACCOUNT_ID``). ``max_attempts`` bounds the calls per batch; ``sleep`` and ``clock`` are
    injectable for tests. The Firehose client is created lazily when none is passed.
    """

    def __init__(
        self,
        delivery_stream_name: str | None = None,
        *,
        firehose_client: Any = None,
        application_id: str | None = None,
        account_id: str | None = None,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        settings = EventStreamSettings.from_environment_if_set()
        name = delivery_stream_name or (settings.delivery_stream_name if settings else None)
        if not name:
            raise ValueError(
                "no Firehose delivery stream: pass delivery_stream_name or set the PINPOINT_EVENT_STREAM_NAME "
                "environment variable (EventStreamToS3 sets it on producer functions)"
            )
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.delivery_stream_name = name
        if application_id is None and settings is not None:
            application_id = settings.application_id
        self.application_id = application_id
        if account_id is None:
            account_id = (settings.account_id if settings is not None else None) or ""
        self.account_id = account_id
        self.max_attempts = max_attempts
        self._client = firehose_client
        self._sleep = sleep
        self._clock = clock

    # The boto3 Firehose client (created on first use when none was passed).
    firehose_client = LazyClient("firehose")

    # ----------------------------------------------------------------------------------------- put_records

    def put_records(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Write records as compact JSON lines and return how many were delivered (all of them, or it raises).

        Every record is encoded and size-checked before anything is sent: one over 1,000 KiB raises
        ``ValueError`` naming it and nothing is written. Records go out in ``PutRecordBatch`` calls of at most
        500 records and 4 MiB; records Firehose reports with an ``ErrorCode`` (and whole calls failing with
        throttling or ``ServiceUnavailableException``) are retried with exponential backoff and full jitter, up
        to ``max_attempts`` calls per batch. Raises :class:`EventStreamDeliveryError` if any record is still
        undelivered.
        """
        payloads = [_encode_record(index, record) for index, record in enumerate(records)]
        outcome = self._deliver(payloads)
        failed = [(payload, code) for payload, code in zip(payloads, outcome, strict=False) if code is not None]
        if failed:
            raise EventStreamDeliveryError(
                self.delivery_stream_name,
                delivered=len(payloads) - len(failed),
                failed_records=[payload for payload, _ in failed],
                error_codes=Counter(code for _, code in failed),
                max_attempts=self.max_attempts,
            )
        return len(payloads)

    def put_delivery_events(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Write the library's own delivery events (partition ``source=library``); returns the count delivered.

        Each record is copied with ``application.sdk.name`` set to ``LIBRARY_SDK_NAME`` and ``application.app_id``
        defaulted to the writer's application id, then written with :meth:`put_records`.
        """
        return self.put_records(self._mark_delivery_event(record) for record in records)

    def _mark_delivery_event(self, record: Mapping[str, Any]) -> dict[str, Any]:
        marked = dict(record)
        application = marked.get("application")
        application = dict(application) if isinstance(application, Mapping) else {}
        sdk = application.get("sdk")
        sdk = dict(sdk) if isinstance(sdk, Mapping) else {}
        sdk["name"] = LIBRARY_SDK_NAME
        application["sdk"] = sdk
        if not application.get("app_id") and self.application_id:
            application["app_id"] = self.application_id
        marked["application"] = application
        return marked

    # ----------------------------------------------------------------------------------------- delivery

    def _deliver(self, payloads: list[bytes]) -> list[str | None]:
        """Send every payload; return, per payload, None if delivered else the last error code."""
        outcome: list[str | None] = [None] * len(payloads)
        for indices in _batches([len(payload) for payload in payloads]):
            for index, code in self._send_batch(indices, payloads).items():
                outcome[index] = code
        return outcome

    def _send_batch(self, indices: list[int], payloads: list[bytes]) -> dict[int, str]:
        """One batch with retries of the failed records; returns {payload index: error code} still failing."""
        pending = indices
        failures: dict[int, str] = {}
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._sleep(_backoff(attempt - 1))
            try:
                codes = self._put_record_batch([payloads[index] for index in pending])
            except _PermanentBatchError as error:
                return dict.fromkeys(pending, error.code)
            failures = {index: code for index, code in zip(pending, codes, strict=False) if code is not None}
            if not failures:
                return {}
            pending = list(failures)
        return failures

    def _put_record_batch(self, batch: list[bytes]) -> list[str | None]:
        """One PutRecordBatch call; per record the ErrorCode, or None when Firehose accepted it."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - the constructs import this module at synth

        try:
            response = self.firehose_client.put_record_batch(
                DeliveryStreamName=self.delivery_stream_name,
                Records=[{"Data": payload} for payload in batch],
            )
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code in RETRYABLE_ERROR_CODES:
                return [code] * len(batch)
            raise _PermanentBatchError(code) from error
        if not response.get("FailedPutCount"):
            return [None] * len(batch)
        responses = response.get("RequestResponses") or []
        codes = [entry.get("ErrorCode") for entry in responses]
        return codes + ["MissingRequestResponse"] * (len(batch) - len(codes))

    # ----------------------------------------------------------------------------------------- put_events

    def put_events(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Pinpoint ``put_events``: validate each event like Pinpoint, write the valid ones, answer like Pinpoint.

        ``request`` is the boto3 kwargs ``{"ApplicationId": ..., "EventsRequest": {"BatchItem": {...}}}`` or just
        the ``EventsRequest``. A structurally invalid request (no application id, BatchItem not an object, more
        than 100 entries or events, an entry without an ``Events`` object) raises ``ValueError``, as Pinpoint
        answers such requests with a 400 BadRequestException. Invalid events get ``StatusCode`` 400 and a
        ``Message`` naming the field and are not written; valid ones become Pinpoint event-stream records
        (source ``app``) and get 202 ``Accepted`` (500 if Firehose still refused them after all retries).
        """
        application_id, batch = events_request(request, self.application_id)
        results: dict[str, Any] = {}
        payloads: list[bytes] = []
        slots: list[tuple[str, str]] = []
        for endpoint_id, (endpoint, events) in batch.items():
            responses: dict[str, Any] = {}
            for event_id, event in events.items():
                payload, problem = self._event_payload(application_id, endpoint_id, endpoint, event)
                if payload is None:
                    responses[event_id] = {"StatusCode": 400, "Message": problem}
                    continue
                payloads.append(payload)
                slots.append((endpoint_id, event_id))
                responses[event_id] = dict(ACCEPTED)
            results[endpoint_id] = {"EndpointItemResponse": dict(ACCEPTED), "EventsItemResponse": responses}
        for (endpoint_id, event_id), code in zip(slots, self._deliver(payloads), strict=False):
            if code is not None:
                results[endpoint_id]["EventsItemResponse"][event_id] = {
                    "StatusCode": 500,
                    "Message": f"Not delivered to the event stream ({code})",
                }
        return {"EventsResponse": {"Results": results}}

    def _event_payload(
        self, application_id: str, endpoint_id: str, endpoint: Mapping[str, Any], event: object
    ) -> tuple[bytes | None, str | None]:
        """(encoded record, None) for a valid event, else (None, the 400 message)."""
        problem = event_problem(event)
        if problem is not None:
            return None, problem
        record = event_record(
            application_id,
            endpoint_id,
            endpoint,
            cast(Mapping[str, Any], event),  # event_problem accepted it: a Mapping
            arrival_timestamp_ms=int(self._clock() * 1000),
            account_id=self.account_id,
        )
        payload = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
        if len(payload) > MAX_RECORD_BYTES:
            return None, f"Event is {len(payload):,} bytes encoded; the limit is {MAX_RECORD_BYTES:,} bytes"
        return payload, None


# --------------------------------------------------------------------------------------------- helpers


def _encode_record(index: int, record: Mapping[str, Any]) -> bytes:
    """Compact JSON + newline, or ValueError naming the record (not JSON, or over 1,000 KiB)."""
    label = _record_label(index, record)
    if not isinstance(record, Mapping):
        raise ValueError(f"{label} must be a dict, not {type(record).__name__}")
    try:
        text = json.dumps(record, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{label} is not JSON-serialisable: {error}") from error
    payload = (text + "\n").encode("utf-8")
    if len(payload) > MAX_RECORD_BYTES:
        raise ValueError(
            f"{label} is {len(payload):,} bytes encoded; a Firehose record may be at most "
            f"{MAX_RECORD_BYTES:,} bytes (1,000 KiB)"
        )
    return payload


def _record_label(index: int, record: object) -> str:
    event_type = record.get("event_type") if isinstance(record, Mapping) else None
    return f"record {index} (event_type {event_type!r})" if isinstance(event_type, str) else f"record {index}"


def _batches(sizes: list[int]) -> Iterator[list[int]]:
    """Group payload indices, in order, into batches of at most 500 records and 4 MiB."""
    batch: list[int] = []
    batch_bytes = 0
    for index, size in enumerate(sizes):
        if batch and (len(batch) == MAX_BATCH_RECORDS or batch_bytes + size > MAX_BATCH_BYTES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(index)
        batch_bytes += size
    if batch:
        yield batch


def _backoff(retry: int) -> float:
    return full_jitter_backoff(retry, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS)
