"""Self-managed SMS opt-outs: the opt-out registry, the ``may_send`` policy and the keyword processor.

With self-managed opt-outs on, End User Messaging no longer answers HELP/STOP nor opts anyone out: every inbound
message reaches the two-way topic and :class:`OptOutProcessor` does the work the service used to do, plus what
the reference architecture's Lambda did not (whole-message keyword matching, opt-in, HELP, an audit trail,
events, no swallowed errors, no phone numbers in logs).

Registry (:class:`OptOutRegistry`)
----------------------------------
DynamoDB table, partition key ``phone_number`` (S, E.164), sort key ``record`` (S):

* ``"STATE"``: the current state: ``state`` (OPTED_IN / OPTED_OUT / OPTED_OUT_ALL), ``keyword``, ``updated_at``
  (ISO 8601 UTC), ``origination`` (the number or identity the keyword was sent to), ``last_list_removal_at``
  (when this code last removed the number from the opt-out list; drives the 30-day rule), ``on_opt_out_list``,
  ``action``, ``message_id`` (the inbound message that caused it) and ``version`` (optimistic locking);
* ``"HISTORY#<updated_at>#<uuid>"``: one item per change with the same fields plus ``previous_state``; written
  with ``attribute_not_exists`` and never updated or deleted (the audit history).

Both items are written in one ``TransactWriteItems`` whose STATE put is conditioned on the version read, so two
concurrent updates of one number cannot lose a history entry or overwrite each other's state: the loser re-reads
and tries again. A repeated delivery of the same inbound message (same ``message_id`` and state) writes nothing.

Policy (:func:`may_send`)
-------------------------
``PROMOTIONAL`` messages may go only to OPTED_IN numbers; ``TRANSACTIONAL`` ones to everyone except OPTED_OUT_ALL.
A number never seen is OPTED_IN. STOP puts the number on the two-way identity's opt-out list, so the service
itself refuses *every* send from identities that use that list; the transactional allowance matters for
identities with other lists (e.g. a one-time-password sender). STOPALL is checked by every send path that consults
``may_send``.

Processor (:class:`OptOutProcessor`)
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

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import plain_item
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.timestamps import iso_utc, parse_iso_utc, utc_now
from pinpoint_runtime.events.records import EVENT_VERSION
from pinpoint_runtime.phone import is_e164, mask_phone_number
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keywords import KeywordAction, KeywordEngine, KeywordRule

ENV_OPT_OUT_LIST_NAME = "OPT_OUT_LIST_NAME"
ENV_EVENT_BUS_NAME = "OPT_OUT_EVENT_BUS_NAME"
ENV_KEYWORD_CONFIG = "KEYWORD_CONFIG"
ENV_EVENT_STREAM_NAME = "PINPOINT_EVENT_STREAM_NAME"

STATE_RECORD = "STATE"
HISTORY_PREFIX = "HISTORY#"
EVENT_SOURCE = "pinpoint-constructs.sms"
DETAIL_TYPE_OPT_OUT = "SMS Opt-Out"
DETAIL_TYPE_OPT_IN = "SMS Opt-In"
LAKE_EVENT_OPT_OUT = "_SMS.OPTOUT"
LAKE_EVENT_OPT_IN = "_SMS.OPTIN"
LIST_REMOVAL_INTERVAL = timedelta(days=30)
"""The service removes a number from an opt-out list at most once every 30 days."""
MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServerException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalServerError",
    }
)

_LOGGER = logging.getLogger(__name__)


class OptOutState(StrEnum):
    """Where a number stands in the registry."""

    OPTED_IN = "OPTED_IN"
    OPTED_OUT = "OPTED_OUT"
    OPTED_OUT_ALL = "OPTED_OUT_ALL"


_TARGET_STATE = {
    KeywordAction.OPT_OUT: OptOutState.OPTED_OUT,
    KeywordAction.OPT_OUT_ALL: OptOutState.OPTED_OUT_ALL,
    KeywordAction.OPT_IN: OptOutState.OPTED_IN,
}


class OptOutError(RuntimeError):
    """An AWS call of the opt-out flow failed. ``code`` is the service error code, ``retryable`` whether trying
    the message again later may succeed. The message names the operation and the masked number only."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class RegistryConflictError(OptOutError):
    """Concurrent updates of one number kept winning over this one (after all attempts)."""


