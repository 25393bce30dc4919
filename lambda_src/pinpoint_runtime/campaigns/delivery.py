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

Ledger table (``SendLedger``): partition key ``pk`` (S) = the idempotency key, TTL attribute ``expires_at``
(epoch seconds); ``status`` (``SENDING`` or an outcome status), ``channel``, ``claimed_at``, ``completed_at``,
``message_id``, ``reason``. IAM: ``dynamodb:PutItem``, ``UpdateItem``, ``GetItem``, ``DeleteItem`` on the table.

Environment of :func:`delivery_from_environment` (the ``CampaignRunner`` construct sets them):

==========================================  ==============================================================
``CAMPAIGN_LEDGER_TABLE``                   ledger table name (required)
``CAMPAIGN_LEDGER_TTL_DAYS``                days a ledger item is kept (default 30)
``CAMPAIGN_SMS_MPS``                        SMS message parts per second per origination identity, **for this
                                            process** (the identity's MPS divided by the concurrent workers;
                                            default 1)
``CAMPAIGN_SMS_IDENTITY_RATES``             JSON object identity -> parts per second, overriding the rate above
``CAMPAIGN_SMS_ORIGINATION_IDENTITY``       default origination identity (phone number/pool/sender id or ARN;
                                            else ``SMS_ORIGINATION_IDENTITY``, else the account picks)
``CAMPAIGN_SMS_CONFIGURATION_SET``          SMS configuration set (else ``SMS_CONFIGURATION_SET``)
``OPT_OUT_REGISTRY_TABLE``                  self-managed opt-out registry (``SelfManagedOptOut.bind_may_send``);
                                            unset = no registry check
``CAMPAIGN_EMAIL_RATE``                     SES messages per second for this process (default 1)
``CAMPAIGN_EMAIL_CONFIGURATION_SET``        SES configuration set
``CAMPAIGN_EMAIL_FROM_ADDRESS``             From address when ``EmailMessage.FromAddress`` is not set (else
                                            ``CAMPAIGN_EMAIL_IDENTITY`` when that identity is an address)
``CAMPAIGN_DELIVERY_WORKERS``               concurrent sends within one batch (default 4)
``PINPOINT_EVENT_STREAM_NAME``              the lake's Firehose stream; unset = no ``_campaign.send`` events
``APPLICATION_ID``                          default application id of those events
==========================================  ==============================================================
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    OPT_OUT,
    SEND_STATUSES,
    SUCCESS,
    THROTTLED,
    UNSUPPORTED_CHANNEL,
    CampaignContext,
    Outcome,
    campaign_send_event,
)
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.core.timestamps import iso_utc
from pinpoint_runtime.events.records import encode_ses_tag_value
from pinpoint_runtime.phone import is_e164, mask_phone_number
from pinpoint_runtime.sms.rate_limiter import (
    THROTTLING_CODE,
    PartsRateLimiter,
    RateLimitDeadlineExceeded,
    RateLimitedSmsSender,
)
from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSender, SmsSendError

ENV_LEDGER_TABLE = "CAMPAIGN_LEDGER_TABLE"
ENV_LEDGER_TTL_DAYS = "CAMPAIGN_LEDGER_TTL_DAYS"
ENV_SMS_MPS = "CAMPAIGN_SMS_MPS"
ENV_SMS_IDENTITY_RATES = "CAMPAIGN_SMS_IDENTITY_RATES"
ENV_SMS_ORIGINATION_IDENTITY = "CAMPAIGN_SMS_ORIGINATION_IDENTITY"
ENV_SMS_CONFIGURATION_SET = "CAMPAIGN_SMS_CONFIGURATION_SET"
ENV_EMAIL_RATE = "CAMPAIGN_EMAIL_RATE"
ENV_EMAIL_CONFIGURATION_SET = "CAMPAIGN_EMAIL_CONFIGURATION_SET"
ENV_EMAIL_FROM_ADDRESS = "CAMPAIGN_EMAIL_FROM_ADDRESS"
ENV_EMAIL_IDENTITY = "CAMPAIGN_EMAIL_IDENTITY"
ENV_DELIVERY_WORKERS = "CAMPAIGN_DELIVERY_WORKERS"

