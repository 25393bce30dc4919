"""The ``ATTRIBUTE_LOOKUP`` built-in hook of ``CampaignHookAttributes``: one DynamoDB ``BatchGetItem`` for the
batch, keyed by endpoint id or ``User.UserId``; the item's values are added under ``Attributes`` as Pinpoint string
lists (``"gold"`` -> ``["gold"]``, ``5`` -> ``["5"]``, ``["a", "b"]`` stays a list, a map becomes its JSON).
Endpoints without an item (or without a user id, when keyed by user) pass unchanged, or are dropped with
``drop_missing``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.hooks.contract import KeyType, key_type_of, subject_id, with_attributes
from pinpoint_runtime.campaigns.payloads import endpoints_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.dynamodb_items import from_item
from pinpoint_runtime.core.environment import COMMA_LIST, FunctionSettings, variable
from pinpoint_runtime.core.retries import full_jitter_backoff


@dataclass(frozen=True, kw_only=True)
class AttributeLookupSettings(FunctionSettings):
    """What the ``ATTRIBUTE_LOOKUP`` hook function reads (``CampaignHookAttributes`` writes it)."""

    construct: ClassVar[str] = "CampaignHookAttributes"
    table_name: str = variable("LOOKUP_TABLE_NAME", doc="the lookup table")
    key_type: KeyType = variable("LOOKUP_KEY_TYPE", default=KeyType.ENDPOINT_ID, doc="what the table is keyed by")
    partition_key: str = variable("LOOKUP_PARTITION_KEY", default="id", doc="the table's partition key attribute")
    attribute_names: tuple[str, ...] = variable(
        "LOOKUP_ATTRIBUTE_NAMES", default=(), codec=COMMA_LIST, doc="only these item attributes (empty: all)"
    )
    drop_missing: bool = variable("LOOKUP_DROP_MISSING", default=False, doc="drop endpoints without an item")


def to_attribute_values(value: Any) -> list[str]:
    """A DynamoDB/JSON value as a Pinpoint attribute value (a list of strings)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return [_scalar(item) for item in items]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral_value() else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


class AttributeLookup:
    """Adds a DynamoDB item's values to each endpoint's ``Attributes`` (see the module docstring).

    ``partition_key``: the table's partition key attribute (string ids). ``attribute_names``: only these item
    attributes (default: all but the key). ``max_attempts`` bounds the retries of unprocessed keys.
    """

    def __init__(
        self,
        table_name: str,
        *,
        key_type: KeyType | str = KeyType.ENDPOINT_ID,
        partition_key: str = "id",
        attribute_names: Sequence[str] | None = None,
        drop_missing: bool = False,
        max_attempts: int = 4,
        dynamodb_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.key_type = key_type_of(key_type)
        self.partition_key = partition_key
        self.attribute_names = list(attribute_names) if attribute_names else None
        self.drop_missing = drop_missing
        self.max_attempts = max_attempts
        self._client = dynamodb_client
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: AttributeLookupSettings) -> AttributeLookup:
        return cls(
            settings.table_name,
            key_type=settings.key_type,
            partition_key=settings.partition_key,
            attribute_names=settings.attribute_names or None,
            drop_missing=settings.drop_missing,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def fetch(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        """Items by id (ids without an item are absent); unprocessed keys retried with full-jitter backoff."""
        found: dict[str, dict[str, Any]] = {}
        pending = [{self.partition_key: {"S": i}} for i in sorted(ids)]
        attempt = 0
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {"Keys": chunk, "ConsistentRead": False}
            if self.attribute_names:
                names = {f"#a{i}": n for i, n in enumerate([self.partition_key, *self.attribute_names])}
                request["ProjectionExpression"] = ", ".join(names)
                request["ExpressionAttributeNames"] = names
            response = self.client.batch_get_item(RequestItems={self.table_name: request})
            for item in response.get("Responses", {}).get(self.table_name, []):
                plain = from_item(item)
                found[str(plain.pop(self.partition_key))] = plain
            unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
            if unprocessed:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise RuntimeError(f"DynamoDB left {len(unprocessed)} keys unprocessed after {attempt} attempts")
                self._sleep(full_jitter_backoff(attempt, base=0.05, cap=1.0))
                pending = unprocessed + pending
        return found

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        endpoints = endpoints_of(event)
        ids = {i for i in (subject_id(eid, ep, self.key_type) for eid, ep in endpoints.items()) if i}
        items = self.fetch(ids) if ids else {}
        out: dict[str, dict[str, Any]] = {}
        for endpoint_id, endpoint in endpoints.items():
            key = subject_id(endpoint_id, endpoint, self.key_type)
            item = items.get(key) if key else None
            if item is None:
                if not self.drop_missing:
                    out[endpoint_id] = endpoint
                continue
            out[endpoint_id] = with_attributes(endpoint, {k: to_attribute_values(v) for k, v in item.items()})
        return out


__all__ = ["AttributeLookup", "AttributeLookupSettings", "to_attribute_values"]
