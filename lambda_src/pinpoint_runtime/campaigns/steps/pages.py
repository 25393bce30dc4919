"""Step "Send pages" of a campaign run (``campaign_batch_sender``, one Distributed Map item): a page of endpoints
through the hooks, rendering, SMS/EMAIL delivery and custom channels, for each batch of <= 50 endpoints; exactly
one outcome per endpoint, stored with the page's counts in S3."""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.campaigns.ledger import LedgerSettings
from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    FILTERED,
    MAX_ENDPOINTS_PER_CALL,
    RENDER_FAILURE,
    THROTTLED,
    UNSUPPORTED_CHANNEL,
    Channel,
    Outcome,
    PayloadError,
    campaign_send_event,
    custom_channel_event,
    hook_event,
    parse_channel_response,
    parse_hook_response,
)
from pinpoint_runtime.campaigns.request import CampaignRequest
from pinpoint_runtime.campaigns.steps.invoker import FunctionInvoker, HookFailed
from pinpoint_runtime.campaigns.steps.plan import iter_lines
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.campaigns.template_store import TemplateSettings
from pinpoint_runtime.core.aws_clients import client
from pinpoint_runtime.core.timestamps import iso_utc

CHANNEL_TIMEOUT_SECONDS = 300
"""A custom channel may run longer than a hook (a paced Connect channel takes minutes for 50 calls)."""
DEADLINE_MARGIN_SECONDS = 30
"""A page stops starting sends this long before the function's timeout (then it is retried)."""


class PageNotFinished(RuntimeError):
    """Some messages of a page were not attempted before the deadline (rate limit): Step Functions retries the
    page; the send ledger turns what the first attempt sent into DUPLICATE outcomes instead of second sends."""


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
        hooks: Iterable[str] | None = (),
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
        self.hooks = tuple(hooks or ())
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
            (custom if channel == Channel.CUSTOM else deliverable).append((endpoint_id, endpoint, rendered))

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
            return Channel.CUSTOM
        if channel_type == Channel.SMS and "SMSMessage" in message:
            return Channel.SMS
        if channel_type == Channel.EMAIL and "EmailMessage" in message:
            return Channel.EMAIL
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
            return [Outcome(i, Channel.CUSTOM, FAILURE, reason) for i, _, _ in items]
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
                results: dict[str, tuple[str, str | None]]
                try:
                    answer = self.channel_invoker.invoke(function, custom_channel_event(self.context, data, part))
                    results = parse_channel_response(answer, list(part))
                except (HookFailed, PayloadError) as error:
                    results = dict.fromkeys(part, (FAILURE, f"custom channel failed: {error}"))
                for endpoint_id, (status, detail) in results.items():
                    outcomes.append(Outcome(endpoint_id, Channel.CUSTOM, status, detail))
                    if self.ledger is not None:
                        self.ledger.complete(self.context.idempotency_key(endpoint_id), status, None, reason=detail)
        return outcomes

    def ledger_outcome(self, key: str, endpoint_id: str) -> Outcome | None:
        """Claim the send; None when this attempt may send, else the DUPLICATE/FAILURE outcome."""
        if self.ledger.claim(key, channel=Channel.CUSTOM):
            return None
        state = (self.ledger.get(key) or {}).get("status")
        if state in (None, "SENDING"):
            return Outcome(
                endpoint_id,
                Channel.CUSTOM,
                FAILURE,
                "an earlier attempt was interrupted while sending; not resent to avoid a duplicate",
            )
        return Outcome(
            endpoint_id,
            Channel.CUSTOM,
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
        endpoints = [json.loads(line) for line in iter_lines(body) if line.strip()]
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


def page_sender_from_environment(
    request: CampaignRequest, settings: RunnerSettings, lambda_context: Any = None
) -> BatchSender:
    """The page sender of one run, configured from the settings the CampaignRunner construct writes on its page
    sender (:class:`~pinpoint_runtime.campaigns.ledger.LedgerSettings`,
    :class:`~pinpoint_runtime.campaigns.delivery_settings.DeliverySettings`, :class:`TemplateSettings`, the opt-out
    registry's and the event lake's when set): hooks get Pinpoint's 15 s budget and at most 3 attempts, custom
    channels :data:`CHANNEL_TIMEOUT_SECONDS`; sends stop :data:`DEADLINE_MARGIN_SECONDS` before the function's
    deadline."""
    # imported per run, not with the handler: the delivery and template code are only needed once a page arrives
    from pinpoint_runtime.campaigns.delivery import deadline_from_lambda_context  # noqa: PLC0415
    from pinpoint_runtime.campaigns.delivery_settings import (  # noqa: PLC0415
        DeliverySettings,
        EventStreamSettings,
        OptOutRegistrySettings,
        delivery_from_settings,
    )
    from pinpoint_runtime.campaigns.templates import renderer_for_request  # noqa: PLC0415

    delivery = delivery_from_settings(
        DeliverySettings.from_environment(),
        LedgerSettings.from_environment(),
        opt_out=OptOutRegistrySettings.from_environment_if_set(),
        event_stream=EventStreamSettings.from_environment_if_set(),
    )
    templates = TemplateSettings.from_environment_if_set()
    return BatchSender(
        request,
        renderer=renderer_for_request(
            request,
            s3=client("s3"),
            bucket=templates.bucket if templates else None,
            prefix=templates.prefix if templates else None,
        ),
        delivery=delivery,
        invoker=FunctionInvoker(),
        channel_invoker=FunctionInvoker(timeout=CHANNEL_TIMEOUT_SECONDS),
        hooks=settings.hooks,
        channels=settings.channels,
        ledger=delivery.ledger,
        event_writer=delivery.event_writer,
        deadline=(
            deadline_from_lambda_context(lambda_context, margin_seconds=DEADLINE_MARGIN_SECONDS)
            if lambda_context
            else None
        ),
    )


__all__ = [
    "CHANNEL_TIMEOUT_SECONDS",
    "BatchSender",
    "PageNotFinished",
    "PageResult",
    "page_sender_from_environment",
    "page_step",
]
