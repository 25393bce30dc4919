"""The ``CDP_WRITEBACK`` built-in channel of ``CustomChannel``: one HTTPS POST of per-endpoint records
``{"records": [...]}`` with an auth header whose value is a Secrets Manager secret; the response policy is
:mod:`.https_delivery`'s (the webhook's)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError, Results, campaign_id_of
from pinpoint_runtime.campaigns.channels.https_delivery import (
    IDEMPOTENCY_HEADER,
    HttpsDeliverySettings,
    HttpsPoster,
    batch_idempotency_key,
)
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader
from pinpoint_runtime.campaigns.payloads import endpoints_of, user_id_of
from pinpoint_runtime.core.environment import variable
from pinpoint_runtime.core.https_client import HttpsClient


@dataclass(frozen=True, kw_only=True)
class CdpWriteBackSettings(HttpsDeliverySettings):
    """What the ``CDP_WRITEBACK`` channel function reads (``CustomChannel`` writes it)."""

    construct: ClassVar[str] = "CustomChannel"
    secret_id: str = variable("AUTH_SECRET_ID", doc="the secret holding the auth header value (ARN or name)")
    secret_json_field: str | None = variable(
        "AUTH_SECRET_JSON_FIELD", default=None, doc="the field of a JSON secret that holds the value"
    )
    url: str = variable("CDP_URL", doc="the ``https://`` endpoint records are POSTed to")
    auth_header: str = variable("AUTH_HEADER_NAME", default="Authorization", doc="the header carrying the secret")
    include_addresses: bool = variable("INCLUDE_ADDRESSES", default=False, doc="add each endpoint's Address")


class CdpWriteBack(HttpsPoster):
    """HTTPS POST of ``{"records": [...]}``, one record per endpoint, with ``auth_header: <secret value>``.

    A record: ``endpointId``, ``userId`` (or null), ``channelType``, ``applicationId``, ``campaignId``,
    ``treatmentId``, ``activityId``, ``scheduledTime``, ``eventType`` (``"_campaign.send"``), ``attributes`` (the
    endpoint's ``Attributes``, i.e. what the hooks added), ``data`` (``Data``); ``address`` only with
    ``include_addresses``.
    """

    def __init__(
        self,
        url: str,
        secret: SecretReader,
        *,
        auth_header: str = "Authorization",
        include_addresses: bool = False,
        retry_statuses: Iterable[int] | None = None,
        max_attempts: int = 4,
        timeout: float = 5.0,
        http_client: HttpsClient | None = None,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            url,
            retry_statuses=retry_statuses,
            max_attempts=max_attempts,
            timeout=timeout,
            http_client=http_client,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            sleep=sleep,
            clock=clock,
        )
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", auth_header):
            raise ChannelConfigurationError("auth_header must be an HTTP header name")
        self.secret = secret
        self.auth_header = auth_header
        self.include_addresses = include_addresses

    @classmethod
    def from_settings(cls, settings: CdpWriteBackSettings) -> CdpWriteBack:
        return cls(
            settings.url,
            SecretReader(
                settings.secret_id,
                json_field=settings.secret_json_field,
                ttl_seconds=settings.secret_cache_ttl_seconds,
            ),
            auth_header=settings.auth_header,
            include_addresses=settings.include_addresses,
            retry_statuses=settings.retry_status_codes,
            max_attempts=settings.max_attempts,
            timeout=settings.request_timeout_seconds,
        )

    def records(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = []
        for endpoint_id, endpoint in endpoints_of(event).items():
            attributes = endpoint.get("Attributes")
            record: dict[str, Any] = {
                "endpointId": endpoint_id,
                "userId": user_id_of(endpoint),
                "channelType": endpoint.get("ChannelType"),
                "applicationId": event.get("ApplicationId"),
                "campaignId": campaign_id_of(event),
                "treatmentId": str(event.get("TreatmentId") or "0"),
                "activityId": event.get("ActivityId"),
                "scheduledTime": event.get("ScheduledTime"),
                "eventType": "_campaign.send",
                "attributes": dict(attributes) if isinstance(attributes, Mapping) else {},
                "data": event.get("Data"),
            }
            if self.include_addresses:
                record["address"] = endpoint.get("Address")
            out.append(record)
        return out

    def deliver(self, event: Mapping[str, Any], *, deadline: float | None = None) -> Results:
        records = self.records(event)
        if not records:
            return {}
        body = json.dumps({"records": records}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        token = self.secret.get()
        key = batch_idempotency_key(event)

        def headers() -> dict[str, str]:
            return {"Content-Type": "application/json; charset=utf-8", self.auth_header: token, IDEMPOTENCY_HEADER: key}

        return self._post(event, body, headers, deadline)


__all__ = ["CdpWriteBack", "CdpWriteBackSettings"]