def _iso(moment: datetime) -> str:
    """Registry times keep microseconds: history records of one number sort by them."""
    return iso_utc(moment, timespec="microseconds")


def _parse_iso(text: str | None) -> datetime | None:
    return parse_iso_utc(text) if text else None


def _check_number(number: object) -> str:
    if not is_e164(number):
        shown = mask_phone_number(number) if isinstance(number, str) else type(number).__name__
        raise ValueError(f"phone number must be E.164 (+ and 2-15 digits), got {shown}")
    return number


def _error_details(error: Exception) -> tuple[str, str | None, Mapping[str, Any]]:
    """(code, the SMS API's ``Reason`` when it gave one, the error response)."""
    response = getattr(error, "response", None) or {}
    reason = response.get("Reason")
    return error_code(error, type(error).__name__), reason if isinstance(reason, str) else None, response


# --------------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class OptOutStatus:
    """The registry's STATE item of one number."""

    phone_number: str
    state: OptOutState
    keyword: str | None
    updated_at: datetime
    origination: str | None
    action: str | None
    message_id: str | None
    on_opt_out_list: bool | None
    last_list_removal_at: datetime | None
    version: int

    def __repr__(self) -> str:  # no clear-text number in debug output
        return (
            f"OptOutStatus(phone_number={mask_phone_number(self.phone_number)!r}, state={self.state.value}, "
            f"keyword={self.keyword!r}, updated_at={_iso(self.updated_at)!r}, version={self.version})"
        )


@dataclass(frozen=True, kw_only=True)
class OptOutRegistrySettings(FunctionSettings):
    """What a send path that checks opt-outs reads (``SelfManagedOptOut.bind_may_send`` writes it)."""

    construct: ClassVar[str] = "SelfManagedOptOut"
    table_name: str = variable("OPT_OUT_REGISTRY_TABLE", doc="the opt-out registry's DynamoDB table")


