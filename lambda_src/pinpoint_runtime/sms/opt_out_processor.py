"""Self-managed SMS opt-outs, the keyword flow: what STOP, START, HELP and custom keywords do.

With self-managed opt-outs on, End User Messaging no longer answers HELP/STOP nor opts anyone out: every inbound
message reaches the two-way topic and :class:`OptOutProcessor` does the work the service used to do, plus what
the reference architecture's Lambda did not (whole-message keyword matching, opt-in, HELP, an audit trail,
events, no swallowed errors, no phone numbers in logs).

------------------------------------
* not a keyword: ``handled=False``, nothing done (the message passes on to the two-way handler);
* OPT_OUT / OPT_OUT_ALL: registry first, then the confirmation reply (before the list update, because the service
  refuses sends to listed numbers; a failed confirmation is logged, never blocks the opt-out), then
  ``PutOptedOutNumber``, then the EventBridge event "SMS Opt-Out" and the lake event ``_SMS.OPTOUT``;
* OPT_IN from a number that is opted out: ``DeleteOptedOutNumber`` unless this code removed it less than 30 days
  ago (the service allows one removal per number every 30 days; the call is skipped and the reason logged), the
  registry (OPTED_IN either way), the events "SMS Opt-In" / ``_SMS.OPTIN``, then the START confirmation (not
  deliverable while the number is still listed: noted in the outcome). A number whose opt-in was recorded while
  the 30-day rule kept it on the list counts as opted out here, so a later START retries the removal. An opt-in
  keyword from a number that is *not* opted out (e.g. "YES" answering a question) is not acted on:
  ``handled=False``, the message passes on to the two-way handler;
* HELP: the help reply; AUTO_RESPONSE: the rule's reply.

Keyword replies are transactional answers to the sender and bypass ``may_send`` (the processor's sender must not
have a ``may_send`` policy). Retryable failures (throttling, service errors, event delivery) raise, so the SQS
message is retried; every step is safe to repeat: the registry ignores the repeated message, the opt-out list
calls are idempotent, and a retried opt-in resumes after the list removal. Confirmations are at-least-once: a STOP
retried before its number reached the list is confirmed again (once listed, the service refuses further ones).
Events may be delivered twice; consumers dedupe on ``inbound_message_id``.

Logs carry masked numbers only (``+*********01``) and never message bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pinpoint_runtime.core.aws_clients import new_client
from pinpoint_runtime.core.environment import SettingsError
from pinpoint_runtime.core.timestamps import utc_now
from pinpoint_runtime.events.stream import EventStreamSettings, EventStreamWriter
from pinpoint_runtime.phone import mask_phone_number
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keyword_rules import KeywordAction, KeywordRule
from pinpoint_runtime.sms.keywords import KeywordEngine, KeywordSettings
from pinpoint_runtime.sms.opt_out_events import OptOutChange, event_bridge_entry, lake_record, put_event
from pinpoint_runtime.sms.opt_out_list import put_on_opt_out_list, remove_from_opt_out_list
from pinpoint_runtime.sms.opt_out_registry import (
    TARGET_STATE,
    OptOutRegistry,
    OptOutRegistrySettings,
    OptOutState,
)
from pinpoint_runtime.sms.opt_out_settings import OptOutProcessorSettings
from pinpoint_runtime.sms.sender import MessageType, RecipientOptedOut, SmsSender, SmsSendError, SmsSenderSettings

_LOGGER = logging.getLogger(__name__)


@dataclass
class KeywordOutcome:
    """What :meth:`OptOutProcessor.handle` did. ``handled=False``: the message passes on to the two-way handler."""

    handled: bool
    action: KeywordAction | None
    replied: bool
    note: str | None = None
    keyword: str | None = None
    state: OptOutState | None = None
    reply_message_id: str | None = None


class OptOutProcessor:
    """Acts on keywords of inbound messages (see the module docstring for the flow of each action).

    ``engine`` classifies bodies; ``registry`` is the :class:`OptOutRegistry`; ``sms_client`` a
    ``pinpoint-sms-voice-v2`` client for the opt-out list calls; ``sender`` the ``SmsSender`` replies go through
    (without a ``may_send`` policy); ``opt_out_list_name`` the list of the two-way identity. EventBridge events go
    to ``event_bus_name`` through ``events_client`` when both are given; lake events through ``event_writer``
    (an ``EventStreamWriter``) when given. ``clock`` returns the current UTC time.
    """

    def __init__(
        self,
        *,
        engine: KeywordEngine,
        registry: OptOutRegistry,
        sms_client: Any,
        sender: Any,
        opt_out_list_name: str,
        events_client: Any = None,
        event_bus_name: str | None = None,
        event_writer: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not opt_out_list_name:
            raise ValueError("opt_out_list_name is required")
        if getattr(sender, "may_send", None) is not None:
            raise ValueError(
                "the processor's sender must not have a may_send policy: keyword replies answer the "
                "sender and must reach opted-out numbers (the STOP confirmation)"
            )
        if (events_client is None) != (event_bus_name is None):
            raise ValueError("events_client and event_bus_name go together")
        self.engine = engine
        self.registry = registry
        self.sms_client = sms_client
        self.sender = sender
        self.opt_out_list_name = opt_out_list_name
        self.events_client = events_client
        self.event_bus_name = event_bus_name
        self.event_writer = event_writer
        self._clock = clock

    @classmethod
    def from_environment(cls, *, cached: bool = True) -> OptOutProcessor:
        """The processor configured by the environment ``SelfManagedOptOut`` sets.

        Required: ``OPT_OUT_LIST_NAME``, ``OPT_OUT_REGISTRY_TABLE``, ``KEYWORD_CONFIG``; optional:
        ``OPT_OUT_EVENT_BUS_NAME``, ``PINPOINT_EVENT_STREAM_NAME``, ``SMS_ORIGINATION_IDENTITY``,
        ``SMS_CONFIGURATION_SET``. One processor (and one set of AWS clients) per environment and process.
        """
        try:
            own = OptOutProcessorSettings.from_environment_if_set()
            registry = OptOutRegistrySettings.from_environment_if_set()
            keywords = KeywordSettings.from_environment_if_set()
            stream = EventStreamSettings.from_environment_if_set()
            sending = SmsSenderSettings.from_environment()
        except SettingsError as error:
            raise ValueError(str(error)) from None
        key = (own, registry, keywords, stream, sending)
        if cached and key in _PROCESSORS:
            return _PROCESSORS[key]
        required = (
            (OptOutProcessorSettings, own),
            (OptOutRegistrySettings, registry),
            (KeywordSettings, keywords),
        )
        missing = [name for kind, value in required if value is None for name in sorted(kind.required_variables())]
        if own is None or registry is None or keywords is None:
            raise ValueError(
                f"self-managed opt-outs need the environment variables {', '.join(missing)} "
                "(SelfManagedOptOut sets them)"
            )
        sender = SmsSender(
            origination_identity=sending.origination_identity, configuration_set_name=sending.configuration_set_name
        )
        writer = EventStreamWriter() if stream is not None else None
        processor = cls(
            engine=keywords.engine,
            registry=OptOutRegistry(registry.table_name),
            sms_client=sender.client,
            sender=sender,
            opt_out_list_name=own.opt_out_list_name,
            events_client=new_client("events") if own.event_bus_name else None,
            event_bus_name=own.event_bus_name,
            event_writer=writer,
        )
        if cached:
            _PROCESSORS[key] = processor
        return processor

    # ----------------------------------------------------------------------------------------- handle

    def handle(self, inbound: InboundSms) -> KeywordOutcome:
        """Classify the inbound message and act on it; ``handled=False`` when it is not a keyword to act on."""
        rule = self.engine.classify(inbound.message_body)
        if rule is None:
            return KeywordOutcome(handled=False, action=None, replied=False)
        if rule.action in (KeywordAction.OPT_OUT, KeywordAction.OPT_OUT_ALL):
            return self._opt_out(inbound, rule)
        if rule.action is KeywordAction.OPT_IN:
            return self._opt_in(inbound, rule)
        outcome = KeywordOutcome(handled=True, action=rule.action, replied=False, keyword=rule.keyword)
        _LOGGER.info(
            "keyword %s (%s) from %s", rule.keyword, rule.action.value, mask_phone_number(inbound.origination_number)
        )
        self._reply(inbound, rule, outcome, retry_on_failure=True)
        return outcome

    def _opt_out(self, inbound: InboundSms, rule: KeywordRule) -> KeywordOutcome:
        number = inbound.origination_number
        state = TARGET_STATE[rule.action]
        now = self._clock()
        previous = self.registry.status(number)
        repeated = previous is not None and previous.message_id == inbound.inbound_message_id
        previous_state = None if previous is None or repeated else previous.state
        outcome = KeywordOutcome(handled=True, action=rule.action, replied=False, keyword=rule.keyword, state=state)
        written = self.registry.record(
            number,
            state,
            keyword=rule.keyword,
            origination=inbound.destination_number,
            at=now,
            action=rule.action.value,
            message_id=inbound.inbound_message_id,
            on_opt_out_list=True,
        )
        _LOGGER.info(
            "opt-out %s (%s) from %s recorded%s",
            rule.keyword,
            state.value,
            mask_phone_number(number),
            "" if written else " earlier (repeated delivery)",
        )
        self._reply(inbound, rule, outcome, retry_on_failure=False)
        put_on_opt_out_list(self.sms_client, self.opt_out_list_name, number)
        self._publish(inbound, rule, state, previous_state, now, on_opt_out_list=True, replied=outcome.replied)
        return outcome

    def _opt_in(self, inbound: InboundSms, rule: KeywordRule) -> KeywordOutcome:
        number = inbound.origination_number
        masked = mask_phone_number(number)
        current = self.registry.status(number)
        repeated = current is not None and current.message_id == inbound.inbound_message_id
        subscribed = current is None or (current.state is OptOutState.OPTED_IN and not current.on_opt_out_list)
        if not repeated and subscribed:
            _LOGGER.info("opt-in keyword %s from %s, who is not opted out: passed on", rule.keyword, masked)
            return KeywordOutcome(
                handled=False,
                action=rule.action,
                replied=False,
                keyword=rule.keyword,
                note="not opted out; message passed on",
            )
        outcome = KeywordOutcome(
            handled=True, action=rule.action, replied=False, keyword=rule.keyword, state=OptOutState.OPTED_IN
        )
        now = self._clock()
        if repeated:
            assert current is not None
            on_list = bool(current.on_opt_out_list)
            previous_state = None
        else:
            assert current is not None
            previous_state = current.state
            on_list, removed_at, note = remove_from_opt_out_list(
                self.sms_client, self.opt_out_list_name, number, current, now
            )
            outcome.note = note
            self.registry.record(
                number,
                OptOutState.OPTED_IN,
                keyword=rule.keyword,
                origination=inbound.destination_number,
                at=now,
                action=rule.action.value,
                message_id=inbound.inbound_message_id,
                on_opt_out_list=on_list,
                list_removal_at=removed_at,
            )
            _LOGGER.info("opt-in %s from %s recorded (on opt-out list: %s)", rule.keyword, masked, on_list)
        self._publish(inbound, rule, OptOutState.OPTED_IN, previous_state, now, on_opt_out_list=on_list, replied=None)
        if on_list:
            outcome.note = outcome.note or "number is still on the opt-out list; confirmation not sendable"
            _LOGGER.warning("opt-in confirmation to %s not sent: the number is still on the opt-out list", masked)
        else:
            self._reply(inbound, rule, outcome, retry_on_failure=True)
        return outcome

    # ----------------------------------------------------------------------------------------- replies

    def _reply(
        self, inbound: InboundSms, rule: KeywordRule, outcome: KeywordOutcome, *, retry_on_failure: bool
    ) -> None:
        """Send the rule's reply (transactional). Opted-out recipients and non-retryable errors are noted;
        retryable errors raise when ``retry_on_failure`` (else noted: an opt-out must never wait for its reply)."""
        text = rule.reply
        if not text:
            outcome.note = "no reply configured"
            return
        masked = mask_phone_number(inbound.origination_number)
        context = {"keyword": rule.keyword.replace(" ", "_"), "inbound_message_id": inbound.inbound_message_id}
        try:
            outcome.reply_message_id = self.sender.reply(
                inbound, text, message_type=MessageType.TRANSACTIONAL, context=context
            )
        except RecipientOptedOut:
            _LOGGER.info("%s reply to %s not sent: the number is on the opt-out list", rule.keyword, masked)
            outcome.note = outcome.note or "recipient is on the opt-out list; no reply sent"
            return
        except SmsSendError as error:
            if error.retryable and retry_on_failure:
                raise
            _LOGGER.error("%s reply to %s failed: %s", rule.keyword, masked, error.code)
            outcome.note = f"reply failed: {error.code}"
            return
        outcome.replied = True

    # ----------------------------------------------------------------------------------------- events

    def _publish(
        self,
        inbound: InboundSms,
        rule: KeywordRule,
        state: OptOutState,
        previous_state: OptOutState | None,
        at: datetime,
        *,
        on_opt_out_list: bool,
        replied: bool | None,
    ) -> None:
        change = OptOutChange(
            inbound=inbound,
            rule=rule,
            state=state,
            previous_state=previous_state,
            at=at,
            opt_out_list_name=self.opt_out_list_name,
            on_opt_out_list=on_opt_out_list,
            replied=replied,
        )
        if self.events_client is not None:
            put_event(self.events_client, event_bridge_entry(change, self.event_bus_name), inbound.origination_number)
        if self.event_writer is not None:
            record = lake_record(
                change, arrival=self._clock(), account_id=getattr(self.event_writer, "account_id", None)
            )
            self.event_writer.put_delivery_events([record])


_PROCESSORS: dict[tuple[Any, ...], OptOutProcessor] = {}


__all__ = [
    "KeywordOutcome",
    "OptOutProcessor",
]
