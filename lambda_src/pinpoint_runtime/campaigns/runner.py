"""The campaign engine's workflow steps (``pinpoint_constructs.CampaignRunner``), the run request, and the client.

Workflow::

    Plan        (campaign_planner)  validate the request; read the segment (an EndpointStore static segment, an
                                    S3 list of Pinpoint endpoint JSON lines, or a Pinpoint import CSV) as a stream
                                    into pages of endpoints in S3; manifest of pages
    Send pages  Distributed Map over the manifest; per page campaign_batch_sender: for each batch of <= 50
                endpoints: every hook (FILTER payload, 15 s, <= 3 attempts; the answer replaces the batch) ->
                render each message -> SMS / EMAIL delivery (rate-limited, idempotent) and CUSTOM channels ->
                one outcome per endpoint, ``_campaign.send`` events; outcomes and counts of the page in S3
    Summarize   (campaign_reporter) counts per status, checked against the planned endpoints; summary.json
    any error -> Report failure (campaign_reporter) -> Fail

Every endpoint of the segment ends with exactly one outcome (``campaign_payloads.Outcome``): SUCCESS, FAILURE,
OPT_OUT, FILTERED_BY_HOOK, RENDER_FAILURE, UNSUPPORTED_CHANNEL, THROTTLED or DUPLICATE.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    FILTERED,
    HOOK_MAX_ATTEMPTS,
    HOOK_TIMEOUT_SECONDS,
    MAX_ENDPOINTS_PER_CALL,
    RENDER_FAILURE,
    SUCCESS,
    THROTTLED,
    UNSUPPORTED_CHANNEL,
    CampaignContext,
    Outcome,
    PayloadError,
    campaign_send_event,
    custom_channel_event,
    hook_event,
    parse_channel_response,
    parse_hook_response,
)
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.core.timestamps import iso_utc

ENV_WORK_BUCKET = "CAMPAIGN_WORK_BUCKET"
ENV_WORK_PREFIX = "CAMPAIGN_WORK_PREFIX"
ENV_RESULTS_PREFIX = "CAMPAIGN_RESULTS_PREFIX"
ENV_HOOKS = "CAMPAIGN_HOOK_FUNCTIONS"  # JSON list of function ARNs, called in order
ENV_CHANNELS = "CAMPAIGN_CUSTOM_CHANNELS"  # JSON object channel name -> function ARN
ENV_PAGE_SIZE = "CAMPAIGN_PAGE_SIZE"

DEFAULT_PAGE_SIZE = 1000
CHANNEL_MESSAGES = {"SMS": "SMSMessage", "EMAIL": "EmailMessage", "CUSTOM": "CustomMessage"}
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class CampaignRequestError(ValueError):
    """The run request cannot be used (the message names the field). Not retried."""


class PageNotFinished(RuntimeError):
    """Some messages of a page were not attempted before the deadline (rate limit): Step Functions retries the
    page; the send ledger turns what the first attempt sent into DUPLICATE outcomes instead of second sends."""


class SegmentSourceError(ValueError):
    """The segment cannot be read (missing object, unknown format...). Not retried."""


# ------------------------------------------------------------------------------------------------ the request


@dataclass(frozen=True)
class CampaignRequest:
    """One run: the segment, the message (Pinpoint's MessageConfiguration), ids, optional templates and
    substitutions, and which endpoint types go to which custom channel."""

    context: CampaignContext
    segment: Mapping[str, Any]
    template_configuration: Mapping[str, Any] | None = None
    substitutions: Mapping[str, list[str]] | None = None
    custom_channel: str | None = None
    custom_endpoint_types: tuple[str, ...] = ("CUSTOM",)

    @classmethod
    def parse(cls, data: Any) -> CampaignRequest:
        """Validate a request (execution input); :class:`CampaignRequestError` names the field."""
        if not isinstance(data, Mapping):
            raise CampaignRequestError("the request must be a JSON object")
        for name in ("application_id", "campaign_id"):
            value = data.get(name)
            if not isinstance(value, str) or not _ID.fullmatch(value):
                raise CampaignRequestError(f"{name} is required: 1-128 characters of letters, digits and _.:-")
        treatment = str(data.get("treatment_id", "0"))
        if not _ID.fullmatch(treatment):
            raise CampaignRequestError("treatment_id must be 1-128 characters of letters, digits and _.:-")
        message = data.get("message_configuration")
        if not isinstance(message, Mapping) or not any(key in message for key in CHANNEL_MESSAGES.values()):
            raise CampaignRequestError(
                "message_configuration needs SMSMessage, EmailMessage and/or CustomMessage (Pinpoint's shape)"
            )
        segment = data.get("segment")
        if not isinstance(segment, Mapping) or not (segment.get("segment_id") or segment.get("s3_url")):
            raise CampaignRequestError('segment must be {"segment_id": ...} or {"s3_url": "s3://bucket/key"}')
        if segment.get("s3_url"):
            url = urlparse(str(segment["s3_url"]))
            if url.scheme != "s3" or not url.netloc or not url.path.strip("/"):
                raise CampaignRequestError("segment.s3_url must look like s3://bucket/key")
        substitutions = data.get("substitutions")
        if substitutions is not None and not (
            isinstance(substitutions, Mapping)
            and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in substitutions.values())
        ):
            raise CampaignRequestError("substitutions must map names to lists of strings (Pinpoint's shape)")
        types = data.get("custom_endpoint_types", ["CUSTOM"])
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise CampaignRequestError("custom_endpoint_types must be a list of channel types")
        context = CampaignContext(
            application_id=data["application_id"],
            campaign_id=data["campaign_id"],
            treatment_id=treatment,
            activity_id=str(data.get("activity_id") or ""),
            scheduled_time=str(data.get("scheduled_time") or ""),
            message_configuration=dict(message),
        )
        return cls(
            context=context,
            segment=dict(segment),
            template_configuration=data.get("template_configuration"),
            substitutions=substitutions,
            custom_channel=data.get("custom_channel"),
            custom_endpoint_types=tuple(types),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.context.to_dict(),
            "segment": dict(self.segment),
            "template_configuration": self.template_configuration,
            "substitutions": self.substitutions,
            "custom_channel": self.custom_channel,
            "custom_endpoint_types": list(self.custom_endpoint_types),
        }


@dataclass(frozen=True)
class RunnerSettings:
    work_bucket: str
    work_prefix: str = "campaign-work/"
    results_prefix: str = "campaign-results/"
    hooks: tuple[str, ...] = ()
    channels: Mapping[str, str] | None = None
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RunnerSettings:
        env = os.environ if environ is None else environ
        bucket = env.get(ENV_WORK_BUCKET)
        if not bucket:
            raise RuntimeError(f"{ENV_WORK_BUCKET} is not set (the CampaignRunner construct sets it)")
        return cls(
            work_bucket=bucket,
            work_prefix=env.get(ENV_WORK_PREFIX, "campaign-work/"),
            results_prefix=env.get(ENV_RESULTS_PREFIX, "campaign-results/"),
            hooks=tuple(json.loads(env.get(ENV_HOOKS) or "[]")),
            channels=dict(json.loads(env.get(ENV_CHANNELS) or "{}")),
            page_size=int(env.get(ENV_PAGE_SIZE) or DEFAULT_PAGE_SIZE),
        )

    def work_key(self, run_id: str, name: str) -> str:
        return f"{self.work_prefix}{run_id}/{name}"

    def results_key(self, run_id: str, name: str) -> str:
        return f"{self.results_prefix}{run_id}/{name}"


# ------------------------------------------------------------------------------------------------ step 1: plan


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
            for number, raw in enumerate(_lines(body), 1):
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


def _lines(body: Any) -> Iterator[str]:
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


# ------------------------------------------------------------------------------------------------ step 2: pages


class FunctionInvoker:
    """Synchronous Lambda invocations for hooks and channels: each attempt bounded by ``timeout`` seconds, at
    most ``max_attempts`` attempts (function errors, timeouts and throttling retried with jittered backoff); a
    result that is not the contract is not retried. Raises :class:`HookFailed` with the last reason."""

    def __init__(
        self,
        *,
        client: Any = None,
        timeout: float = HOOK_TIMEOUT_SECONDS,
        max_attempts: int = HOOK_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415
            from botocore.config import Config  # noqa: PLC0415

            self._client = boto3.client(
                "lambda",
                config=Config(read_timeout=self.timeout, connect_timeout=5, retries={"max_attempts": 1}),
            )
        return self._client

    def invoke(self, function: str, payload: Mapping[str, Any]) -> Any:
        reason = "not invoked"
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                response = self.client.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
                body = response["Payload"].read()
                if response.get("FunctionError"):
                    reason = f"the function failed: {_error_message(body)}"
                elif time.monotonic() - started > self.timeout:
                    reason = f"the function took more than {self.timeout:g} s"
                else:
                    return json.loads(body) if body else None
            except ValueError:
                raise HookFailed(function, "the function's answer is not JSON") from None
            except Exception as error:  # noqa: BLE001 - timeouts, throttling, service errors: retried
                reason = f"{type(error).__name__}: {getattr(error, 'response', {}).get('Error', {}).get('Code', error)}"
            if attempt < self.max_attempts:
                self._sleep(full_jitter_backoff(attempt, base=0.5, cap=4.0))
        raise HookFailed(function, f"{reason} (after {self.max_attempts} attempts)")


class HookFailed(RuntimeError):
    def __init__(self, function: str, reason: str) -> None:
        self.function = function
        self.reason = reason
        super().__init__(f"{function.rsplit(':', 1)[-1]}: {reason}")


def _error_message(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(parsed, Mapping):
        return str(parsed.get("errorMessage") or parsed.get("errorType") or parsed)[:200]
    return str(parsed)[:200]


@dataclass
class PageResult:
    outcomes: list[Outcome]

    def counts(self) -> Counter:
        return Counter(outcome.status for outcome in self.outcomes)

    def earlier_counts(self) -> Counter:
        """DUPLICATE outcomes by the status the earlier attempt recorded (after a page retry, SUCCESS ones were
        delivered by this run's first attempt)."""
        return Counter(o.earlier_status for o in self.outcomes if o.status == DUPLICATE and o.earlier_status)


class BatchSender:
    """Sends one page: hooks, rendering, delivery and custom channels for each batch of <= 50 endpoints.

    ``renderer``: ``campaign_templates.MessageRenderer``-like (``render(channel, endpoint) -> dict``, raising
    ``RenderError``); ``delivery``: ``campaign_delivery.CampaignDelivery``-like (``deliver(context, items)`` ->
    outcomes for SMS/EMAIL, idempotent); ``ledger``: the same send ledger for CUSTOM sends (``claim``/``complete``);
    ``event_writer``: EventStreamWriter for the outcomes the delivery does not record itself; ``invoker`` calls
    hooks (15 s, 3 attempts), ``channel_invoker`` custom channels (default: ``invoker``)."""

    def __init__(
        self,
        request: CampaignRequest,
        *,
        renderer: Any,
        delivery: Any,
        invoker: FunctionInvoker,
        hooks: Iterable[str] = (),
        channels: Mapping[str, str] | None = None,
        ledger: Any = None,
        event_writer: Any = None,
        deadline: float | None = None,
        channel_invoker: FunctionInvoker | None = None,
    ) -> None:
        self.request = request
        self.deadline = deadline
        # hooks have Pinpoint's 15 s budget; a channel may take longer (e.g. paced outbound calls)
        self.channel_invoker = channel_invoker or invoker
        self.context = request.context
        self.renderer = renderer
        self.delivery = delivery
        self.invoker = invoker
        self.hooks = tuple(hooks)
        self.channels = dict(channels or {})
        self.ledger = ledger
        self.event_writer = event_writer

    def send_page(self, endpoints: list[dict[str, Any]]) -> PageResult:
        outcomes: list[Outcome] = []
        for start in range(0, len(endpoints), MAX_ENDPOINTS_PER_CALL):
            batch = {
                e["Id"]: {k: v for k, v in e.items() if k != "Id"}
                for e in endpoints[start : start + MAX_ENDPOINTS_PER_CALL]
            }
            outcomes.extend(self.send_batch(batch))
        return PageResult(outcomes)

    def send_batch(self, batch: dict[str, dict[str, Any]]) -> list[Outcome]:
        """Exactly one outcome per endpoint id of ``batch``."""
        recorded: list[Outcome] = []  # outcomes this method records as events (delivery records its own)
        current = batch
        failed: set[str] = set()
        for hook in self.hooks:
            try:
                answer = self.invoker.invoke(hook, hook_event(self.context, current))
                current = parse_hook_response(answer, current)
            except (HookFailed, PayloadError) as error:
                reason = f"campaign hook failed: {error}"
                recorded.extend(Outcome(i, _channel_of(e), FAILURE, reason) for i, e in current.items())
                failed = set(current)
                current = {}
                break
        recorded.extend(
            Outcome(i, _channel_of(batch[i]), FILTERED, "left out by a campaign hook")
            for i in batch
            if i not in current and i not in failed
        )

        deliverable: list[tuple[str, dict, dict]] = []
        custom: list[tuple[str, dict, dict]] = []
        for endpoint_id, endpoint in current.items():
            channel = self._route(endpoint)
            if channel is None:
                recorded.append(
                    Outcome(
                        endpoint_id,
                        _channel_of(endpoint),
                        UNSUPPORTED_CHANNEL,
                        "the message configuration has no message for this channel type",
                    )
                )
                continue
            try:
                rendered = self.renderer.render(channel, endpoint, endpoint_id=endpoint_id)
            except Exception as error:  # noqa: BLE001 - RenderError (or any renderer failure) rejects one endpoint
                recorded.append(Outcome(endpoint_id, channel, RENDER_FAILURE, str(error)[:500] or type(error).__name__))
                continue
            (custom if channel == "CUSTOM" else deliverable).append((endpoint_id, endpoint, rendered))

        delivered = (
            list(self.delivery.deliver(self.context, deliverable, deadline=self.deadline)) if deliverable else []
        )
        recorded.extend(self._send_custom(custom))
        self._record_events(recorded)
        outcomes = delivered + recorded
        _check_one_outcome_each(batch, outcomes)
        return outcomes

    def _route(self, endpoint: Mapping[str, Any]) -> str | None:
        message = self.context.message_configuration
        channel_type = str(endpoint.get("ChannelType") or "")
        if channel_type in self.request.custom_endpoint_types and "CustomMessage" in message:
            return "CUSTOM"
        if channel_type == "SMS" and "SMSMessage" in message:
            return "SMS"
        if channel_type == "EMAIL" and "EmailMessage" in message:
            return "EMAIL"
        return None

    def _custom_function(self) -> str | None:
        if self.request.custom_channel:
            return self.channels.get(self.request.custom_channel)
        return next(iter(self.channels.values())) if len(self.channels) == 1 else None

    def _send_custom(self, items: list[tuple[str, dict, dict]]) -> list[Outcome]:
        if not items:
            return []
        function = self._custom_function()
        if function is None:
            reason = (
                f"no custom channel named {self.request.custom_channel!r}"
                if self.request.custom_channel
                else "no custom channel chosen (configure one, or name it in custom_channel)"
            )
            return [Outcome(i, "CUSTOM", FAILURE, reason) for i, _, _ in items]
        outcomes: list[Outcome] = []
        claimed: list[tuple[str, dict, dict]] = []
        for endpoint_id, endpoint, rendered in items:
            key = self.context.idempotency_key(endpoint_id)
            if self.ledger is not None:
                duplicate = self.ledger_outcome(key, endpoint_id)
                if duplicate is not None:
                    outcomes.append(duplicate)
                    continue
            claimed.append((endpoint_id, endpoint, rendered))
        by_data: dict[str, list[tuple[str, dict]]] = {}
        for endpoint_id, endpoint, rendered in claimed:
            by_data.setdefault(rendered.get("Data", ""), []).append((endpoint_id, endpoint))
        for data, group in by_data.items():
            for start in range(0, len(group), MAX_ENDPOINTS_PER_CALL):
                part = dict(group[start : start + MAX_ENDPOINTS_PER_CALL])
                try:
                    answer = self.channel_invoker.invoke(function, custom_channel_event(self.context, data, part))
                    results = parse_channel_response(answer, list(part))
                except (HookFailed, PayloadError) as error:
                    results = dict.fromkeys(part, (FAILURE, f"custom channel failed: {error}"))
                for endpoint_id, (status, reason) in results.items():
                    outcomes.append(Outcome(endpoint_id, "CUSTOM", status, reason))
                    if self.ledger is not None:
                        self.ledger.complete(self.context.idempotency_key(endpoint_id), status, None, reason=reason)
        return outcomes

    def ledger_outcome(self, key: str, endpoint_id: str) -> Outcome | None:
        """Claim the send; None when this attempt may send, else the DUPLICATE/FAILURE outcome."""
        if self.ledger.claim(key, channel="CUSTOM"):
            return None
        state = (self.ledger.get(key) or {}).get("status")
        if state in (None, "SENDING"):
            return Outcome(
                endpoint_id,
                "CUSTOM",
                FAILURE,
                "an earlier attempt was interrupted while sending; not resent to avoid a duplicate",
            )
        return Outcome(
            endpoint_id,
            "CUSTOM",
            DUPLICATE,
            f"already processed by an earlier attempt (status {state}); not resent",
            earlier_status=state,
        )

    def _record_events(self, outcomes: list[Outcome]) -> None:
        if self.event_writer is None or not outcomes:
            return
        timestamp = iso_utc()
        for start in range(0, len(outcomes), 100):
            batch_item: dict[str, Any] = {}
            for outcome in outcomes[start : start + 100]:
                event = campaign_send_event(self.context, outcome, timestamp)
                batch_item.setdefault(outcome.endpoint_id, {"Endpoint": {}, "Events": {}})["Events"][
                    f"{self.context.campaign_id}-{uuid.uuid4().hex[:8]}"
                ] = event
            self.event_writer.put_events(
                {"ApplicationId": self.context.application_id, "EventsRequest": {"BatchItem": batch_item}}
            )


def _channel_of(endpoint: Mapping[str, Any]) -> str:
    return str(endpoint.get("ChannelType") or "UNKNOWN")


def _check_one_outcome_each(batch: Mapping[str, Any], outcomes: list[Outcome]) -> None:
    counts = Counter(outcome.endpoint_id for outcome in outcomes)
    if set(counts) != set(batch) or any(n != 1 for n in counts.values()):
        missing = sorted(set(batch) - set(counts))[:5]
        extra = sorted(i for i, n in counts.items() if n != 1 or i not in batch)[:5]
        raise RuntimeError(f"outcomes do not match the batch: missing {missing}, repeated or foreign {extra}")


def page_step(
    event: Mapping[str, Any],
    *,
    s3: Any,
    settings: RunnerSettings,
    sender_factory: Callable[[CampaignRequest], BatchSender],
) -> dict[str, Any]:
    """Send one page (a Distributed Map item) and store its outcomes and counts."""
    run = event["run"]
    page = event["page"]
    request = CampaignRequest.parse(run["request"])
    body = s3.get_object(Bucket=settings.work_bucket, Key=page["key"])["Body"]
    try:
        endpoints = [json.loads(line) for line in _lines(body) if line.strip()]
    finally:
        body.close()
    result = sender_factory(request).send_page(endpoints)
    index = int(page["index"])
    throttled = result.counts().get(THROTTLED, 0)
    if throttled:
        raise PageNotFinished(
            f"page {index}: {throttled} message(s) could not be sent before the function's deadline at the "
            "configured rate; the page is retried and what was sent is not sent again"
        )
    lines = io.StringIO()
    for outcome in result.outcomes:
        lines.write(json.dumps(outcome.to_dict()) + "\n")
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.work_key(run["run_id"], f"outcomes/{index:06d}.jsonl"),
        Body=lines.getvalue().encode(),
        ContentType="application/x-ndjson",
    )
    counts = dict(result.counts())
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.work_key(run["run_id"], f"counts/{index:06d}.json"),
        Body=json.dumps(
            {
                "index": index,
                "endpoints": len(endpoints),
                "counts": counts,
                "duplicates_by_earlier_status": dict(result.earlier_counts()),
            }
        ).encode(),
        ContentType="application/json",
    )
    return {"index": index, "endpoints": len(endpoints), "outcomes": len(result.outcomes)}


