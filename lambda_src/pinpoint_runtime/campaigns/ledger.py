"""The send ledger: at most one message per campaign, treatment and endpoint (``CampaignContext.idempotency_key``).

A send is **claimed** (conditional put, status ``SENDING``) before it is attempted and **completed** with its
outcome afterwards; a claim that sent nothing (``THROTTLED``, registry unavailable) is **released** so that a retry
may send. An item that already exists is never sent again.

Ledger table (``SendLedger``): partition key ``pk`` (S) = the idempotency key, TTL attribute ``expires_at``
(epoch seconds); ``status`` (``SENDING`` or an outcome status), ``channel``, ``claimed_at``, ``completed_at``,
``message_id``, ``reason``. IAM: ``dynamodb:PutItem``, ``UpdateItem``, ``GetItem``, ``DeleteItem`` on the table.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.payloads import SEND_STATUSES
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.timestamps import iso_utc

SENDING = "SENDING"
"""Ledger status of a claimed send whose result is not recorded yet."""
DEFAULT_LEDGER_TTL_SECONDS = 30 * 24 * 3600
DEFAULT_LEDGER_TTL_DAYS = DEFAULT_LEDGER_TTL_SECONDS / 86400


@dataclass(frozen=True, kw_only=True)
class LedgerSettings(FunctionSettings):
    """What the page sender reads about its send ledger (the ``CampaignRunner`` construct writes it;
    ``ledger_retention`` becomes ``ttl_days``)."""

    construct: ClassVar[str] = "CampaignRunner"
    table_name: str = variable("CAMPAIGN_LEDGER_TABLE", doc="the send ledger's DynamoDB table")
    ttl_days: float | None = variable(
        "CAMPAIGN_LEDGER_TTL_DAYS", default=None, doc="days a ledger item is kept (unset: 30)"
    )

    def __post_init__(self) -> None:
        if self.ttl_days is not None and not (self.ttl_days > 0 and not math.isinf(self.ttl_days)):
            raise ValueError(f"CAMPAIGN_LEDGER_TTL_DAYS must be a positive number, got {self.ttl_days!r}")

    @property
    def ttl_seconds(self) -> int:
        """Seconds a ledger item is kept (at least 1)."""
        days = DEFAULT_LEDGER_TTL_DAYS if self.ttl_days is None else self.ttl_days
        return max(1, int(days * 86400))


class LedgerError(RuntimeError):
    """A ledger call failed (``code`` is the DynamoDB error code); the message names no endpoint address."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class SendLedger:
    """Idempotency ledger of campaign sends in DynamoDB (item layout in the module docstring).

    ``table_name`` defaults to the function's :class:`LedgerSettings` (``CAMPAIGN_LEDGER_TABLE``); ``client`` is a
    boto3 DynamoDB client (created on first use when omitted); items expire ``ttl_seconds`` after their claim
    (:meth:`from_settings`: the settings' ``ttl_days``). Thread-safe.
    """

    def __init__(
        self,
        table_name: str | None = None,
        *,
        client: Any = None,
        ttl_seconds: int = DEFAULT_LEDGER_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not table_name:
            settings = LedgerSettings.from_environment_if_set()
            table_name = settings.table_name if settings else None
        name = table_name
        if not name:
            raise ValueError("no send ledger table: pass table_name or set CAMPAIGN_LEDGER_TABLE")
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be positive")
        self.table_name = name
        self.ttl_seconds = int(ttl_seconds)
        self._client = client
        self._clock = clock

    client = LazyClient("dynamodb")

    @classmethod
    def from_settings(
        cls, settings: LedgerSettings, *, client: Any = None, clock: Callable[[], float] = time.time
    ) -> SendLedger:
        """The ledger of ``settings`` (its table; items kept ``settings.ttl_seconds``)."""
        return cls(settings.table_name, client=client, ttl_seconds=settings.ttl_seconds, clock=clock)

    def claim(self, key: str, *, channel: str | None = None) -> bool:
        """Record that ``key`` is being sent (status ``SENDING``); ``False`` when it was claimed before."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        now = self._clock()
        item = {
            "pk": {"S": key},
            "status": {"S": SENDING},
            "claimed_at": {"S": iso_utc(now)},
            TTL_ATTRIBUTE: {"N": str(int(now) + self.ttl_seconds)},
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


__all__ = [
    "DEFAULT_LEDGER_TTL_SECONDS",
    "SENDING",
    "InMemoryLedger",
    "LedgerError",
    "LedgerSettings",
    "SendLedger",
]
