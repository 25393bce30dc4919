"""The ``WEBHOOK`` built-in channel of ``CustomChannel``: one HTTPS POST of the Pinpoint custom-channel payload per
call, signed (``X-Pinpoint-Timestamp``, ``X-Pinpoint-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>.<body>")>``) with a secret read from Secrets Manager, with an ``Idempotency-Key`` header that is the
same on every retry of the same batch; the response policy is :mod:`.https_delivery`'s."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.channels.contract import Results
from pinpoint_runtime.campaigns.channels.https_delivery import (
    IDEMPOTENCY_HEADER,
    HttpsDeliverySettings,
    HttpsPoster,
    batch_idempotency_key,
)
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader
from pinpoint_runtime.campaigns.payloads import endpoints_of
from pinpoint_runtime.core.environment import variable
from pinpoint_runtime.core.https_client import HttpsClient, sign_body

SIGNATURE_HEADER = "X-Pinpoint-Signature"
TIMESTAMP_HEADER = "X-Pinpoint-Timestamp"


@dataclass(frozen=True, kw_only=True)
class WebhookSettings(HttpsDeliverySettings):
    """What the ``WEBHOOK`` channel function reads (``CustomChannel`` writes it)."""

    construct: ClassVar[str] = "CustomChannel"
    secret_id: str = variable("SIGNING_SECRET_ID", doc="the signing secret (ARN or name)")
    secret_json_field: str | None = variable(
        "SIGNING_SECRET_JSON_FIELD", default=None, doc="the field of a JSON secret that holds the key"
    )
    url: str = variable("WEBHOOK_URL", doc="the ``https://`` receiver")


class WebhookChannel(HttpsPoster):
    """HTTPS POST of the Pinpoint custom-channel payload, HMAC-signed (see the module docstring)."""

    def __init__(
        self,
        url: str,
        secret: SecretReader,
        *,
        retry_statuses: Iterable[int] | None = None,
        max_attempts: int = 4,
        timeout: float = 5.0,
        http_client: HttpsClient | None = None,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
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
        self.secret = secret
        self._wall_clock = wall_clock

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> WebhookChannel:
        return cls(
            settings.url,
            SecretReader(
                settings.secret_id,
                json_field=settings.secret_json_field,
                ttl_seconds=settings.secret_cache_ttl_seconds,
            ),
            retry_statuses=settings.retry_status_codes,
            max_attempts=settings.max_attempts,
            timeout=settings.request_timeout_seconds,
        )

    def deliver(self, event: Mapping[str, Any], *, deadline: float | None = None) -> Results:
        if not endpoints_of(event):
            return {}
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        key = self.secret.get().encode("utf-8")
        idempotency_key = batch_idempotency_key(event)

        def headers() -> dict[str, str]:  # signed again per attempt: a fresh timestamp
            timestamp, signed = sign_body(key, body, now=self._wall_clock())
            return {
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signed,
                IDEMPOTENCY_HEADER: idempotency_key,
            }

        return self._post(event, body, headers, deadline)


__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookChannel", "WebhookSettings"]
