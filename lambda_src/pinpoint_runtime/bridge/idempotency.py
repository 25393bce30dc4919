"""The bridge's idempotency records in DynamoDB: one claim per request, so AJO's retries and SQS's redeliveries
send nothing twice.

The key is the ``Idempotency-Key`` header when AJO sends one (map e.g. the journey instance id into it), else a
SHA-256 of the normalised request (journey, action, profile, number, body, type, identity, set). The first request
claims the key (``IN_PROGRESS`` with a short lock); the send or the enqueue happens only for the claimant; then the
item says ``ACCEPTED`` / ``SENT``. A repeat within the idempotency window gets the first answer again and sends
nothing. A failed attempt releases its claim, so AJO's retry can succeed; a crashed one is taken over when its
lock expires. The queue consumer claims the same item again (``SENDING``) before it sends, so a message delivered
twice by SQS is sent once.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pinpoint_runtime.bridge.errors import BridgeDependencyError
from pinpoint_runtime.core.aws_clients import LazyClient, error_code
from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE, plain_item
from pinpoint_runtime.core.environment import FunctionSettings, variable

LOCK_SECONDS = 15
"""How long an ``IN_PROGRESS`` / ``SENDING`` claim blocks others (longer than the functions' timeouts)."""
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 3600


@dataclass(frozen=True, kw_only=True)
class IdempotencyStoreSettings(FunctionSettings):
    """The idempotency table of the send function and the consumer (``AdobeSmsBridge`` writes it)."""

    construct: ClassVar[str] = "AdobeSmsBridge"
    table_name: str = variable("BRIDGE_IDEMPOTENCY_TABLE", doc="the idempotency table (partition key ``id``)")
    ttl_seconds: int = variable(
        "BRIDGE_IDEMPOTENCY_TTL_SECONDS",
        default=DEFAULT_IDEMPOTENCY_TTL_SECONDS,
        doc="how long a request is remembered (its record's TTL)",
    )


STATUS_IN_PROGRESS = "IN_PROGRESS"
STATUS_ACCEPTED = "ACCEPTED"
STATUS_SENDING = "SENDING"
STATUS_SENT = "SENT"
STATUS_OPTED_OUT = "OPTED_OUT"
STATUS_FAILED = "FAILED"
FINAL_STATUSES = frozenset({STATUS_SENT, STATUS_OPTED_OUT, STATUS_FAILED})


@dataclass(frozen=True)
class Claim:
    """What :meth:`IdempotencyStore.begin` found: ``outcome`` ``new``, ``replay``, ``in_progress`` or
    ``mismatch`` (the key belongs to another request), and the stored item (plain values) when not new."""

    outcome: str
    item: dict[str, Any] = field(default_factory=dict)


class IdempotencyStore:
    """The bridge's idempotency records in DynamoDB (partition key ``id``, TTL attribute ``expires_at``).

    Item: ``id`` (the key), ``request_id``, ``fingerprint``, ``status`` (IN_PROGRESS → ACCEPTED → SENDING →
    SENT / OPTED_OUT / FAILED, or IN_PROGRESS → SENT inline), ``lock_until`` and ``expires_at`` (epoch seconds),
    ``message_id`` and ``reason`` when known.
    """

    def __init__(
        self,
        table_name: str,
        *,
        client: Any = None,
        ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS,
        lock_seconds: int = LOCK_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not table_name:
            raise ValueError("no idempotency table: pass table_name")
        self.table_name = table_name
        self.ttl_seconds = ttl_seconds
        self.lock_seconds = lock_seconds
        self._client = client
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: IdempotencyStoreSettings, **kwargs: Any) -> IdempotencyStore:
        """The store of a function's :class:`IdempotencyStoreSettings` (``kwargs``: client, lock, clock)."""
        return cls(settings.table_name, ttl_seconds=settings.ttl_seconds, **kwargs)

    client = LazyClient("dynamodb")

    def begin(self, key: str, fingerprint: str, request_id: str) -> Claim:
        """Claim ``key`` for a new request, or report what already holds it."""
        now = int(self._clock())
        item = {
            "id": {"S": key},
            "request_id": {"S": request_id},
            "fingerprint": {"S": fingerprint},
            "status": {"S": STATUS_IN_PROGRESS},
            "lock_until": {"N": str(now + self.lock_seconds)},
            TTL_ATTRIBUTE: {"N": str(now + self.ttl_seconds)},
        }
        old = self._conditional(
            "PutItem",
            lambda: self.client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression=(
                    f"attribute_not_exists(id) OR {TTL_ATTRIBUTE} < :now OR (#s = :in_progress AND lock_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":in_progress": {"S": STATUS_IN_PROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        )
        if old is None:
            return Claim("new")
        if old.get("fingerprint") != fingerprint:
            return Claim("mismatch", old)
        if old.get("status") == STATUS_IN_PROGRESS:
            return Claim("in_progress", old)
        return Claim("replay", old)

    def complete(self, key: str, status: str, *, message_id: str | None = None) -> None:
        """The claimant's outcome: ``ACCEPTED`` (queued) or ``SENT`` (inline, with ``message_id``)."""
        self._update(key, status, message_id=message_id, reason=None)

    def release(self, key: str) -> None:
        """Give a claim up (the attempt failed before anything was sent or queued), so a retry can claim it."""
        self._conditional(
            "DeleteItem",
            lambda: self.client.delete_item(
                TableName=self.table_name,
                Key={"id": {"S": key}},
                ConditionExpression="#s = :in_progress",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":in_progress": {"S": STATUS_IN_PROGRESS}},
            ),
        )

    def claim_send(self, key: str, *, request_id: str, fingerprint: str) -> Claim:
        """The consumer's claim before sending: ``new`` (send now), ``replay`` (already final: skip) or
        ``in_progress`` (another delivery is sending: retry later). Recreates an expired record."""
        now = int(self._clock())
        old = self._conditional(
            "UpdateItem",
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key={"id": {"S": key}},
                UpdateExpression=(
                    "SET #s = :sending, lock_until = :lock, request_id = if_not_exists(request_id, :rid), "
                    f"fingerprint = if_not_exists(fingerprint, :fp), {TTL_ATTRIBUTE} = :expires_at"
                ),
                ConditionExpression=(
                    "attribute_not_exists(id) OR #s IN (:accepted, :in_progress) OR "
                    "(#s = :sending AND lock_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":sending": {"S": STATUS_SENDING},
                    ":accepted": {"S": STATUS_ACCEPTED},
                    ":in_progress": {"S": STATUS_IN_PROGRESS},
                    ":lock": {"N": str(now + self.lock_seconds)},
                    ":now": {"N": str(now)},
                    ":rid": {"S": request_id},
                    ":fp": {"S": fingerprint},
                    ":expires_at": {"N": str(now + self.ttl_seconds)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        )
        if old is None:
            return Claim("new")
        if old.get("status") in FINAL_STATUSES:
            return Claim("replay", old)
        return Claim("in_progress", old)

    def finish_send(self, key: str, status: str, *, message_id: str | None = None, reason: str | None = None) -> None:
        """The consumer's outcome: ``SENT``, ``OPTED_OUT`` or ``FAILED``."""
        self._update(key, status, message_id=message_id, reason=reason)

    def unclaim_send(self, key: str) -> None:
        """Back to ``ACCEPTED`` after a retryable failure (the queue delivers the message again)."""
        self._update(key, STATUS_ACCEPTED, message_id=None, reason=None)

    def get(self, key: str) -> dict[str, Any] | None:
        response = self._call("GetItem", lambda: self.client.get_item(
            TableName=self.table_name, Key={"id": {"S": key}}, ConsistentRead=True
        ))  # fmt: skip
        item = response.get("Item")
        return plain_item(item) if item else None

    # ---------------------------------------------------------------------------------------------- calls

    def _update(self, key: str, status: str, *, message_id: str | None, reason: str | None) -> None:
        names = {"#s": "status"}
        values: dict[str, Any] = {":status": {"S": status}}
        expression = "SET #s = :status REMOVE lock_until"
        sets = []
        if message_id:
            sets.append("message_id = :mid")
            values[":mid"] = {"S": message_id}
        if reason:
            sets.append("reason = :reason")
            values[":reason"] = {"S": reason[:256]}
        if sets:
            expression = "SET #s = :status, " + ", ".join(sets) + " REMOVE lock_until"
        self._call("UpdateItem", lambda: self.client.update_item(
            TableName=self.table_name,
            Key={"id": {"S": key}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        ))  # fmt: skip

    def _conditional(self, operation: str, call: Callable[[], Any]) -> dict[str, Any] | None:
        """Run a conditional write: ``None`` when it was applied, else the item that blocked it (or ``{}``)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            call()
        except ClientError as error:
            code = error_code(error, "Unknown")
            if code == "ConditionalCheckFailedException":
                item = error.response.get("Item")
                return plain_item(item) if item else {}
            raise BridgeDependencyError(f"idempotency table {operation} failed: {code}", code=code) from None
        return None

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return call()
        except ClientError as error:
            code = error_code(error, "Unknown")
            raise BridgeDependencyError(f"idempotency table {operation} failed: {code}", code=code) from None
        except BotoCoreError as error:
            raise BridgeDependencyError(
                f"idempotency table {operation} failed: {type(error).__name__}", code=type(error).__name__
            ) from None


def request_id_for(key: str) -> str:
    """The request id answered for an idempotency key (the same for every repeat)."""
    return str(uuid.UUID(bytes=hashlib.sha256(key.encode()).digest()[:16], version=4))


__all__ = [
    "DEFAULT_IDEMPOTENCY_TTL_SECONDS",
    "FINAL_STATUSES",
    "LOCK_SECONDS",
    "STATUS_ACCEPTED",
    "STATUS_FAILED",
    "STATUS_IN_PROGRESS",
    "STATUS_OPTED_OUT",
    "STATUS_SENDING",
    "STATUS_SENT",
    "Claim",
    "IdempotencyStore",
    "IdempotencyStoreSettings",
    "request_id_for",
]
