"""Step "Plan" of a campaign run (``campaign_planner``): validate the request, read the segment (an EndpointStore
static segment, an S3 list of Pinpoint endpoint JSON lines, or a Pinpoint import CSV) as a stream into pages of
endpoints in S3, and write the manifest the Distributed Map reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from pinpoint_runtime.campaigns.payloads import CampaignContext
from pinpoint_runtime.campaigns.request import CampaignRequest
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.timestamps import iso_utc


class SegmentSourceError(ValueError):
    """The segment cannot be read (missing object, unknown format...). Not retried."""


def read_segment(request: CampaignRequest, *, s3: Any, store: Any) -> Iterator[dict[str, Any]]:
    """The segment's endpoints (each with ``Id``), streamed: an EndpointStore static segment (members fetched
    100 at a time), an S3 list of Pinpoint endpoint JSON lines (``.jsonl``/``.json``, e.g. S3TriggeredImport's
    ``segment-endpoints.jsonl``), or a Pinpoint import CSV (validated exactly as an import would)."""
    segment = request.segment
    if segment.get("segment_id"):
        app = request.context.application_id
        ids = store.segment_endpoint_ids(ApplicationId=app, SegmentId=str(segment["segment_id"]))
        for page in _chunks(ids, 100):
            found = store.batch_get_endpoints(ApplicationId=app, EndpointIds=page)
            for endpoint_id in page:
                if endpoint_id in found:
                    yield {**found[endpoint_id], "Id": endpoint_id}
        return
    url = urlparse(str(segment["s3_url"]))
    bucket, key = url.netloc, url.path.lstrip("/")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as error:  # noqa: BLE001 - turned into a clear, non-retried error
        code = error_code(error, type(error).__name__)
        raise SegmentSourceError(f"cannot read the segment list s3://{bucket}/{key}: {code}") from None
    try:
        if key.lower().endswith(".csv"):
            from pinpoint_runtime.audience.endpoint_import import Rejected, iter_endpoints  # noqa: PLC0415

            for item in iter_endpoints(body, file_format="CSV"):
                if not isinstance(item, Rejected):
                    yield item
        else:
            for number, raw in enumerate(iter_lines(body), 1):
                if not raw.strip():
                    continue
                try:
                    endpoint = json.loads(raw)
                except ValueError:
                    raise SegmentSourceError(f"line {number} of s3://{bucket}/{key} is not JSON") from None
                if not isinstance(endpoint, Mapping) or not isinstance(endpoint.get("Id"), str):
                    raise SegmentSourceError(f"line {number} of s3://{bucket}/{key} is not an endpoint with an Id")
                yield dict(endpoint)
    finally:
        body.close()


def iter_lines(body: Any) -> Iterator[str]:
    """The UTF-8 lines of a streaming S3 body (read 1 MiB at a time), without their newlines."""
    pending = b""
    for data in iter(lambda: body.read(1 << 20), b""):
        pending += data
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode("utf-8")
    if pending:
        yield pending.decode("utf-8")


def _chunks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    page: list[Any] = []
    for value in values:
        page.append(value)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


def plan_step(event: Mapping[str, Any], *, s3: Any, store: Any, settings: RunnerSettings) -> dict[str, Any]:
    """Validate the request, write the segment as pages of endpoints (JSON lines) and the manifest."""
    request = CampaignRequest.parse(event.get("request"))
    run_id = str(event["run_id"])
    context = request.context
    if not context.activity_id:
        context = CampaignContext(**{**context.__dict__, "activity_id": run_id[-32:]})
    if not context.scheduled_time:
        context = CampaignContext(**{**context.__dict__, "scheduled_time": str(event.get("started_at") or iso_utc())})
    manifest = []
    seen = _SeenIds()
    for index, page in enumerate(_chunks(_unique(read_segment(request, s3=s3, store=store), seen), settings.page_size)):
        key = settings.work_key(run_id, f"pages/{index:06d}.jsonl")
        s3.put_object(
            Bucket=settings.work_bucket,
            Key=key,
            Body=b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in page),
            ContentType="application/x-ndjson",
        )
        manifest.append({"index": index, "key": key, "count": len(page)})
    duplicates = seen.duplicates
    manifest_key = settings.work_key(run_id, "manifest.json")
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=manifest_key,
        Body=json.dumps(manifest).encode(),
        ContentType="application/json",
    )
    return {
        "run_id": run_id,
        "request": {**request.to_dict(), **context.to_dict()},
        "endpoints": sum(page["count"] for page in manifest),
        "pages": len(manifest),
        "duplicate_ids_skipped": duplicates,
        "manifest_key": manifest_key,
        "started_at": str(event.get("started_at") or iso_utc()),
    }


class _SeenIds(set):
    duplicates = 0


def _unique(endpoints: Iterable[dict[str, Any]], seen: _SeenIds) -> Iterator[dict[str, Any]]:
    """Each endpoint id once (a list may repeat an endpoint; Pinpoint sent once per endpoint)."""
    for endpoint in endpoints:
        endpoint_id = endpoint["Id"]
        if endpoint_id in seen:
            seen.duplicates += 1
            continue
        seen.add(endpoint_id)
        yield endpoint


__all__ = ["SegmentSourceError", "iter_lines", "plan_step", "read_segment"]
