"""Campaign delivery (campaign engine, steps 3-4): SMS and email sends at a controlled rate, exactly one outcome per
endpoint, at most one message per campaign, treatment and endpoint, and ``_campaign.send`` events into the lake.

:meth:`CampaignDelivery.deliver` takes a batch of ``(endpoint_id, endpoint, rendered)`` items (``rendered`` is what
:class:`pinpoint_runtime.campaigns.templates.MessageRenderer` made for the endpoint's ``ChannelType``) and answers one
:class:`~pinpoint_runtime.campaigns.payloads.Outcome` per item, in order. Per endpoint:

1. **local checks** (no side effect, the same on every attempt, not recorded in the ledger): ``OptOut`` ``"ALL"``
   -> ``OPT_OUT``; ``EndpointStatus`` ``"INACTIVE"`` -> ``FAILURE``; an address that is not an E.164 number (SMS)
   or an email address (EMAIL) -> ``FAILURE``; a channel other than SMS/EMAIL -> ``UNSUPPORTED_CHANNEL`` (custom
   channels are delivered by the runner through ``CustomChannel`` functions);
2. **claim** in the :class:`SendLedger` (DynamoDB conditional put of ``CampaignContext.idempotency_key``): an item
   that already exists is never sent again. Completed earlier -> ``DUPLICATE`` (with the earlier message id and
   status); claimed but never completed (an attempt crashed or timed out mid-send, or is still running) ->
   ``FAILURE`` saying so: delivery is **at most once**, a message that may have left is not sent a second time;
3. SMS: the opt-out registry's ``may_send(number, message_type)`` when one is configured (``OPT_OUT``, fail-closed:
   a registry error sends nothing); then ``SendTextMessage`` through
   :class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender` (message parts per second per origination
   identity, throttling retried with full-jitter backoff) with the configuration set and ``Context``
   ``{campaign_id, treatment_id, endpoint_id}`` (the lake normaliser turns ``endpoint_id`` into ``client_id``).
   ``RecipientOptedOut`` -> ``OPT_OUT``; other ``SmsSendError`` -> ``FAILURE`` with the error code;
   EMAIL: SES v2 ``SendEmail`` (simple content, configuration set, ``EmailTags`` ``campaign_id``,
   ``treatment_id``, ``endpoint_id``, through ``event_records.encode_ses_tag_value`` so the lake gets them back
   exactly), paced at the configured messages per second with the same limiter,
   ``TooManyRequestsException`` / ``LimitExceededException`` retried with full-jitter backoff;
4. **THROTTLED** means "not attempted, retry the batch later": the send could not start before ``deadline`` (the
   rate would have made it wait past it) or was still throttled after every attempt. Its claim is released, so a
   retried batch sends it; every other outcome of a send attempt is written to the ledger;
5. with an :class:`~pinpoint_runtime.events.stream.EventStreamWriter`, every outcome becomes a ``_campaign.send``
   event (``campaign_payloads.campaign_send_event``) through Pinpoint's ``put_events`` shape, at most 100 events
   per call. An event that cannot be written is logged and counted (:attr:`CampaignDelivery.events_not_written`);
   it does not change the outcome (the message was or was not sent).

Addresses never appear in logs, reasons or exception messages (SMS numbers masked, email addresses omitted; SES
error messages, which can quote addresses, are reduced to their error codes).

Parts: :mod:`~pinpoint_runtime.campaigns.delivery_checks` (step 1), :mod:`~pinpoint_runtime.campaigns.ledger`
(step 2), :mod:`~pinpoint_runtime.campaigns.sms_delivery` and :mod:`~pinpoint_runtime.campaigns.email_delivery`
(step 3), :mod:`~pinpoint_runtime.campaigns.delivery_settings` (the settings and
:func:`~pinpoint_runtime.campaigns.delivery_settings.delivery_from_environment`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pinpoint_runtime.campaigns.delivery_checks import DeliveryItem, channel_of, local_check
from pinpoint_runtime.campaigns.email_delivery import EmailDelivery
from pinpoint_runtime.campaigns.ledger import SENDING, LedgerError
from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    CampaignContext,
    Channel,
    Outcome,
    campaign_send_event,
)
from pinpoint_runtime.campaigns.sms_delivery import SmsDelivery
from pinpoint_runtime.core.timestamps import iso_utc
from pinpoint_runtime.sms.rate_limiter import PartsRateLimiter, RateLimitedSmsSender

MAX_EVENTS_PER_CALL = 100
"""Pinpoint ``put_events``: at most 100 events per request."""
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_BASE_SECONDS = 0.2
DEFAULT_BACKOFF_CAP_SECONDS = 5.0

_LOGGER = logging.getLogger(__name__)


class CampaignDelivery(SmsDelivery, EmailDelivery):
    """Deliver rendered SMS and email messages (see the module docstring).

    ``ledger``: a :class:`SendLedger` (or :class:`InMemoryLedger`). ``sms_sender``: a
    :class:`~pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender` (its ``SmsSender`` carries the origination
    identity and configuration set); ``None`` makes SMS endpoints ``FAILURE`` ("SMS is not configured").
    ``opt_out_registry``: anything with ``may_send(number, message_type)`` (an
    :class:`~pinpoint_runtime.sms.opt_out.OptOutRegistry`); ``None`` skips the check. ``ses_client``: a boto3
    ``sesv2`` client; ``None`` makes email endpoints ``FAILURE``. ``email_messages_per_second`` paces SES calls
    (``email_identity_rates`` per From address overrides it). ``event_writer``: an ``EventStreamWriter`` (or
    anything with ``put_events(request)``); ``None`` writes no events. ``max_workers`` sends concurrently within a
    batch (the rate limits hold across the workers). ``clock``/``sleep`` drive pacing and backoff (monotonic
    seconds); ``wall_clock`` stamps events.
    """

    def __init__(
        self,
        *,
        ledger: Any,
        sms_sender: RateLimitedSmsSender | None = None,
        opt_out_registry: Any = None,
        ses_client: Any = None,
        email_configuration_set: str | None = None,
        default_from_address: str | None = None,
        email_messages_per_second: float = 1.0,
        email_identity_rates: Mapping[str, float] | None = None,
        event_writer: Any = None,
        max_workers: int = 1,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = DEFAULT_BACKOFF_BASE_SECONDS,
        backoff_cap: float = DEFAULT_BACKOFF_CAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.ledger = ledger
        self.sms_sender = sms_sender
        self.opt_out_registry = opt_out_registry
        self.ses_client = ses_client
        self.email_configuration_set = email_configuration_set or None
        self.default_from_address = default_from_address or None
        self.email_messages_per_second = float(email_messages_per_second)
        PartsRateLimiter(self.email_messages_per_second)  # validates the rate
        self.email_identity_rates = dict(email_identity_rates or {})
        self.event_writer = event_writer
        self.max_workers = max_workers
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._email_limiters: dict[str, PartsRateLimiter] = {}
        self._lock = threading.Lock()
        self.events_not_written = 0
        """``_campaign.send`` events that could not be written (since this object was made)."""

    # -------------------------------------------------------------------------------------------- batch

    def deliver(
        self,
        context: CampaignContext,
        items: Iterable[Sequence[Any]],
        *,
        deadline: float | None = None,
    ) -> list[Outcome]:
        """One :class:`Outcome` per ``(endpoint_id, endpoint, rendered)`` item, in order.

        ``deadline`` is a value of the delivery's clock (``time.monotonic`` by default, e.g. now plus the Lambda's
        remaining time less a margin): a send that could not start before it is ``THROTTLED`` (not attempted)."""
        batch = [
            DeliveryItem(str(endpoint_id), endpoint or {}, rendered or {}) for endpoint_id, endpoint, rendered in items
        ]

        def one(item: DeliveryItem) -> Outcome:
            try:
                return self._deliver_one(context, item, deadline)
            except Exception as error:  # noqa: BLE001 - a bug for one endpoint must not lose the batch's outcomes
                _LOGGER.error("campaign delivery: unexpected %s for one endpoint", type(error).__name__)
                return Outcome(
                    item.endpoint_id,
                    channel_of(item.endpoint),
                    FAILURE,
                    f"unexpected error in delivery ({type(error).__name__})",
                )

        if self.max_workers > 1 and len(batch) > 1:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(batch))) as executor:
                outcomes = list(executor.map(one, batch))
        else:
            outcomes = [one(item) for item in batch]
        self._write_events(context, outcomes)
        counts = Counter(outcome.status for outcome in outcomes)
        _LOGGER.info(
            "campaign delivery: campaign %s treatment %s: %s",
            context.campaign_id,
            context.treatment_id,
            dict(sorted(counts.items())),
        )
        return outcomes

    # -------------------------------------------------------------------------------------------- one endpoint

    def _deliver_one(self, context: CampaignContext, item: DeliveryItem, deadline: float | None) -> Outcome:
        channel = channel_of(item.endpoint)
        rejected = local_check(item, channel)
        if rejected is not None:
            return rejected
        if channel == Channel.SMS and self.sms_sender is None:
            return Outcome(item.endpoint_id, channel, FAILURE, "SMS is not configured for this campaign runner")
        if channel == Channel.EMAIL and self.ses_client is None:
            return Outcome(item.endpoint_id, channel, FAILURE, "email is not configured for this campaign runner")
        if channel == Channel.EMAIL and not (item.rendered.get("FromAddress") or self.default_from_address):
            return Outcome(item.endpoint_id, channel, FAILURE, "the email has no FromAddress and no default is set")

        key = context.idempotency_key(item.endpoint_id)
        try:
            claimed = self.ledger.claim(key, channel=channel)
        except LedgerError as error:
            return Outcome(item.endpoint_id, channel, FAILURE, f"not sent: {error}")
        if not claimed:
            return self._already_claimed(item, channel, key)

        if channel == Channel.SMS:
            outcome, release = self._send_sms(context, item, deadline)
        else:
            outcome, release = self._send_email(context, item, deadline)
        try:
            if release:
                self.ledger.release(key)
            else:
                self.ledger.complete(key, outcome.status, outcome.message_id, reason=outcome.reason)
        except LedgerError as error:
            _LOGGER.warning(
                "campaign delivery: could not record an outcome (%s); a retry will not resend it", error.code
            )
        return outcome

    def _already_claimed(self, item: DeliveryItem, channel: str, key: str) -> Outcome:
        try:
            previous = self.ledger.get(key)
        except LedgerError as error:
            return Outcome(item.endpoint_id, channel, FAILURE, f"already claimed; its status is unknown ({error.code})")
        status = (previous or {}).get("status")
        if status == SENDING:
            return Outcome(
                item.endpoint_id,
                channel,
                FAILURE,
                "an earlier attempt claimed this send and recorded no result (it crashed or timed out mid-send, or "
                "is still running); not resent, delivery is at most once",
            )
        if status is None:  # released or expired between our claim and this read
            return Outcome(
                item.endpoint_id, channel, FAILURE, "claimed concurrently by another attempt; not sent by this one"
            )
        message_id = (previous or {}).get("message_id") or None
        return Outcome(item.endpoint_id, channel, DUPLICATE,
                       f"already processed by an earlier attempt (status {status}); not resent", message_id,
                       earlier_status=str(status))  # fmt: skip

    # -------------------------------------------------------------------------------------------- events

    def _write_events(self, context: CampaignContext, outcomes: list[Outcome]) -> None:
        if self.event_writer is None or not outcomes:
            return
        timestamp = iso_utc(self._wall_clock())
        for start in range(0, len(outcomes), MAX_EVENTS_PER_CALL):
            chunk = outcomes[start : start + MAX_EVENTS_PER_CALL]
            batch_item: dict[str, Any] = {}
            for index, outcome in enumerate(chunk, start=start):
                entry = batch_item.setdefault(outcome.endpoint_id, {"Endpoint": {}, "Events": {}})
                entry["Events"][f"campaign-send-{index}"] = campaign_send_event(context, outcome, timestamp)
            request = {"ApplicationId": context.application_id, "EventsRequest": {"BatchItem": batch_item}}
            try:
                response = self.event_writer.put_events(request)
            except Exception as error:  # noqa: BLE001 - events never change what was sent
                self.events_not_written += len(chunk)
                _LOGGER.error(
                    "campaign delivery: %d _campaign.send event(s) not written (%s)", len(chunk), type(error).__name__
                )
                continue
            failed = _failed_events(response)
            if failed:
                self.events_not_written += failed
                _LOGGER.error("campaign delivery: %d _campaign.send event(s) refused by the event stream", failed)


def _failed_events(response: Any) -> int:
    results = ((response or {}).get("EventsResponse") or {}).get("Results") or {}
    failed = 0
    for result in results.values():
        for event in (result.get("EventsItemResponse") or {}).values():
            if event.get("StatusCode") != 202:
                failed += 1
    return failed


def deadline_from_lambda_context(
    lambda_context: Any, *, margin_seconds: float = 10.0, clock: Callable[[], float] = time.monotonic
) -> float | None:
    """A ``deadline`` for :meth:`CampaignDelivery.deliver`: the Lambda's remaining time less ``margin_seconds``."""
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return clock() + max(0.0, remaining() / 1000.0 - margin_seconds)


__all__ = ["MAX_EVENTS_PER_CALL", "CampaignDelivery", "deadline_from_lambda_context"]
