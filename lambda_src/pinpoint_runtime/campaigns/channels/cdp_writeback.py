"""The ``CDP_WRITEBACK`` built-in channel of ``CustomChannel``: one HTTPS POST of per-endpoint records
``{"records": [...]}`` with an auth header whose value is a Secrets Manager secret; the response policy is
:mod:`.https_delivery`'s (the webhook's)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.campaigns.channels.contract import (
    ChannelConfigurationError,
    Results,
    campaign_id_of,
    number,
    required,
)
from pinpoint_runtime.campaigns.channels.https_delivery import (
    IDEMPOTENCY_HEADER,
    HttpsPoster,
    batch_idempotency_key,
    retry_statuses,
    secret_from_environment,
)
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader
from pinpoint_runtime.campaigns.payloads import endpoints_of, user_id_of
from pinpoint_runtime.core.https_client import HttpsClient


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
        retry_statuses: list[int] | None = None,
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


def cdp_writeback_from_environment(environ: Mapping[str, str]) -> CdpWriteBack:
    """``CDP_URL``, ``AUTH_SECRET_ID`` (+ ``AUTH_SECRET_JSON_FIELD``), ``AUTH_HEADER_NAME`` (Authorization),
    ``INCLUDE_ADDRESSES`` (false), ``RETRY_STATUS_CODES``, ``MAX_ATTEMPTS``, ``REQUEST_TIMEOUT_SECONDS``."""
    return CdpWriteBack(
        required(environ, "CDP_URL"),
        secret_from_environment(environ, "AUTH"),
        auth_header=environ.get("AUTH_HEADER_NAME") or "Authorization",
        include_addresses=(environ.get("INCLUDE_ADDRESSES") or "false").lower() == "true",
        retry_statuses=retry_statuses(environ),
        max_attempts=int(number(environ, "MAX_ATTEMPTS", "4")),
        timeout=number(environ, "REQUEST_TIMEOUT_SECONDS", "5"),
    )


__all__ = ["CdpWriteBack", "cdp_writeback_from_environment"]