# ------------------------------------------------------------------------------------------------ step 3: summary


def summary_step(event: Mapping[str, Any], *, s3: Any, settings: RunnerSettings) -> dict[str, Any]:
    """Counts per status over every page; fails unless every planned endpoint has exactly one outcome."""
    run = event["run"]
    run_id = str(run["run_id"])
    counts: Counter = Counter()
    earlier: Counter = Counter()
    seen: set[int] = set()
    outcomes = 0
    paginator = s3.get_paginator("list_objects_v2")
    for listing in paginator.paginate(Bucket=settings.work_bucket, Prefix=settings.work_key(run_id, "counts/")):
        for obj in listing.get("Contents", []):
            part = json.loads(s3.get_object(Bucket=settings.work_bucket, Key=obj["Key"])["Body"].read())
            seen.add(int(part["index"]))
            counts.update(part["counts"])
            earlier.update(part.get("duplicates_by_earlier_status") or {})
            outcomes += sum(part["counts"].values())
    missing = sorted(set(range(int(run["pages"]))) - seen)
    if missing or outcomes != int(run["endpoints"]):
        raise RuntimeError(
            f"pages without results: {missing[:10]}; {outcomes} outcomes for {run['endpoints']} endpoints"
        )
    request = run["request"]
    summary = {
        "run_id": run_id,
        "status": "SUCCEEDED",
        "application_id": request["application_id"],
        "campaign_id": request["campaign_id"],
        "treatment_id": request["treatment_id"],
        "activity_id": request["activity_id"],
        "endpoints": outcomes,
        "counts": dict(sorted(counts.items())),
        "sent": counts.get(SUCCESS, 0),
        # DUPLICATE outcomes by what the earlier attempt (a retried page, or an earlier run of the same campaign
        # and treatment) recorded; "delivered" counts the messages of this campaign and treatment that left
        "duplicates_by_earlier_status": dict(sorted(earlier.items())),
        "delivered": counts.get(SUCCESS, 0) + earlier.get(SUCCESS, 0),
        "duplicate_ids_skipped": run.get("duplicate_ids_skipped", 0),
        "outcomes": f"s3://{settings.work_bucket}/{settings.work_key(run_id, 'outcomes/')}",
        "started_at": run.get("started_at"),
        "finished_at": iso_utc(),
    }
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.results_key(run_id, "summary.json"),
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    return summary


