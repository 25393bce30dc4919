"""The S3-triggered endpoint import workflow: naming, result layout, notifications and the work of each step.

The workflow (``pinpoint_constructs.S3TriggeredImport``)::

    S3 "Object Created" (EventBridge) -> SQS -> import_starter: StartExecution named import_execution_name(...)
      -> Plan      (import_planner)      "started" notification; one streaming pass over the object
                                          (import_plan.plan_import) -> manifest of byte ranges in S3
      -> Import    Distributed Map over the manifest; per range import_chunk_writer: ranged GET, the very
                   same validation as ``pinpoint-constructs validate-import``, EndpointStore batches of 100,
                   rejects part, segment membership and segment-list part, counts part
      -> Finish    (import_reporter)     sums the counts, one rejects.csv and one segment list, the segment
                                          record, summary.json, "succeeded" notification
      any error -> Report failure (import_reporter) "failed" notification with the reason -> Fail

No step holds the whole file, and only small JSON travels between states (the manifest and every per-range
result live in S3). Names: the execution name is derived from bucket, key and version id/ETag, so two drops in
the same second never collide and the same object delivered twice is imported once.

Result layout in the results bucket (``<results>`` is ``IMPORT_RESULTS_PREFIX``, ``<work>`` is
``IMPORT_WORK_PREFIX``, both ending in "/")::

    <results><import id>/summary.json           counts, duration, segment, status (written on success and failure)
    <results><import id>/rejects.csv            line, field, reason, row (PII masked when configured)
    <results><import id>/segment-endpoints.jsonl  the segment's endpoints (Pinpoint endpoint JSON), define_segment
    <work><import id>/manifest.json, chunks/, rejects/, segment/   per-range parts (expired by a lifecycle rule)
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus

from pinpoint_runtime.audience.endpoint_request import MAX_BATCH_ITEMS, PHONE_CHANNELS, EndpointValidationError
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.audience.import_summary import REJECTS_HEADER, RejectsWriter
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.core.timestamps import iso_utc, parse_iso_utc

logger = logging.getLogger(__name__)

ENV_STATE_MACHINE = "IMPORT_STATE_MACHINE_ARN"
ENV_RESULTS_BUCKET = "IMPORT_RESULTS_BUCKET"
ENV_RESULTS_PREFIX = "IMPORT_RESULTS_PREFIX"
ENV_WORK_PREFIX = "IMPORT_WORK_PREFIX"
ENV_TOPIC = "IMPORT_TOPIC_ARN"
ENV_APPLICATION_ID = "IMPORT_APPLICATION_ID"
ENV_DEFAULT_COUNTRY = "IMPORT_DEFAULT_COUNTRY"
ENV_STRIP_PII = "IMPORT_STRIP_PII_FROM_REJECTS"
ENV_ROWS_PER_CHUNK = "IMPORT_ROWS_PER_CHUNK"
ENV_DEFINE_SEGMENT = "IMPORT_DEFINE_SEGMENT"
ENV_SEGMENT_NAME = "IMPORT_SEGMENT_NAME"
ENV_LINE_TYPES = "IMPORT_PHONE_LINE_TYPES"

NOTIFICATION_TYPES = ("started", "succeeded", "failed")
EVENT_TYPE_PREFIX = "_import."
MAX_EXECUTION_NAME = 80
LINE_TYPES = frozenset({"MOBILE", "LANDLINE", "VOIP", "PREPAID", "OTHER", "INVALID"})
ALL_LINE_TYPES = "*"
PART_BYTES = 8 * 1024 * 1024  # multipart part size when concatenating parts (S3 minimum is 5 MiB)

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_ITEM_FIELD = re.compile(r"^EndpointBatchRequest\.Item\[(\d+)\](?:\.(.*))?$")


class ImportFileRejected(Exception):
    """The object cannot be imported at all (empty, binary, not UTF-8, no header, vanished...). Step Functions
    sees this class name as the error and does not retry it; the failed notification carries the message."""


class ImportIncomplete(Exception):
    """The per-range counts do not add up to the planned rows: nothing may be dropped silently."""


class ImportRetryableError(Exception):
    """A dependency still throttled or failed after the in-process retries; Step Functions retries the step."""


# ------------------------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class ImportSettings:
    """What the construct configures on every import function (environment variables, see ``ENV_*``)."""

    results_bucket: str
    results_prefix: str = "import-results/"
    work_prefix: str = "import-work/"
    topic_arn: str | None = None
    application_id: str = "default"
    default_country: str = "US"
    strip_pii_from_rejects: bool = True
    rows_per_chunk: int = 2000
    define_segment: bool = False
    segment_name: str | None = None
    line_types: frozenset[str] | None = None  # None: no lookup; empty: look up, reject only INVALID

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ImportSettings:
        env = os.environ if environ is None else environ
        bucket = env.get(ENV_RESULTS_BUCKET)
        if not bucket:
            raise RuntimeError(f"{ENV_RESULTS_BUCKET} is not set (the S3TriggeredImport construct sets it)")
        raw_types = env.get(ENV_LINE_TYPES, "")
        line_types: frozenset[str] | None = None
        if raw_types:
            line_types = (
                frozenset()
                if raw_types == ALL_LINE_TYPES
                else frozenset(part.strip().upper() for part in raw_types.split(",") if part.strip())
            )
        return cls(
            results_bucket=bucket,
            results_prefix=_prefix(env.get(ENV_RESULTS_PREFIX, "import-results/")),
            work_prefix=_prefix(env.get(ENV_WORK_PREFIX, "import-work/")),
            topic_arn=env.get(ENV_TOPIC) or None,
            application_id=env.get(ENV_APPLICATION_ID) or "default",
            default_country=env.get(ENV_DEFAULT_COUNTRY) or "US",
            strip_pii_from_rejects=env.get(ENV_STRIP_PII, "true").lower() != "false",
            rows_per_chunk=int(env.get(ENV_ROWS_PER_CHUNK) or 2000),
            define_segment=env.get(ENV_DEFINE_SEGMENT, "false").lower() == "true",
            segment_name=env.get(ENV_SEGMENT_NAME) or None,
            line_types=line_types,
        )

    def results_key(self, import_id: str, name: str) -> str:
        return f"{self.results_prefix}{import_id}/{name}"

    def work_key(self, import_id: str, name: str) -> str:
        return f"{self.work_prefix}{import_id}/{name}"


def _prefix(value: str) -> str:
    return value if not value or value.endswith("/") else value + "/"


# ------------------------------------------------------------------------------------------------ the object


@dataclass(frozen=True)
class ImportSource:
    """The S3 object an import reads (from the EventBridge "Object Created" event)."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ImportSource:
        """From an EventBridge S3 event (``detail.bucket.name``, ``detail.object.key`` / ``version-id`` /
        ``etag`` / ``size``). ``ValueError`` names what is missing."""
        if not isinstance(event, Mapping):
            raise ValueError("the event is not a JSON object")
        detail = event.get("detail")
        if event.get("source") != "aws.s3" or not isinstance(detail, Mapping):
            raise ValueError("not an S3 event (source aws.s3 with a detail object)")
        bucket = (detail.get("bucket") or {}).get("name") if isinstance(detail.get("bucket"), Mapping) else None
        obj = detail.get("object")
        if not isinstance(bucket, str) or not bucket:
            raise ValueError("detail.bucket.name is missing")
        if not isinstance(obj, Mapping) or not isinstance(obj.get("key"), str) or not obj["key"]:
            raise ValueError("detail.object.key is missing")
        size = obj.get("size")
        return cls(
            bucket=bucket,
            key=obj["key"],
            version_id=obj.get("version-id") or None,
            etag=(obj.get("etag") or "").strip('"') or None,
            size=int(size) if isinstance(size, (int, float)) else None,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportSource:
        return cls(
            bucket=data["bucket"],
            key=data["key"],
            version_id=data.get("version_id"),
            etag=data.get("etag"),
            size=data.get("size"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def import_execution_name(source: ImportSource) -> str:
    """``<file stem>-<32 hex>``: the hash covers bucket, key, version id and ETag, so another upload (new
    version or new content) gets a new name and a redelivered event the same one (at most 80 characters of
    ``[A-Za-z0-9_-]``, what Step Functions allows)."""
    identity = "\0".join((source.bucket, source.key, source.version_id or "", source.etag or ""))
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    stem = _NAME_UNSAFE.sub("-", source.file_name.rsplit(".", 1)[0]).strip("-")[:40] or "import"
    return f"{stem}-{digest}"


def segment_id_for(import_id: str) -> str:
    """The static segment an import defines: 32 hex characters, like Pinpoint segment ids."""
    return hashlib.sha256(f"segment\0{import_id}".encode()).hexdigest()[:32]


def open_object(s3: Any, source: ImportSource, *, byte_range: tuple[int, int] | None = None) -> Any:
    """The object's streaming body (optionally bytes [start, end)). A key that arrives URL-encoded ("a+b.csv"
    for "a b.csv") is retried decoded; a vanished object raises :class:`ImportFileRejected`."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    keys = [source.key]
    decoded = unquote_plus(source.key)
    if decoded != source.key:
        keys.append(decoded)
    for key in keys:
        request: dict[str, Any] = {"Bucket": source.bucket, "Key": key}
        if source.version_id:
            request["VersionId"] = source.version_id
        if byte_range is not None:
            request["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
        try:
            return s3.get_object(**request)["Body"]
        except ClientError as error:
            code = error_code(error)
            if code not in ("NoSuchKey", "NoSuchVersion", "404"):
                raise
    raise ImportFileRejected(f"the object {source.uri} no longer exists (deleted before it was imported)")


# ------------------------------------------------------------------------------------------------ notifications


class ImportNotifier:
    """Publishes ``started`` / ``succeeded`` / ``failed`` to the SNS topic (JSON message, message attribute
    ``notification_type`` for subscription filters) and, with an event writer, the same as ``_import.<type>``
    events into the event lake (Pinpoint ``put_events`` shape; counts as metrics)."""

    def __init__(
        self,
        topic_arn: str | None,
        *,
        application_id: str,
        sns_client: Any = None,
        event_writer: Any = None,
    ) -> None:
        self.topic_arn = topic_arn
        self.application_id = application_id
        self._sns = sns_client
        self.event_writer = event_writer

    sns = LazyClient("sns", "_sns")

    def publish(self, notification_type: str, message: Mapping[str, Any]) -> None:
        if notification_type not in NOTIFICATION_TYPES:
            raise ValueError(f"notification_type must be one of {NOTIFICATION_TYPES}")
        body = {"notification_type": notification_type, **message}
        if self.topic_arn:
            self.sns.publish(
                TopicArn=self.topic_arn,
                Subject=_subject(notification_type, str(message.get("file") or "")),
                Message=json.dumps(body, sort_keys=True, default=str),
                MessageAttributes={"notification_type": {"DataType": "String", "StringValue": notification_type}},
            )
        if self.event_writer is not None:
            self._put_event(notification_type, body)

    def _put_event(self, notification_type: str, body: Mapping[str, Any]) -> None:
        attributes: dict[str, str] = {}
        metrics: dict[str, float] = {}
        for name, value in body.items():
            if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
                if isinstance(value, dict) and name == "segment":
                    attributes.update({f"segment_{k}": str(v)[:200] for k, v in value.items() if v is not None})
                continue
            if isinstance(value, (int, float)):
                metrics[name] = float(value)
            else:
                attributes[name] = str(value)[:200]
        import_id = str(body.get("import_id") or "import")
        event = {
            "EventType": f"{EVENT_TYPE_PREFIX}{notification_type}",
            "Timestamp": iso_utc(),
            "Attributes": dict(list(attributes.items())[:40]),
            "Metrics": dict(list(metrics.items())[:40]),
        }
        response = self.event_writer.put_events(
            {
                "ApplicationId": self.application_id,
                "EventsRequest": {"BatchItem": {import_id: {"Endpoint": {}, "Events": {notification_type: event}}}},
            }
        )
        outcome = response["EventsResponse"]["Results"][import_id]["EventsItemResponse"][notification_type]
        if outcome.get("StatusCode") != 202:
            raise ImportRetryableError(f"the {notification_type} event was not accepted by the event lake: {outcome}")


def notifier_from_environment(settings: ImportSettings, *, sns_client: Any = None) -> ImportNotifier:
    """The notifier of the import functions: the settings' topic, and the event lake when the function is a
    producer of an EventStreamToS3 (``PINPOINT_EVENT_STREAM_NAME`` set)."""
    from pinpoint_runtime.events.stream import EventStreamSettings, EventStreamWriter  # noqa: PLC0415

    lake = EventStreamSettings.from_environment_if_set()
    writer = EventStreamWriter(application_id=settings.application_id) if lake is not None else None
    return ImportNotifier(
        settings.topic_arn, application_id=settings.application_id, sns_client=sns_client, event_writer=writer
    )


def _subject(notification_type: str, file_name: str) -> str:
    """SNS subjects: ASCII printable, no line breaks, at most 100 characters."""
    text = f"Endpoint import {notification_type}: {file_name}"
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text[:100]


def _source_message(import_id: str, source: ImportSource) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "bucket": source.bucket,
        "key": source.key,
        "version_id": source.version_id,
        "file": source.file_name,
    }


# ------------------------------------------------------------------------------------------------ step 1: plan


def plan_step(
    event: Mapping[str, Any], *, s3: Any, settings: ImportSettings, notifier: ImportNotifier
) -> dict[str, Any]:
    """Announce the import, read the object once (streaming) into a plan of byte ranges, store the manifest.

    ``event``: ``{"source": {...}, "import_id": <execution name>, "started_at": <execution start time>}``.
    Returns the run description every later step gets (small: the header, counts and S3 keys)."""
    from pinpoint_runtime.audience.import_plan import plan_import  # noqa: PLC0415

    source = ImportSource.from_dict(event["source"])
    import_id = str(event["import_id"])
    notifier.publish("started", {**_source_message(import_id, source), "started_at": event.get("started_at")})
    body = open_object(s3, source)
    try:
        plan = plan_import(body, rows_per_chunk=settings.rows_per_chunk, file_format=_format_from_key(source.key))
    except ImportFileError as error:
        raise ImportFileRejected(f"{source.file_name}: {error}") from None
    finally:
        body.close()
    manifest = [
        {"index": index, "start": chunk.start, "end": chunk.end, "first_line": chunk.first_line, "rows": chunk.rows}
        for index, chunk in enumerate(plan.chunks)
    ]
    manifest_key = settings.work_key(import_id, "manifest.json")
    s3.put_object(
        Bucket=settings.results_bucket,
        Key=manifest_key,
        Body=json.dumps(manifest).encode("utf-8"),
        ContentType="application/json",
    )
    segment = None
    if settings.define_segment:
        segment = {
            "id": segment_id_for(import_id),
            "name": settings.segment_name or source.file_name.rsplit(".", 1)[0] or import_id,
        }
    return {
        "import_id": import_id,
        "started_at": event.get("started_at") or iso_utc(),
        "format": plan.format,
        "header": plan.header,
        "warnings": plan.warnings[:20],
        "rows": plan.rows,
        "chunks": len(manifest),
        "size": plan.size,
        "manifest_bucket": settings.results_bucket,
        "manifest_key": manifest_key,
        "segment": segment,
    }


def _format_from_key(key: str) -> str | None:
    extension = os.path.splitext(key)[1].lower()
    return {".csv": "CSV", ".json": "JSON", ".ndjson": "JSON", ".jsonl": "JSON"}.get(extension)


# ------------------------------------------------------------------------------------------------ step 2: ranges


class PhoneLineTypes:
    """Optional line-type check with the End User Messaging ``PhoneNumberValidate`` API (charged per lookup).

    ``allowed`` empty: only numbers the API reports ``INVALID`` are rejected; otherwise numbers whose
    ``PhoneType`` is not in ``allowed`` are rejected. The type is added as ``Attributes.PhoneType``. Each number
    is looked up once per range; throttling is retried with jittered backoff, then :class:`ImportRetryableError`.
    """

    RETRYABLE = frozenset({"TooManyRequestsException", "ThrottlingException", "InternalServerErrorException"})

    def __init__(
        self,
        allowed: frozenset[str],
        *,
        client: Any = None,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allowed = allowed
        self._client = client
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._cache: dict[str, str] = {}
        self.lookups = 0

    client = LazyClient("pinpoint")

    def line_type(self, e164: str) -> str:
        cached = self._cache.get(e164)
        if cached is not None:
            return cached
        from botocore.exceptions import ClientError  # noqa: PLC0415

        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.phone_number_validate(NumberValidateRequest={"PhoneNumber": e164})
                break
            except ClientError as error:
                code = error_code(error)
                if code not in self.RETRYABLE:
                    raise
                if attempt == self.max_attempts:
                    raise ImportRetryableError(
                        f"PhoneNumberValidate still answered {code} after {attempt} attempts"
                    ) from None
                self._sleep(full_jitter_backoff(attempt, base=0.2, cap=5.0))
        self.lookups += 1
        phone_type = str(response.get("NumberValidateResponse", {}).get("PhoneType") or "OTHER").upper()
        self._cache[e164] = phone_type
        return phone_type

    def check(self, item: dict) -> str | None:
        """None when the item may be imported (``Attributes.PhoneType`` added), else the reject reason."""
        phone_type = self.line_type(item["Address"])
        if phone_type == "INVALID":
            return "the phone-number-validate API reports the number INVALID"
        if self.allowed and phone_type not in self.allowed:
            return f"line type {phone_type} is not allowed (allowed: {', '.join(sorted(self.allowed))})"
        item.setdefault("Attributes", {})["PhoneType"] = [phone_type]
        return None


@dataclass
class RangeResult:
    index: int
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    channels: Counter | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "rows": self.rows,
            "imported": self.imported,
            "rejected": self.rejected,
            "channels": dict(self.channels or {}),
        }


def range_step(
    event: Mapping[str, Any],
    *,
    s3: Any,
    store: Any,
    settings: ImportSettings,
    line_types: PhoneLineTypes | None = None,
) -> dict[str, Any]:
    """Import one byte range of the object: validate each record, write the valid ones to the EndpointStore in
    batches of 100 (a row the store refuses, e.g. an 11th endpoint for one user, becomes a reject, never the
    batch), add them to the segment, and store the range's rejects, segment list and counts in S3.

    ``event``: ``{"source": {...}, "run": <plan_step's result>, "chunk": {index, start, end, first_line, rows}}``.
    Idempotent: a retried range rewrites the same endpoints (same ids) and the same part objects."""
    from pinpoint_runtime.audience.import_plan import iter_chunk_endpoints  # noqa: PLC0415

    source = ImportSource.from_dict(event["source"])
    run = event["run"]
    chunk = event["chunk"]
    index = int(chunk["index"])
    import_id = str(run["import_id"])
    segment = run.get("segment") or None
    result = RangeResult(index=index, channels=Counter())
    rejects_text = io.StringIO()
    rejects = RejectsWriter(rejects_text)
    segment_lines: list[bytes] = []
    pending: list[tuple[int, dict]] = []

    def flush() -> None:
        written, refused = write_endpoints(store, settings.application_id, pending, settings.strip_pii_from_rejects,
                                           segment_id=segment["id"] if segment else None)  # fmt: skip
        for reject in refused:
            rejects.write(reject)
        result.rejected += len(refused)
        result.imported += len(written)
        for item in written:
            result.channels[item.get("ChannelType") or "(update by Id)"] += 1
        if segment and written:  # members already: written with the endpoints
            segment_lines.extend(json.dumps(item, ensure_ascii=False).encode("utf-8") + b"\n" for item in written)
        pending.clear()

    body = open_object(s3, source, byte_range=(int(chunk["start"]), int(chunk["end"])))
    try:
        records = iter_chunk_endpoints(
            body,
            header=run.get("header"),
            file_format=run["format"],
            first_line=int(chunk["first_line"]),
            default_country=settings.default_country,
            strip_pii_from_rejects=settings.strip_pii_from_rejects,
            numbered=True,
        )
        for line, outcome in records:
            result.rows += 1
            if isinstance(outcome, Rejected):
                rejects.write(outcome)
                result.rejected += 1
                continue
            if line_types is not None and outcome.get("ChannelType") in PHONE_CHANNELS and outcome.get("Address"):
                reason = line_types.check(outcome)
                if reason is not None:
                    rejects.write(_store_reject(line, "Address", reason, outcome, settings.strip_pii_from_rejects))
                    result.rejected += 1
                    continue
            pending.append((line, outcome))
            if len(pending) == MAX_BATCH_ITEMS:
                flush()
        if pending:
            flush()
    except ImportFileError as error:
        raise ImportFileRejected(f"{source.file_name}: {error}") from None
    finally:
        body.close()

    if result.rows != int(chunk["rows"]):
        raise ImportIncomplete(
            f"range {index} (line {chunk['first_line']}) yielded {result.rows} records; the plan counted "
            f"{chunk['rows']} (the object changed while it was imported?)"
        )
    part = f"{index:06d}"
    if result.rejected:
        s3.put_object(
            Bucket=settings.results_bucket,
            Key=settings.work_key(import_id, f"rejects/{part}.csv"),
            Body=rejects_text.getvalue().encode("utf-8"),
            ContentType="text/csv; charset=utf-8",
        )
    if segment_lines:
        s3.put_object(
            Bucket=settings.results_bucket,
            Key=settings.work_key(import_id, f"segment/{part}.jsonl"),
            Body=b"".join(segment_lines),
            ContentType="application/x-ndjson",
        )
    summary = result.to_dict()
    s3.put_object(
        Bucket=settings.results_bucket,
        Key=settings.work_key(import_id, f"chunks/{part}.json"),
        Body=json.dumps(summary).encode("utf-8"),
        ContentType="application/json",
    )
    return {"index": index, "rows": result.rows, "imported": result.imported, "rejected": result.rejected}


def write_endpoints(
    store: Any, application_id: str, entries: list[tuple[int, dict]], strip_pii: bool, *, segment_id: str | None = None
) -> tuple[list[dict], list[Rejected]]:
    """``update_endpoints_batch`` for up to 100 (line, item) pairs (members of ``segment_id`` in the same writes
    when given). The store validates a batch as a whole, so an item it refuses (named
    ``EndpointBatchRequest.Item[i].<field>``) becomes a reject and the rest is sent again: one bad row never stops
    the others. Returns (written items, rejects)."""
    pending = list(entries)
    refused: list[Rejected] = []
    while pending:
        try:
            store.update_endpoints_batch(
                ApplicationId=application_id,
                EndpointBatchRequest={"Item": [item for _, item in pending]},
                add_to_segment=segment_id,
            )
            break
        except EndpointValidationError as error:
            match = _ITEM_FIELD.match(error.field)
            if match is None or int(match.group(1)) >= len(pending):
                raise
            line, item = pending.pop(int(match.group(1)))
            refused.append(_store_reject(line, match.group(2) or "", error.problem, item, strip_pii))
    return [item for _, item in pending], refused


def _store_reject(line: int, field: str, reason: str, item: Mapping[str, Any], strip_pii: bool) -> Rejected:
    from pinpoint_runtime.audience.import_rows import mask_row  # noqa: PLC0415

    return Rejected(line, field, reason, mask_row(dict(item)) if strip_pii else dict(item))


# ------------------------------------------------------------------------------------------------ step 3: finish


def finish_step(
    event: Mapping[str, Any],
    *,
    s3: Any,
    store: Any,
    settings: ImportSettings,
    notifier: ImportNotifier,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Add up the ranges, write rejects.csv (always, header only when nothing was rejected), the segment list
    and record, and summary.json; publish ``succeeded``. Raises :class:`ImportIncomplete` if any range's counts
    are missing or the sums differ from the plan."""
    source = ImportSource.from_dict(event["source"])
    run = event["run"]
    import_id = str(run["import_id"])
    totals = {"rows": 0, "imported": 0, "rejected": 0}
    channels: Counter = Counter()
    seen: set[int] = set()
    for key in _list_keys(s3, settings.results_bucket, settings.work_key(import_id, "chunks/")):
        part = json.loads(s3.get_object(Bucket=settings.results_bucket, Key=key)["Body"].read())
        seen.add(int(part["index"]))
        for name in totals:
            totals[name] += int(part[name])
        channels.update(part.get("channels") or {})
    missing = sorted(set(range(int(run["chunks"]))) - seen)
    if missing or totals["rows"] != int(run["rows"]) or totals["imported"] + totals["rejected"] != totals["rows"]:
        raise ImportIncomplete(
            f"ranges without results: {missing[:10]}; rows counted {totals['rows']} of {run['rows']} planned, "
            f"imported {totals['imported']} + rejected {totals['rejected']}"
        )
    rejects_key = settings.results_key(import_id, "rejects.csv")
    concatenate_objects(
        s3,
        settings.results_bucket,
        _list_keys(s3, settings.results_bucket, settings.work_key(import_id, "rejects/")),
        rejects_key,
        header=_csv_line(REJECTS_HEADER),
        skip_first_line=True,
        content_type="text/csv; charset=utf-8",
    )
    segment_message = None
    segment = run.get("segment") or None
    if segment:
        list_key = settings.results_key(import_id, "segment-endpoints.jsonl")
        concatenate_objects(
            s3,
            settings.results_bucket,
            _list_keys(s3, settings.results_bucket, settings.work_key(import_id, "segment/")),
            list_key,
            header=None,
            skip_first_line=False,
            content_type="application/x-ndjson",
        )
        list_url = f"s3://{settings.results_bucket}/{list_key}"
        store.put_segment(
            ApplicationId=settings.application_id,
            SegmentId=segment["id"],
            Name=segment["name"],
            ImportDefinition={
                "Format": run["format"],
                "S3Url": source.uri,
                "Size": totals["imported"],
                "ExternalId": import_id,
                "ChannelCounts": dict(channels),
            },
            EndpointList={"S3Url": list_url, "Count": totals["imported"]},
        )
        segment_message = {"id": segment["id"], "name": segment["name"], "endpoint_list": list_url}
    summary = {
        **_source_message(import_id, source),
        "status": "SUCCEEDED",
        "application_id": settings.application_id,
        **totals,
        "channels": dict(channels),
        "duration_seconds": round(max(0.0, clock() - _epoch(run.get("started_at"), clock)), 3),
        "rejects": f"s3://{settings.results_bucket}/{rejects_key}",
        "segment": segment_message,
        "warnings": list(run.get("warnings") or []),
    }
    _put_json(s3, settings.results_bucket, settings.results_key(import_id, "summary.json"), summary)
    notifier.publish("succeeded", summary)
    return summary


def failure_step(
    event: Mapping[str, Any], *, s3: Any, settings: ImportSettings, notifier: ImportNotifier
) -> dict[str, Any]:
    """Publish ``failed`` with the reason (the error's message, never a stack trace) and write summary.json."""
    source = ImportSource.from_dict(event["source"])
    import_id = str(event["import_id"])
    error = event.get("error") or {}
    reason = failure_reason(error)
    summary = {
        **_source_message(import_id, source),
        "status": "FAILED",
        "application_id": settings.application_id,
        "error": str(error.get("Error") or "Unknown"),
        "reason": reason,
    }
    _put_json(s3, settings.results_bucket, settings.results_key(import_id, "summary.json"), summary)
    notifier.publish("failed", summary)
    return summary


def failure_reason(error: Mapping[str, Any]) -> str:
    """The human part of a Step Functions error: a Lambda error's ``errorMessage`` from the JSON ``Cause``, or
    the ``Cause`` text, or the error name."""
    cause = error.get("Cause")
    if isinstance(cause, str) and cause.strip():
        try:
            parsed = json.loads(cause)
        except ValueError:
            return cause.strip()[:1000]
        if isinstance(parsed, Mapping) and parsed.get("errorMessage"):
            return str(parsed["errorMessage"])[:1000]
        return cause.strip()[:1000]
    return str(error.get("Error") or "the import failed for an unknown reason")


def _epoch(iso_time: Any, clock: Callable[[], float]) -> float:
    if not isinstance(iso_time, str):
        return clock()
    try:
        return parse_iso_utc(iso_time).timestamp()
    except ValueError:
        return clock()


def _put_json(s3: Any, bucket: str, key: str, value: Any) -> None:
    s3.put_object(
        Bucket=bucket, Key=key, Body=json.dumps(value, indent=2, default=str).encode(), ContentType="application/json"
    )


def _csv_line(cells: list[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue().encode("utf-8")


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(keys)


def concatenate_objects(
    s3: Any,
    bucket: str,
    keys: Iterable[str],
    target_key: str,
    *,
    header: bytes | None,
    skip_first_line: bool,
    content_type: str,
    part_bytes: int = PART_BYTES,
) -> int:
    """Stream ``keys`` (in order) into one object, optionally dropping each part's first line and starting with
    ``header``. Memory stays below ~2 parts (multipart upload; a single PutObject when it all fits in one part).
    Returns the bytes written."""
    buffer = bytearray(header or b"")
    upload_id: str | None = None
    parts: list[dict[str, Any]] = []
    total = 0

    def upload(data: bytes) -> None:
        nonlocal upload_id
        if upload_id is None:
            upload_id = s3.create_multipart_upload(Bucket=bucket, Key=target_key, ContentType=content_type)["UploadId"]
        number = len(parts) + 1
        response = s3.upload_part(Bucket=bucket, Key=target_key, UploadId=upload_id, PartNumber=number, Body=data)
        parts.append({"PartNumber": number, "ETag": response["ETag"]})

    try:
        for key in keys:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            skipping = skip_first_line
            try:
                for data in iter(functools.partial(body.read, 1024 * 1024), b""):
                    if skipping:
                        newline = data.find(b"\n")
                        if newline < 0:
                            continue
                        data = data[newline + 1 :]
                        skipping = False
                    buffer += data
                    while len(buffer) >= part_bytes:
                        upload(bytes(buffer[:part_bytes]))
                        total += part_bytes
                        del buffer[:part_bytes]
            finally:
                body.close()
        if upload_id is None:
            s3.put_object(Bucket=bucket, Key=target_key, Body=bytes(buffer), ContentType=content_type)
        else:
            if buffer:
                upload(bytes(buffer))
            s3.complete_multipart_upload(
                Bucket=bucket, Key=target_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        return total + len(buffer)
    except BaseException:
        if upload_id is not None:
            s3.abort_multipart_upload(Bucket=bucket, Key=target_key, UploadId=upload_id)
        raise


# ------------------------------------------------------------------------------------------------ starter


def start_import(sfn: Any, state_machine_arn: str, source: ImportSource) -> tuple[str, bool]:
    """StartExecution named :func:`import_execution_name`; returns (name, started). A second delivery of the
    same object finds the name taken (``ExecutionAlreadyExists``) and is not imported again: (name, False)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    name = import_execution_name(source)
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=name,
            input=json.dumps({"source": source.to_dict()}, sort_keys=True),
        )
    except ClientError as error:
        if error_code(error) == "ExecutionAlreadyExists":
            return name, False
        raise
    return name, True
