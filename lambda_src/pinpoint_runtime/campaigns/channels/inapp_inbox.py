"""The ``INAPP_INBOX`` built-in channel of ``CustomChannel``: one DynamoDB item per endpoint (or per user:
``key_type``), ``pk`` = user or endpoint id, ``sk`` = ``<ScheduledTime>#<CampaignId>#<TreatmentId>``, TTL
``expires_at``; written with ``attribute_not_exists`` so a retry is a no-op reported as delivered."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.channels.contract import (
    ChannelConfigurationError,
    Results,
    all_endpoints,
    campaign_id_of,
)
from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.campaigns.payloads import FAILURE, SUCCESS, endpoints_of, user_id_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.timestamps import iso_utc

MAX_INBOX_MESSAGE_BYTES = 256 * 1024
DEFAULT_MESSAGE_TTL_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True, kw_only=True)
class InAppInboxSettings(FunctionSettings):
    """What the ``INAPP_INBOX`` channel function reads (``CustomChannel`` writes it)."""

    construct: ClassVar[str] = "CustomChannel"
    table_name: str = variable("INBOX_TABLE_NAME", doc="the inbox table")
    key_type: KeyType = variable("INBOX_KEY_TYPE", default=KeyType.USER_ID, doc="one message per user or endpoint")
    ttl_seconds: float = variable(
        "INBOX_TTL_SECONDS", default=float(DEFAULT_MESSAGE_TTL_SECONDS), doc="how long messages live"
    )


class InAppInbox:
    """Writes one inbox message per endpoint (or per user) into DynamoDB (see the module docstring).

    Item: ``pk`` (user id or endpoint id), ``sk`` (``<ScheduledTime>#<CampaignId>#<TreatmentId>``), ``endpoint_id``,
    ``campaign_id``, ``treatment_id``, ``activity_id``, ``message`` (``Data``), ``status`` (``UNREAD``),
    ``created_at`` and ``expires_at`` (epoch seconds; the table's TTL attribute). With ``key_type="USER_ID"`` a
    user with several endpoints in one campaign gets one message (the others answer delivered); an endpoint
    without ``User.UserId`` is then a failure. Without ``ScheduledTime`` the current time is used, and a retry
    may then write a second item.
    """

    def __init__(
        self,
        table_name: str,
        *,
        key_type: KeyType | str = KeyType.USER_ID,
        ttl_seconds: float = DEFAULT_MESSAGE_TTL_SECONDS,
        dynamodb_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self.key_type = KeyType(key_type)
        except ValueError:
            raise ChannelConfigurationError("key_type must be USER_ID or ENDPOINT_ID") from None
        self.table_name = table_name
        self.ttl_seconds = ttl_seconds
        self._client = dynamodb_client
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: InAppInboxSettings) -> InAppInbox:
        return cls(settings.table_name, key_type=settings.key_type, ttl_seconds=settings.ttl_seconds)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def deliver(self, event: Mapping[str, Any], *, deadline: float | None = None) -> Results:
        now = self._clock()
        scheduled = str(event.get("ScheduledTime") or "") or iso_utc(now)
        campaign = campaign_id_of(event)
        treatment = str(event.get("TreatmentId") or "0")
        data = event.get("Data")
        message = data if isinstance(data, str) else json.dumps(data)
        if len(message.encode("utf-8")) > MAX_INBOX_MESSAGE_BYTES:
            return all_endpoints(event, FAILURE, f"Data is larger than {MAX_INBOX_MESSAGE_BYTES} bytes")
        results: Results = {}
        for endpoint_id, endpoint in endpoints_of(event).items():
            pk = endpoint_id if self.key_type == KeyType.ENDPOINT_ID else user_id_of(endpoint)
            if not pk:
                results[endpoint_id] = (FAILURE, "the endpoint has no User.UserId for the inbox")
                continue
            item = {
                "pk": {"S": pk},
                "sk": {"S": f"{scheduled}#{campaign}#{treatment}"},
                "endpoint_id": {"S": endpoint_id},
                "campaign_id": {"S": campaign},
                "treatment_id": {"S": treatment},
                "activity_id": {"S": str(event.get("ActivityId") or "")},
                "message": {"S": message},
                "status": {"S": "UNREAD"},
                "created_at": {"N": str(int(now))},
                "expires_at": {"N": str(int(now + self.ttl_seconds))},
            }
            try:
                self.client.put_item(
                    TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
                )
                results[endpoint_id] = (SUCCESS, None)
            except Exception as error:
                code = error_code(error)
                if code == "ConditionalCheckFailedException":
                    results[endpoint_id] = (SUCCESS, None)  # already in the inbox: a retry or a second endpoint
                elif code:
                    results[endpoint_id] = (FAILURE, f"DynamoDB {code}")
                else:
                    raise
        return results


__all__ = ["MAX_INBOX_MESSAGE_BYTES", "InAppInbox", "InAppInboxSettings"]