def failure_step(event: Mapping[str, Any], *, s3: Any, settings: RunnerSettings) -> dict[str, Any]:
    from pinpoint_runtime.audience.import_workflow import failure_reason  # noqa: PLC0415

    run_id = str(event["run_id"])
    error = event.get("error") or {}
    summary = {
        "run_id": run_id,
        "status": "FAILED",
        "error": str(error.get("Error") or "Unknown"),
        "reason": failure_reason(error),
    }
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.results_key(run_id, "summary.json"),
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    return summary


# ------------------------------------------------------------------------------------------------ client


class CampaignRunnerClient:
    """Start a campaign run now or at a time, and read its summary.

    ``state_machine_arn``: the runner's workflow. For scheduled runs also ``scheduler_role_arn`` and
    ``schedule_group`` (the construct's ``scheduler_role`` and ``schedule_group_name``): a one-time EventBridge
    Scheduler schedule starts the execution at the time and deletes itself."""

    def __init__(
        self,
        state_machine_arn: str,
        *,
        scheduler_role_arn: str | None = None,
        schedule_group: str | None = None,
        sfn: Any = None,
        scheduler: Any = None,
    ) -> None:
        self.state_machine_arn = state_machine_arn
        self.scheduler_role_arn = scheduler_role_arn
        self.schedule_group = schedule_group
        self._sfn = sfn
        self._scheduler = scheduler

    def _client(self, name: str, attribute: str) -> Any:
        if getattr(self, attribute) is None:
            import boto3  # noqa: PLC0415

            setattr(self, attribute, boto3.client(name))
        return getattr(self, attribute)

    def start(self, request: Mapping[str, Any], *, at: datetime | None = None, name: str | None = None) -> dict:
        """Validate ``request`` (:class:`CampaignRequest`) and start it: ``{"executionArn"}`` now, or
        ``{"scheduleArn"}`` at ``at`` (timezone-aware, in the future)."""
        parsed = CampaignRequest.parse(request)
        run_name = (
            name or f"{parsed.context.campaign_id[:40]}-{parsed.context.treatment_id[:8]}-{uuid.uuid4().hex[:12]}"
        )
        run_name = re.sub(r"[^A-Za-z0-9_-]", "-", run_name)[:80]
        payload = json.dumps({"request": parsed.to_dict()})
        if at is None:
            response = self._client("stepfunctions", "_sfn").start_execution(
                stateMachineArn=self.state_machine_arn, name=run_name, input=payload
            )
            return {"executionArn": response["executionArn"]}
        if at.tzinfo is None:
            raise CampaignRequestError("at must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc))")
        if at <= datetime.now(UTC):
            raise CampaignRequestError("at must be in the future")
        if not self.scheduler_role_arn or not self.schedule_group:
            raise CampaignRequestError("scheduled runs need scheduler_role_arn and schedule_group")
        expression = at.astimezone(UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
        response = self._client("scheduler", "_scheduler").create_schedule(
            Name=run_name[:64],
            GroupName=self.schedule_group,
            ScheduleExpression=expression,
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": self.state_machine_arn, "RoleArn": self.scheduler_role_arn, "Input": payload},
        )
        return {"scheduleArn": response["ScheduleArn"]}

    def summary(self, execution_arn: str) -> dict[str, Any]:
        """The run's status and, when it has finished, its summary (counts per status)."""
        described = self._client("stepfunctions", "_sfn").describe_execution(executionArn=execution_arn)
        out: dict[str, Any] = {"status": described["status"], "executionArn": execution_arn}
        if described.get("output"):
            output = json.loads(described["output"])
            out["summary"] = output.get("summary", output)
        if described.get("error") or described.get("cause"):
            out["error"], out["cause"] = described.get("error"), described.get("cause")
        return out
