"""What the HTTPS channels (webhook, CDP write-back) share: one POST per call with an ``Idempotency-Key`` that is
the same on every retry of the same batch, and one response policy: 2xx delivered (the receiver may answer
``{"Results": ...}`` per endpoint), listed statuses and network errors retried with full-jitter backoff, anything
else a failure of every endpoint of the call."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.channels.contract import Results, all_endpoints, campaign_id_of
from pinpoint_runtime.campaigns.payloads import FAILURE, SUCCESS, PayloadError, endpoints_of, parse_channel_response
from pinpoint_runtime.core.environment import Codec, FunctionSettings, variable
from pinpoint_runtime.core.https_client import (
    HttpResponse,
    HttpsClient,
    StatusPolicy,
    host_of,
    require_https,
    send_with_retries,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _decode_statuses(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(code) for code in text.split(",") if code.strip())
    except ValueError:
        raise ValueError("must be comma-separated status codes") from None


STATUS_CODES = Codec(encode=lambda codes: ",".join(str(int(code)) for code in codes), decode=_decode_statuses)
"""``RETRY_STATUS_CODES``: ``429,503``; an empty value is no status at all (unset is the default list)."""


@dataclass(frozen=True, kw_only=True)
class HttpsDeliverySettings(FunctionSettings):
    """What the HTTPS built-in channels (``WEBHOOK``, ``CDP_WRITEBACK``) read alike: the secret cache and the retry
    policy (``CustomChannel`` writes them from ``HttpsDeliveryOptions``). Each channel adds its URL and secret."""

    construct: ClassVar[str] = "CustomChannel"
    secret_cache_ttl_seconds: float = variable(
        "SECRET_CACHE_TTL_SECONDS",
        default=300.0,
        doc="how long the secret is cached (rotations apply within it)",
    )
    retry_status_codes: tuple[int, ...] | None = variable(
        "RETRY_STATUS_CODES", default=None, codec=STATUS_CODES, empty_is_unset=False, doc="statuses retried"
    )
    max_attempts: int = variable("MAX_ATTEMPTS", default=4, doc="attempts per call")
    request_timeout_seconds: float = variable("REQUEST_TIMEOUT_SECONDS", default=5.0, doc="per attempt")


def batch_idempotency_key(event: Mapping[str, Any]) -> str:
    """The same for every retry of one call: the ids and the sorted endpoint ids."""
    ids = sorted(endpoints_of(event))
    material = json.dumps(
        [
            str(event.get("ApplicationId") or ""),
            campaign_id_of(event),
            str(event.get("TreatmentId") or "0"),
            str(event.get("ActivityId") or ""),
            str(event.get("ScheduledTime") or ""),
            ids,
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


class HttpsPoster:
    """The POST and response policy of an HTTPS channel (the base of :class:`WebhookChannel` and
    :class:`CdpWriteBack`)."""

    def __init__(
        self,
        url: str,
        *,
        retry_statuses: Iterable[int] | None,
        max_attempts: int,
        timeout: float,
        http_client: HttpsClient | None,
        backoff_base: float,
        backoff_cap: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        require_https(url)
        self.url = url
        self.policy = StatusPolicy.of(retry_statuses)
        self.max_attempts = max_attempts
        self.http = http_client or HttpsClient(timeout=timeout)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._clock = clock
        self.last_attempts = 0

    def _post(
        self, event: Mapping[str, Any], body: bytes, headers: Callable[[], dict[str, str]], deadline: float | None
    ) -> Results:
        outcome = send_with_retries(
            lambda: self.http.post(self.url, body, headers=headers()),
            policy=self.policy,
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            deadline=deadline,
            clock=self._clock,
            sleep=self._sleep,
        )
        self.last_attempts = outcome.attempts
        if outcome.outcome != SUCCESS:
            return all_endpoints(event, FAILURE, f"{host_of(self.url)}: {outcome.reason}")
        return results_from(outcome.response, event)


def results_from(response: HttpResponse | None, event: Mapping[str, Any]) -> Results:
    """A 2xx answer: per-endpoint results when the receiver sent ``{"Results": ...}``, else all delivered."""
    ids = list(endpoints_of(event))
    body = response.body if response is not None else b""
    if body.strip():
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if isinstance(answer, Mapping) and "Results" in answer:
            try:
                return parse_channel_response(answer, ids)
            except PayloadError as error:
                return dict.fromkeys(ids, (FAILURE, f"the receiver answered 2xx with invalid Results: {error}"))
    return dict.fromkeys(ids, (SUCCESS, None))


__all__ = [
    "IDEMPOTENCY_HEADER",
    "STATUS_CODES",
    "HttpsDeliverySettings",
    "HttpsPoster",
    "batch_idempotency_key",
    "results_from",
]