SENDING = "SENDING"
"""Ledger status of a claimed send whose result is not recorded yet."""
DEFAULT_LEDGER_TTL_SECONDS = 30 * 24 * 3600
DEFAULT_DELIVERY_WORKERS = 4
MAX_EVENTS_PER_CALL = 100
"""Pinpoint ``put_events``: at most 100 events per request."""
EMAIL_THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"}
)
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF_BASE_SECONDS = 0.2
DEFAULT_BACKOFF_CAP_SECONDS = 5.0
MAX_EMAIL_ADDRESS_CHARACTERS = 320

_LOGGER = logging.getLogger(__name__)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


class LedgerError(RuntimeError):
    """A ledger call failed (``code`` is the DynamoDB error code); the message names no endpoint address."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------------ ledgers


class SendLedger:
    """Idempotency ledger of campaign sends in DynamoDB (item layout in the module docstring).

    ``table_name`` defaults to env ``CAMPAIGN_LEDGER_TABLE``; ``client`` is a boto3 DynamoDB client (created
    on first use when omitted); items expire ``ttl_seconds`` after their claim. Thread-safe.
    """

    def __init__(
        self,
        table_name: str | None = None,
        *,
        client: Any = None,
        ttl_seconds: int = DEFAULT_LEDGER_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        name = table_name or os.environ.get(ENV_LEDGER_TABLE)
        if not name:
            raise ValueError(f"no send ledger table: pass table_name or set {ENV_LEDGER_TABLE}")
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be positive")
        self.table_name = name
        self.ttl_seconds = int(ttl_seconds)
        self._client = client
        self._clock = clock

    client = LazyClient("dynamodb")

    def claim(self, key: str, *, channel: str | None = None) -> bool:
        """Record that ``key`` is being sent (status ``SENDING``); ``False`` when it was claimed before."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        now = self._clock()
        item = {
            "pk": {"S": key},
            "status": {"S": SENDING},
            "claimed_at": {"S": iso_utc(now)},
            "expires_at": {"N": str(int(now) + self.ttl_seconds)},
        }
        if channel:
            item["channel"] = {"S": channel}
        try:
            self.client.put_item(TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ConditionalCheckFailedException":
                return False
            raise LedgerError(f"send ledger: PutItem failed ({code})", code=code) from None
        return True

    def complete(self, key: str, status: str, message_id: str | None = None, *, reason: str | None = None) -> None:
        """Record the outcome of a claimed send (only a ``SENDING`` item is updated; a completed one is kept)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        if status not in SEND_STATUSES:
            raise ValueError(f"status must be one of {', '.join(SEND_STATUSES)}")
        names = {"#s": "status"}
        values: dict[str, Any] = {":s": {"S": status}, ":c": {"S": iso_utc(self._clock())}, ":sending": {"S": SENDING}}
        sets = ["#s = :s", "completed_at = :c"]
        if message_id:
            sets.append("message_id = :m")
            values[":m"] = {"S": message_id}
        if reason:
            sets.append("reason = :r")
            values[":r"] = {"S": reason[:500]}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": key}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ConditionalCheckFailedException":
                return
            raise LedgerError(f"send ledger: UpdateItem failed ({code})", code=code) from None

    def release(self, key: str) -> None:
        """Delete a claim that sent nothing (``THROTTLED``, registry unavailable), so a retry may send."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": key}},
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":sending": {"S": SENDING}},
            )
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ConditionalCheckFailedException":
                return
            raise LedgerError(f"send ledger: DeleteItem failed ({code})", code=code) from None

    def get(self, key: str) -> dict[str, Any] | None:
        """The ledger item of ``key`` as a plain dict (``status``, ``message_id``, ``reason``...), or ``None``."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            response = self.client.get_item(TableName=self.table_name, Key={"pk": {"S": key}}, ConsistentRead=True)
        except ClientError as error:
            code = error_code(error, "Unknown")
            raise LedgerError(f"send ledger: GetItem failed ({code})", code=code) from None
        item = response.get("Item")
        if not item:
            return None
        return {name: value.get("S", value.get("N")) for name, value in item.items()}


class InMemoryLedger:
    """A :class:`SendLedger` in a dict, for local runs, benchmarks and tests (one process only). Thread-safe."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, *, channel: str | None = None) -> bool:
        with self._lock:
            if key in self.items:
                return False
            self.items[key] = {"pk": key, "status": SENDING, "channel": channel}
            return True

    def complete(self, key: str, status: str, message_id: str | None = None, *, reason: str | None = None) -> None:
        if status not in SEND_STATUSES:
            raise ValueError(f"status must be one of {', '.join(SEND_STATUSES)}")
        with self._lock:
            item = self.items.get(key)
            if item is not None and item["status"] == SENDING:
                item.update({"status": status, "message_id": message_id, "reason": reason})

    def release(self, key: str) -> None:
        with self._lock:
            if self.items.get(key, {}).get("status") == SENDING:
                del self.items[key]

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            item = self.items.get(key)
            return dict(item) if item is not None else None


