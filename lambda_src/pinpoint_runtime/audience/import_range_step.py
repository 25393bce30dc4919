"""Step "Write range" of the import workflow (``import_chunk_writer``, one Distributed Map item): a byte range
of the object validated and written to the EndpointStore; its rejects, segment list and counts stored in S3.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinpoint_runtime.audience.endpoint_request import MAX_BATCH_ITEMS, PHONE_CHANNELS, EndpointValidationError
from pinpoint_runtime.audience.import_errors import ImportFileRejected, ImportIncomplete, ImportRetryableError
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.import_source import ImportSource, open_object
from pinpoint_runtime.audience.import_summary import RejectsWriter
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.retries import full_jitter_backoff

_ITEM_FIELD = re.compile(r"^EndpointBatchRequest\.Item\[(\d+)\](?:\.(.*))?$")


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
    channels: Counter[str] = field(default_factory=Counter)

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
