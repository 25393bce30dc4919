"""The opt-out registry of self-managed SMS opt-outs: each number's state and its append-only history.

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

:meth:`OptOutRegistry.may_send` is the send policy (see :mod:`pinpoint_runtime.sms.opt_out`): ``PROMOTIONAL``
messages only to OPTED_IN numbers, ``TRANSACTIONAL`` ones to everyone except OPTED_OUT_ALL; a number never seen is
OPTED_IN. Errors name the operation and the masked number only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import plain_item
from pinpoint_runtime.core.timestamps import iso_utc, parse_iso_utc, utc_now
from pinpoint_runtime.phone import is_e164, mask_phone_number
from pinpoint_runtime.sms.keyword_rules import KeywordAction
from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings
from pinpoint_runtime.sms.sender import MESSAGE_TYPES, MessageType

STATE_RECORD = "STATE"
HISTORY_PREFIX = "HISTORY#"
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


TARGET_STATE: dict[KeywordAction, OptOutState] = {
    KeywordAction.OPT_OUT: OptOutState.OPTED_OUT,
    KeywordAction.OPT_OUT_ALL: OptOutState.OPTED_OUT_ALL,
    KeywordAction.OPT_IN: OptOutState.OPTED_IN,
}
"""The state each opt-out/opt-in keyword action leads to."""


class OptOutError(RuntimeError):
    """An AWS call of the opt-out flow failed. ``code`` is the service error code, ``retryable`` whether trying
    the message again later may succeed. The message names the operation and the masked number only."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class RegistryConflictError(OptOutError):
    """Concurrent updates of one number kept winning over this one (after all attempts)."""


def iso_registry_time(moment: datetime) -> str:
    """Registry times keep microseconds: history records of one number sort by them."""
    return iso_utc(moment, timespec="microseconds")


def _parse_iso(text: str | None) -> datetime | None:
    return parse_iso_utc(text) if text else None


def check_number(number: object) -> str:
    """``number`` if it is E.164, else ``ValueError`` (naming the masked number only)."""
    if not isinstance(number, str) or not is_e164(number):
        shown = mask_phone_number(number) if isinstance(number, str) else type(number).__name__
        raise ValueError(f"phone number must be E.164 (+ and 2-15 digits), got {shown}")
    return number


def error_details(error: Exception) -> tuple[str, str | None, Mapping[str, Any]]:
    """(code, the SMS API's ``Reason`` when it gave one, the error response)."""
    response = getattr(error, "response", None) or {}
    reason = response.get("Reason")
    return error_code(error, type(error).__name__), reason if isinstance(reason, str) else None, response


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
            f"keyword={self.keyword!r}, updated_at={iso_registry_time(self.updated_at)!r}, version={self.version})"
        )


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
        check_number(number)
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
        check_number(number)
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

    def may_send(self, number: str, message_type: MessageType | str) -> bool:
        """Whether a message of ``message_type`` may go to ``number`` (see the module docstring's policy)."""
        if message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
        state = self.state(number)
        if message_type == MessageType.PROMOTIONAL:
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
        check_number(number)
        state = OptOutState(state)
        action = action or {v: k for k, v in TARGET_STATE.items()}[state].value
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
                "updated_at": {"S": iso_registry_time(moment)},
                "action": {"S": action},
                "version": {"N": str(version)},
            }
            optional = {"keyword": keyword, "origination": origination, "message_id": message_id}
            fields.update({name: {"S": value} for name, value in optional.items() if value})
            if removal is not None:
                fields["last_list_removal_at"] = {"S": iso_registry_time(removal)}
            if listed is not None:
                fields["on_opt_out_list"] = {"BOOL": listed}
            state_item = {**fields, "record": {"S": STATE_RECORD}}
            history_item = {
                **fields,
                "record": {"S": f"{HISTORY_PREFIX}{iso_registry_time(moment)}#{uuid.uuid4()}"},
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
            code, _, response = error_details(error)
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


__all__ = [
    "TARGET_STATE",
    "OptOutError",
    "OptOutRegistry",
    "OptOutRegistrySettings",
    "OptOutState",
    "OptOutStatus",
    "RegistryConflictError",
    "check_number",
    "error_details",
    "iso_registry_time",
]