# ------------------------------------------------------------------------------------------------ delivery


@dataclass(frozen=True)
class _Item:
    endpoint_id: str
    endpoint: Mapping[str, Any]
    rendered: Mapping[str, Any]


class CampaignDelivery:
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
        batch = [_Item(str(endpoint_id), endpoint or {}, rendered or {}) for endpoint_id, endpoint, rendered in items]

        def one(item: _Item) -> Outcome:
            try:
                return self._deliver_one(context, item, deadline)
            except Exception as error:  # noqa: BLE001 - a bug for one endpoint must not lose the batch's outcomes
                _LOGGER.error("campaign delivery: unexpected %s for one endpoint", type(error).__name__)
                return Outcome(
                    item.endpoint_id,
                    _channel_of(item.endpoint),
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

    def _deliver_one(self, context: CampaignContext, item: _Item, deadline: float | None) -> Outcome:
        channel = _channel_of(item.endpoint)
        rejected = _local_check(item, channel)
        if rejected is not None:
            return rejected
        if channel == "SMS" and self.sms_sender is None:
            return Outcome(item.endpoint_id, channel, FAILURE, "SMS is not configured for this campaign runner")
        if channel == "EMAIL" and self.ses_client is None:
            return Outcome(item.endpoint_id, channel, FAILURE, "email is not configured for this campaign runner")
        if channel == "EMAIL" and not (item.rendered.get("FromAddress") or self.default_from_address):
            return Outcome(item.endpoint_id, channel, FAILURE, "the email has no FromAddress and no default is set")

        key = context.idempotency_key(item.endpoint_id)
        try:
            claimed = self.ledger.claim(key, channel=channel)
        except LedgerError as error:
            return Outcome(item.endpoint_id, channel, FAILURE, f"not sent: {error}")
        if not claimed:
            return self._already_claimed(item, channel, key)

        if channel == "SMS":
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

    def _already_claimed(self, item: _Item, channel: str, key: str) -> Outcome:
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

    # -------------------------------------------------------------------------------------------- SMS

    def _send_sms(self, context: CampaignContext, item: _Item, deadline: float | None) -> tuple[Outcome, bool]:
        """(outcome, release the claim?)"""
        endpoint_id = item.endpoint_id
        number = item.endpoint["Address"]
        rendered = item.rendered
        message_type = str(rendered.get("MessageType") or "PROMOTIONAL")
        if self.opt_out_registry is not None:
            try:
                allowed = self.opt_out_registry.may_send(number, message_type)
            except Exception as error:  # noqa: BLE001 - fail closed on any registry failure
                code = getattr(error, "code", type(error).__name__)
                return Outcome(
                    endpoint_id,
                    "SMS",
                    FAILURE,
                    f"opt-out registry unavailable ({code}); not sent, a retry of the batch may send it",
                ), True
            if not allowed:
                return Outcome(endpoint_id, "SMS", OPT_OUT, f"opted out in the registry ({message_type})"), False
        identity = rendered.get("OriginationNumber") or rendered.get("SenderId") or None
        extra = {"keyword": rendered["Keyword"]} if rendered.get("Keyword") else {}
        try:
            result = self.sms_sender.send_text(  # type: ignore[union-attr]
                number,
                rendered.get("Body", ""),
                message_type=message_type,
                context=_sms_context(context, endpoint_id),
                origination_identity=identity,
                deadline=deadline,
                **extra,
            )
        except RecipientOptedOut as error:
            return Outcome(endpoint_id, "SMS", OPT_OUT, f"recipient opted out ({error.source})"), False
        except RateLimitDeadlineExceeded as error:
            return Outcome(endpoint_id, "SMS", THROTTLED, f"not attempted: {error}"), True
        except SmsSendError as error:
            if error.code == THROTTLING_CODE:
                return Outcome(
                    endpoint_id, "SMS", THROTTLED, "not sent: still throttled (ThrottlingException) after every attempt"
                ), True
            label = f"{error.code} ({error.reason})" if error.reason else error.code
            return Outcome(endpoint_id, "SMS", FAILURE, f"SendTextMessage failed: {label}"), False
        except ValueError as error:  # the sender's local validation; its messages mask the number
            return Outcome(endpoint_id, "SMS", FAILURE, f"not sent: {error}"), False
        return Outcome(endpoint_id, "SMS", SUCCESS, None, result.message_id), False

    # -------------------------------------------------------------------------------------------- email

    def email_limiter(self, from_address: str) -> PartsRateLimiter:
        """The pacing limiter of one From address (``email_identity_rates`` or the common rate)."""
        with self._lock:
            limiter = self._email_limiters.get(from_address)
            if limiter is None:
                rate = self.email_identity_rates.get(from_address, self.email_messages_per_second)
                limiter = self._email_limiters[from_address] = PartsRateLimiter(
                    rate, clock=self._clock, sleep=self._sleep
                )
            return limiter

    def _send_email(self, context: CampaignContext, item: _Item, deadline: float | None) -> tuple[Outcome, bool]:
        from botocore import exceptions as botocore_errors  # noqa: PLC0415

        endpoint_id = item.endpoint_id
        rendered = item.rendered
        from_address = str(rendered.get("FromAddress") or self.default_from_address)
        request: dict[str, Any] = {
            "FromEmailAddress": from_address,
            "Destination": {"ToAddresses": [item.endpoint["Address"]]},
            "Content": {"Simple": _simple_content(rendered)},
            "EmailTags": [
                {"Name": "campaign_id", "Value": encode_ses_tag_value(context.campaign_id)},
                {"Name": "treatment_id", "Value": encode_ses_tag_value(context.treatment_id)},
                {"Name": "endpoint_id", "Value": encode_ses_tag_value(endpoint_id)},
            ],
        }
        if self.email_configuration_set:
            request["ConfigurationSetName"] = self.email_configuration_set
        limiter = self.email_limiter(from_address)
        attempt = 0
        while True:
            attempt += 1
            try:
                limiter.acquire(1, deadline=deadline)
            except RateLimitDeadlineExceeded as error:
                return Outcome(endpoint_id, "EMAIL", THROTTLED, f"not attempted: {error}"), True
            try:
                response = self.ses_client.send_email(**request)
            except botocore_errors.ClientError as error:
                code = error_code(error, "Unknown")
                if code in EMAIL_THROTTLING_CODES:
                    if attempt >= self.max_attempts:
                        return Outcome(
                            endpoint_id, "EMAIL", THROTTLED, f"not sent: still throttled ({code}) after every attempt"
                        ), True
                    pause = full_jitter_backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)
                    if deadline is not None and self._clock() + pause > deadline:
                        return Outcome(
                            endpoint_id, "EMAIL", THROTTLED, f"not sent: throttled ({code}) and no time left to retry"
                        ), True
                    self._sleep(pause)
                    continue
                return Outcome(endpoint_id, "EMAIL", FAILURE, f"SendEmail failed: {code}"), False
            except (botocore_errors.ConnectionError, botocore_errors.HTTPClientError) as error:
                # the request may have reached SES: at most once, so this is a failure, not a retry
                return Outcome(
                    endpoint_id,
                    "EMAIL",
                    FAILURE,
                    f"SendEmail failed: {type(error).__name__} (may or may not have been sent)",
                ), False
            except botocore_errors.BotoCoreError as error:
                return Outcome(endpoint_id, "EMAIL", FAILURE, f"SendEmail failed: {type(error).__name__}"), False
            return Outcome(endpoint_id, "EMAIL", SUCCESS, None, response.get("MessageId")), False

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


