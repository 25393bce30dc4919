"""Steps "Finish" and "Report failure" of the import workflow (``import_reporter``): the sums, one rejects.csv
and one segment list (parts concatenated), the segment record, summary.json and the ``succeeded`` notification;
or the ``failed`` notification with the reason.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pinpoint_runtime.audience.import_errors import ImportIncomplete
from pinpoint_runtime.audience.import_notifications import ImportNotificationType, ImportNotifier, _source_message
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.import_source import ImportSource
from pinpoint_runtime.audience.import_summary import REJECTS_HEADER
from pinpoint_runtime.core.timestamps import parse_iso_utc

PART_BYTES = 8 * 1024 * 1024  # multipart part size when concatenating parts (S3 minimum is 5 MiB)


class ImportOutcome(enum.StrEnum):
    """The ``outcome`` of the reporter's event: the workflow's "Finish" or "Report failure" step."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


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
    notifier.publish(ImportNotificationType.SUCCEEDED, summary)
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
    notifier.publish(ImportNotificationType.FAILED, summary)
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