class OptOutRegistry:
    """The opt-out registry table (see the module docstring for the item layout).

    ``table_name`` defaults to the function's :class:`OptOutRegistrySettings` (``OPT_OUT_REGISTRY_TABLE``); ``client``
    is a boto3 DynamoDB client (created on
    first use when omitted). ``max_attempts`` bounds the optimistic-locking retries of :meth:`record`.
    """

    def __init__(self, table_name: str | None = None, *, client: Any = None, max_attempts: int = 5) -> None:
        if not table_name:
            settings = OptOutRegistrySettings.from_environment_if_set()
            table_name = settings.table_name if settings else None
        name = table_name
        if not name:
            raise ValueError(
                "no opt-out registry table: pass table_name or set OPT_OUT_REGISTRY_TABLE (SelfManagedOptOut sets it; "
                "SelfManagedOptOut.bind_may_send wires other functions)"
            )
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.table_name = name
        self.max_attempts = max_attempts
        self._client = client

    client = LazyClient("dynamodb")

    # ----------------------------------------------------------------------------------------- reads

    def status(self, number: str) -> OptOutStatus | None:
        """The number's STATE item (strongly consistent read), or ``None`` if the number was never recorded."""
        _check_number(number)
        response = self._call(
            "GetItem",
            number,
            lambda: self.client.get_item(
                TableName=self.table_name,
                Key={"phone_number": {"S": number}, "record": {"S": STATE_RECORD}},
                ConsistentRead=True,
            ),
        )
        item = response.get("Item")
        return _status_from_item(item) if item else None

    def state(self, number: str) -> OptOutState:
        """The number's current state; OPTED_IN when it was never recorded."""
        status = self.status(number)
        return status.state if status is not None else OptOutState.OPTED_IN

    def history(self, number: str) -> list[dict[str, Any]]:
        """Every recorded change of the number, oldest first (plain dicts: state, previous_state, keyword, action,
        updated_at, origination, message_id, on_opt_out_list, last_list_removal_at, version)."""
        _check_number(number)
        entries: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "phone_number = :n AND begins_with(#r, :h)",
            "ExpressionAttributeNames": {"#r": "record"},
            "ExpressionAttributeValues": {":n": {"S": number}, ":h": {"S": HISTORY_PREFIX}},
            "ConsistentRead": True,
        }
        while True:
            response = self._call("Query", number, lambda: self.client.query(**request))
            entries.extend(plain_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return entries
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def may_send(self, number: str, message_type: str) -> bool:
        """Whether a message of ``message_type`` may go to ``number`` (see the module docstring's policy)."""
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
        state = self.state(number)
        if message_type == "PROMOTIONAL":
            return state is OptOutState.OPTED_IN
        return state is not OptOutState.OPTED_OUT_ALL

    # ----------------------------------------------------------------------------------------- writes

    def record(
        self,
        number: str,
        state: OptOutState | str,
        *,
        keyword: str | None,
        origination: str | None,
        at: datetime | None = None,
        action: str | None = None,
        message_id: str | None = None,
        on_opt_out_list: bool | None = None,
        list_removal_at: datetime | None = None,
    ) -> bool:
        """Set the number's state and append a history entry, atomically; ``True`` if written.

        ``at`` defaults to now (UTC). ``action`` defaults to the state's keyword action (OPT_OUT, OPT_OUT_ALL,
        OPT_IN); pass e.g. ``"IMPORT"`` when seeding the registry from an existing opt-out list.
        ``on_opt_out_list`` and ``list_removal_at`` (set when the number was just removed from the opt-out list)
        default to the previous values. Returns ``False`` without writing when ``message_id`` is the message that
        already set this state (a repeated delivery). Raises :class:`RegistryConflictError` when concurrent
        writers win ``max_attempts`` times in a row.
        """
        _check_number(number)
        state = OptOutState(state)
        action = action or {v: k for k, v in _TARGET_STATE.items()}[state].value
        for _attempt in range(self.max_attempts):
            moment = at or utc_now()  # per attempt: a retried write lands after the write it lost to
            current = self.status(number)
            repeated = message_id is not None and current is not None and current.message_id == message_id
            if repeated and current.state is state:  # type: ignore[union-attr]
                return False
            version = (current.version if current else 0) + 1
            removal = list_removal_at or (current.last_list_removal_at if current else None)
            listed = on_opt_out_list if on_opt_out_list is not None else (current.on_opt_out_list if current else None)
            fields: dict[str, Any] = {
                "phone_number": {"S": number},
                "state": {"S": state.value},
                "updated_at": {"S": _iso(moment)},
                "action": {"S": action},
                "version": {"N": str(version)},
            }
            optional = {"keyword": keyword, "origination": origination, "message_id": message_id}
            fields.update({name: {"S": value} for name, value in optional.items() if value})
            if removal is not None:
                fields["last_list_removal_at"] = {"S": _iso(removal)}
            if listed is not None:
                fields["on_opt_out_list"] = {"BOOL": listed}
            state_item = {**fields, "record": {"S": STATE_RECORD}}
            history_item = {
                **fields,
                "record": {"S": f"{HISTORY_PREFIX}{_iso(moment)}#{uuid.uuid4()}"},
                "previous_state": {"S": current.state.value if current else "NONE"},
            }
            state_put: dict[str, Any] = {"TableName": self.table_name, "Item": state_item}
            if current is None:
                state_put["ConditionExpression"] = "attribute_not_exists(phone_number)"
            else:
                state_put["ConditionExpression"] = "version = :v"
                state_put["ExpressionAttributeValues"] = {":v": {"N": str(current.version)}}
            history_put = {
                "TableName": self.table_name,
                "Item": history_item,
                "ConditionExpression": "attribute_not_exists(phone_number)",
            }
            if self._transact(number, [{"Put": state_put}, {"Put": history_put}]):
                return True
            _LOGGER.info("opt-out registry: concurrent update of %s, retrying", mask_phone_number(number))
        raise RegistryConflictError(
            f"opt-out registry: {mask_phone_number(number)} was updated concurrently {self.max_attempts} times",
            code="ConditionalCheckFailed",
            retryable=True,
        )

    def _transact(self, number: str, items: list[dict[str, Any]]) -> bool:
        """One TransactWriteItems; False when a condition failed (lost the race), raises on anything else."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            code, _, response = _error_details(error)
            if code == "TransactionCanceledException":
                reasons = [reason.get("Code") for reason in response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                    return False
                if not reasons or {"ThrottlingError", "ProvisionedThroughputExceeded"} & set(reasons):
                    raise OptOutError(
                        f"opt-out registry: TransactWriteItems for {mask_phone_number(number)} was cancelled "
                        f"({', '.join(str(r) for r in reasons) or 'no reason'})",
                        code=code,
                        retryable=True,
                    ) from None
            raise OptOutError(
                f"opt-out registry: TransactWriteItems for {mask_phone_number(number)} failed: {code}",
                code=code,
                retryable=code in RETRYABLE_ERROR_CODES or code == "TransactionCanceledException",
            ) from None
        return True

    def _call(self, operation: str, number: str, call: Callable[[], Any]) -> Any:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            return call()
        except ClientError as error:
            code = error_code(error, type(error).__name__)
            raise OptOutError(
                f"opt-out registry: {operation} for {mask_phone_number(number)} failed: {code}",
                code=code,
                retryable=code in RETRYABLE_ERROR_CODES,
            ) from None


def _status_from_item(item: Mapping[str, Mapping[str, Any]]) -> OptOutStatus:
    data = plain_item(item)
    return OptOutStatus(
        phone_number=data["phone_number"],
        state=OptOutState(data["state"]),
        keyword=data.get("keyword"),
        updated_at=_parse_iso(data.get("updated_at")) or datetime.fromtimestamp(0, UTC),
        origination=data.get("origination"),
        action=data.get("action"),
        message_id=data.get("message_id"),
        on_opt_out_list=data.get("on_opt_out_list"),
        last_list_removal_at=_parse_iso(data.get("last_list_removal_at")),
        version=int(data.get("version", 0)),
    )


_default_registry: OptOutRegistry | None = None


def default_registry() -> OptOutRegistry:
    """The process's registry, configured from ``OPT_OUT_REGISTRY_TABLE`` on first use."""
    global _default_registry  # noqa: PLW0603 (one registry per Lambda process, made on first use)
    if _default_registry is None:
        _default_registry = OptOutRegistry()
    return _default_registry


def may_send(number: str, message_type: str) -> bool:
    """:meth:`OptOutRegistry.may_send` on :func:`default_registry` (what send paths pass to ``SmsSender``).

    Fails closed: a missing table name raises ``ValueError`` and registry errors raise :class:`OptOutError`.
    """
    return default_registry().may_send(number, message_type)


# --------------------------------------------------------------------------------------------- processor


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
        names = (
            ENV_OPT_OUT_LIST_NAME,
            "OPT_OUT_REGISTRY_TABLE",
            ENV_KEYWORD_CONFIG,
            ENV_EVENT_BUS_NAME,
            ENV_EVENT_STREAM_NAME,
            "SMS_ORIGINATION_IDENTITY",
            "SMS_CONFIGURATION_SET",
        )
        key = tuple(os.environ.get(name) for name in names)
        if cached and key in _PROCESSORS:
            return _PROCESSORS[key]
        missing = [name for name in names[:3] if not os.environ.get(name)]
        if missing:
            raise ValueError(
                f"self-managed opt-outs need the environment variables {', '.join(missing)} "
                "(SelfManagedOptOut sets them)"
            )
        import boto3  # noqa: PLC0415

        from pinpoint_runtime.sms.sender import SmsSender  # noqa: PLC0415

        sender = SmsSender()
        bus = os.environ.get(ENV_EVENT_BUS_NAME) or None
        writer = None
        if os.environ.get(ENV_EVENT_STREAM_NAME):
            from pinpoint_runtime.events.stream import EventStreamWriter  # noqa: PLC0415

            writer = EventStreamWriter()
        processor = cls(
            engine=KeywordEngine.from_environment(ENV_KEYWORD_CONFIG),
            registry=OptOutRegistry(),
            sms_client=sender.client,
            sender=sender,
            opt_out_list_name=os.environ[ENV_OPT_OUT_LIST_NAME],
            events_client=boto3.client("events") if bus else None,
            event_bus_name=bus,
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
        state = _TARGET_STATE[rule.action]
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
        self._put_opted_out(number)
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
            on_list, removed_at, note = self._remove_from_list(number, current, now)
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

    # ----------------------------------------------------------------------------------------- opt-out list

    def _remove_from_list(
        self, number: str, current: OptOutStatus, now: datetime
    ) -> tuple[bool, datetime | None, str | None]:
        """DeleteOptedOutNumber under the 30-day rule: (still on the list, removal time, note)."""
        masked = mask_phone_number(number)
        last = current.last_list_removal_at
        if last is not None and now - last < LIST_REMOVAL_INTERVAL:
            allowed = _iso(last + LIST_REMOVAL_INTERVAL)
            _LOGGER.warning(
                "opt-in from %s recorded, but the number stays on opt-out list %s: it was removed from it at %s and "
                "the service allows one removal per number every 30 days (next possible at %s)",
                masked,
                self.opt_out_list_name,
                _iso(last),
                allowed,
            )
            return True, None, f"removed from the opt-out list less than 30 days ago; removal possible after {allowed}"
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.sms_client.delete_opted_out_number(OptOutListName=self.opt_out_list_name, OptedOutNumber=number)
        except ClientError as error:
            code, reason, response = _error_details(error)
            resource_type = response.get("ResourceType")
            if code == "ResourceNotFoundException" and resource_type != "opt-out-list":
                _LOGGER.info("opt-in from %s: the number was not on opt-out list %s", masked, self.opt_out_list_name)
                return False, None, None
            if code == "ConflictException" or (
                code == "ValidationException" and reason == "PHONE_NUMBER_CANNOT_BE_OPTED_IN"
            ):
                label = f"{code} ({reason})" if reason else code
                _LOGGER.warning(
                    "opt-in from %s recorded, but DeleteOptedOutNumber was refused (%s): the service allows one "
                    "removal per number every 30 days; the number stays on opt-out list %s",
                    masked,
                    label,
                    self.opt_out_list_name,
                )
                return True, None, f"the service refused the removal from the opt-out list ({label})"
            raise OptOutError(
                f"DeleteOptedOutNumber for {masked} on list {self.opt_out_list_name} failed: {code}",
                code=code,
                retryable=code in RETRYABLE_ERROR_CODES,
            ) from None
        return False, now, None

    def _put_opted_out(self, number: str) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.sms_client.put_opted_out_number(OptOutListName=self.opt_out_list_name, OptedOutNumber=number)
        except ClientError as error:
            code = error_code(error, type(error).__name__)
            raise OptOutError(
                f"PutOptedOutNumber for {mask_phone_number(number)} on list {self.opt_out_list_name} failed: {code}",
                code=code,
                retryable=code in RETRYABLE_ERROR_CODES,
            ) from None

    # ----------------------------------------------------------------------------------------- replies

    def _reply(
        self, inbound: InboundSms, rule: KeywordRule, outcome: KeywordOutcome, *, retry_on_failure: bool
    ) -> None:
        """Send the rule's reply (transactional). Opted-out recipients and non-retryable errors are noted;
        retryable errors raise when ``retry_on_failure`` (else noted: an opt-out must never wait for its reply)."""
        from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError  # noqa: PLC0415

        text = rule.reply
        if not text:
            outcome.note = "no reply configured"
            return
        masked = mask_phone_number(inbound.origination_number)
        context = {"keyword": rule.keyword.replace(" ", "_"), "inbound_message_id": inbound.inbound_message_id}
        try:
            outcome.reply_message_id = self.sender.reply(inbound, text, message_type="TRANSACTIONAL", context=context)
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
        opt_in = state is OptOutState.OPTED_IN
        if self.events_client is not None:
            detail = {
                "phone_number": inbound.origination_number,
                "state": state.value,
                "previous_state": previous_state.value if previous_state else None,
                "keyword": rule.keyword,
                "action": rule.action.value,
                "origination_number": inbound.destination_number,
                "inbound_message_id": inbound.inbound_message_id,
                "opt_out_list_name": self.opt_out_list_name,
                "on_opt_out_list": on_opt_out_list,
                "occurred_at": _iso(at),
            }
            if replied is not None:
                detail["confirmation_sent"] = replied
            entry = {
                "Source": EVENT_SOURCE,
                "DetailType": DETAIL_TYPE_OPT_IN if opt_in else DETAIL_TYPE_OPT_OUT,
                "Detail": json.dumps(detail, separators=(",", ":")),
                "EventBusName": self.event_bus_name,
                "Time": at,
            }
            self._put_event(entry, inbound)
        if self.event_writer is not None:
            at_ms = int(at.timestamp() * 1000)
            record = {
                "event_type": LAKE_EVENT_OPT_IN if opt_in else LAKE_EVENT_OPT_OUT,
                "event_timestamp": at_ms,
                "arrival_timestamp": int(self._clock().timestamp() * 1000),
                "event_version": EVENT_VERSION,
                "application": {"sdk": {}},
                "client": {},
                "device": {"platform": {}},
                "session": {},
                "attributes": {
                    "origination_phone_number": inbound.destination_number,
                    "destination_phone_number": inbound.origination_number,
                    "record_status": state.value,
                    "keyword": rule.keyword,
                    "message_id": inbound.inbound_message_id,
                    "opt_out_list_name": self.opt_out_list_name,
                    "on_opt_out_list": "true" if on_opt_out_list else "false",
                },
                "metrics": {},
            }
            if getattr(self.event_writer, "account_id", None):
                record["awsAccountId"] = self.event_writer.account_id
            self.event_writer.put_delivery_events([record])

    def _put_event(self, entry: dict[str, Any], inbound: InboundSms) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        masked = mask_phone_number(inbound.origination_number)
        try:
            response = self.events_client.put_events(Entries=[entry])
        except ClientError as error:
            code = error_code(error, type(error).__name__)
            raise OptOutError(
                f"PutEvents ({entry['DetailType']}) for {masked} failed: {code}", code=code, retryable=True
            ) from None
        if response.get("FailedEntryCount"):
            failed = response.get("Entries", [{}])[0].get("ErrorCode") or "Unknown"
            raise OptOutError(
                f"PutEvents ({entry['DetailType']}) for {masked} failed: {failed}", code=failed, retryable=True
            )


_PROCESSORS: dict[tuple[str | None, ...], OptOutProcessor] = {}


__all__ = [
    "DETAIL_TYPE_OPT_IN",
    "DETAIL_TYPE_OPT_OUT",
    "EVENT_SOURCE",
    "KeywordOutcome",
    "OptOutError",
    "OptOutProcessor",
    "OptOutRegistry",
    "OptOutState",
    "OptOutStatus",
    "RegistryConflictError",
    "default_registry",
    "may_send",
]