# ------------------------------------------------------------------------------------------------ helpers


def _channel_of(endpoint: Mapping[str, Any]) -> str:
    channel = endpoint.get("ChannelType") if isinstance(endpoint, Mapping) else None
    return str(channel).upper() if isinstance(channel, str) and channel else "UNKNOWN"


def _local_check(item: _Item, channel: str) -> Outcome | None:
    endpoint = item.endpoint
    if not isinstance(endpoint, Mapping):
        return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint is not an object")
    if str(endpoint.get("OptOut") or "NONE").upper() == "ALL":
        return Outcome(item.endpoint_id, channel, OPT_OUT, "the endpoint's OptOut is ALL")
    if str(endpoint.get("EndpointStatus") or "ACTIVE").upper() == "INACTIVE":
        return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint is INACTIVE")
    if channel not in ("SMS", "EMAIL"):
        return Outcome(
            item.endpoint_id,
            channel,
            UNSUPPORTED_CHANNEL,
            f"channel {channel[:20]} is not delivered by SMS/email delivery",
        )
    address = endpoint.get("Address")
    if channel == "SMS":
        if not is_e164(address):
            return Outcome(
                item.endpoint_id, channel, FAILURE, f"the endpoint's Address is not an E.164 number ({_mask(address)})"
            )
        if not isinstance(item.rendered.get("Body"), str) or not item.rendered["Body"].strip():
            return Outcome(item.endpoint_id, channel, FAILURE, "no rendered SMS body for this endpoint")
    else:
        if not isinstance(address, str) or len(address) > MAX_EMAIL_ADDRESS_CHARACTERS or not _EMAIL.fullmatch(address):
            return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint's Address is not an email address")
        if not isinstance(item.rendered.get("Subject"), str) or not (
            item.rendered.get("HtmlBody") or item.rendered.get("TextBody")
        ):
            return Outcome(item.endpoint_id, channel, FAILURE, "no rendered email (subject and body) for this endpoint")
    return None


def _mask(address: object) -> str:
    return mask_phone_number(address) if isinstance(address, str) else "missing"


def _sms_context(context: CampaignContext, endpoint_id: str) -> dict[str, str]:
    """SendTextMessage ``Context`` (values 1-800 characters, no surrounding whitespace)."""
    values = {"campaign_id": context.campaign_id, "treatment_id": context.treatment_id, "endpoint_id": endpoint_id}
    out = {}
    for key, value in values.items():
        value = str(value).strip()[:800].strip()
        if value:
            out[key] = value
    return out


def _simple_content(rendered: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if rendered.get("HtmlBody"):
        body["Html"] = {"Data": rendered["HtmlBody"], "Charset": "UTF-8"}
    if rendered.get("TextBody"):
        body["Text"] = {"Data": rendered["TextBody"], "Charset": "UTF-8"}
    return {"Subject": {"Data": rendered["Subject"], "Charset": "UTF-8"}, "Body": body}


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


# ------------------------------------------------------------------------------------------------ factory


def delivery_from_environment(
    *,
    dynamodb_client: Any = None,
    sms_client: Any = None,
    ses_client: Any = None,
    event_writer: Any = None,
    environ: Mapping[str, str] | None = None,
) -> CampaignDelivery:
    """A :class:`CampaignDelivery` configured from the environment variables of the module docstring.

    Clients default to boto3 clients created here (``sesv2``, ``pinpoint-sms-voice-v2``, ``dynamodb``); SMS and
    email are always configured (a campaign without one simply has no such endpoints). Raises ``ValueError`` naming
    the variable when a value is malformed."""
    env = os.environ if environ is None else environ
    table = env.get(ENV_LEDGER_TABLE)
    if not table:
        raise ValueError(f"{ENV_LEDGER_TABLE} is required (the send ledger's table name)")
    ttl_days = _number(env, ENV_LEDGER_TTL_DAYS, DEFAULT_LEDGER_TTL_SECONDS / 86400)
    if dynamodb_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        dynamodb_client = client("dynamodb")
    ledger = SendLedger(table, client=dynamodb_client, ttl_seconds=max(1, int(ttl_days * 86400)))

    if sms_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        sms_client = client("pinpoint-sms-voice-v2")
    sms_rate = _number(env, ENV_SMS_MPS, 1.0)
    identity_rates = _json_rates(env, ENV_SMS_IDENTITY_RATES)
    sender = SmsSender(
        origination_identity=env.get(ENV_SMS_ORIGINATION_IDENTITY) or env.get("SMS_ORIGINATION_IDENTITY") or None,
        configuration_set_name=env.get(ENV_SMS_CONFIGURATION_SET) or env.get("SMS_CONFIGURATION_SET") or None,
        client=sms_client,
    )
    sms = RateLimitedSmsSender(sender, parts_per_second=sms_rate, identity_rates=identity_rates)

    registry = None
    if env.get("OPT_OUT_REGISTRY_TABLE"):
        from pinpoint_runtime.sms.opt_out import OptOutRegistry  # noqa: PLC0415

        registry = OptOutRegistry(env["OPT_OUT_REGISTRY_TABLE"], client=dynamodb_client)

    if ses_client is None:
        from pinpoint_runtime.core.aws_clients import client  # noqa: PLC0415

        ses_client = client("sesv2")
    if event_writer is None and env.get("PINPOINT_EVENT_STREAM_NAME"):
        from pinpoint_runtime.events.stream import EventStreamWriter  # noqa: PLC0415

        event_writer = EventStreamWriter(env["PINPOINT_EVENT_STREAM_NAME"], application_id=env.get("APPLICATION_ID"))
    workers = int(_number(env, ENV_DELIVERY_WORKERS, DEFAULT_DELIVERY_WORKERS))
    return CampaignDelivery(
        ledger=ledger,
        sms_sender=sms,
        opt_out_registry=registry,
        ses_client=ses_client,
        email_configuration_set=env.get(ENV_EMAIL_CONFIGURATION_SET) or None,
        default_from_address=env.get(ENV_EMAIL_FROM_ADDRESS) or _address_identity(env.get(ENV_EMAIL_IDENTITY)),
        email_messages_per_second=_number(env, ENV_EMAIL_RATE, 1.0),
        event_writer=event_writer,
        max_workers=max(1, workers),
    )


def _address_identity(identity: str | None) -> str | None:
    """An SES identity usable as a From address (an email address identity; a domain is not one)."""
    return identity if identity and _EMAIL.fullmatch(identity) else None


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive number, got {raw[:40]!r}")
    return value


def _json_rates(env: Mapping[str, str], name: str) -> dict[str, float]:
    raw = env.get(name)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError(f"{name} must be a JSON object of identity -> parts per second") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be a JSON object of identity -> parts per second")
    rates: dict[str, float] = {}
    for identity, rate in data.items():
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0 or math.isinf(rate):
            raise ValueError(f"{name}[{identity!r}] must be a positive number")
        rates[str(identity)] = float(rate)
    return rates


__all__ = [
    "DEFAULT_DELIVERY_WORKERS",
    "ENV_DELIVERY_WORKERS",
    "ENV_EMAIL_CONFIGURATION_SET",
    "ENV_EMAIL_FROM_ADDRESS",
    "ENV_EMAIL_IDENTITY",
    "ENV_EMAIL_RATE",
    "ENV_LEDGER_TABLE",
    "ENV_LEDGER_TTL_DAYS",
    "ENV_SMS_CONFIGURATION_SET",
    "ENV_SMS_IDENTITY_RATES",
    "ENV_SMS_MPS",
    "ENV_SMS_ORIGINATION_IDENTITY",
    "SENDING",
    "CampaignDelivery",
    "InMemoryLedger",
    "LedgerError",
    "SendLedger",
    "deadline_from_lambda_context",
    "delivery_from_environment",
]
