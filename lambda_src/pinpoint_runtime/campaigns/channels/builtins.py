"""The built-in custom channels of ``CustomChannel``: webhook, Amazon Connect outbound voice, in-app inbox and CDP
write-back.

Every channel takes the Pinpoint custom-channel payload (:func:`pinpoint_runtime.campaigns.payloads.
custom_channel_event`: ``Data``, the campaign ids and up to 50 ``Endpoints``) and returns per-endpoint
``(status, reason)`` results; the handlers answer them as :func:`~pinpoint_runtime.campaigns.payloads.
channel_results` so that the runner records exactly one outcome per endpoint. One endpoint's failure never aborts
the others (the reference's Connect channel stopped at the first error).

* :class:`WebhookChannel`: one HTTPS POST of the payload per call, signed (``X-Pinpoint-Timestamp``,
  ``X-Pinpoint-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``) with a secret read from
  Secrets Manager, with an ``Idempotency-Key`` header that is the same on every retry of the same batch. Response
  policy: 2xx delivered (the receiver may answer ``{"Results": ...}`` per endpoint), listed statuses and network
  errors retried with full-jitter backoff, anything else a failure of every endpoint of the call.
* :class:`ConnectVoiceChannel`: ``StartOutboundVoiceContact`` per phone endpoint with ``ClientToken`` derived
  from application/campaign/treatment/endpoint, so a retried batch never places a second call; paced at
  ``calls_per_second``; throttles retried with backoff.
* :class:`InAppInbox`: one DynamoDB item per endpoint (or per user: ``key_type``), ``pk`` = user or endpoint id,
  ``sk`` = ``<ScheduledTime>#<CampaignId>#<TreatmentId>``, TTL ``expires_at``; written with
  ``attribute_not_exists`` so a retry is a no-op reported as delivered.
* :class:`CdpWriteBack`: one HTTPS POST of per-endpoint records ``{"records": [...]}`` with an auth header whose
  value is a Secrets Manager secret; same retry policy as the webhook.

Secrets are read at run time (:class:`SecretReader`, cached for a TTL), never from environment variables, and
never logged. Addresses and message data are not logged.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
    PayloadError,
    channel_results,
    endpoints_of,
    parse_channel_response,
    user_id_of,
)
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.https_client import (
    HttpResponse,
    HttpsClient,
    StatusPolicy,
    host_of,
    require_https,
    send_with_retries,
    sign_body,
)
from pinpoint_runtime.core.process_state import EnvironmentBuiltEntryPoint
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.core.timestamps import iso_utc
from pinpoint_runtime.phone import is_e164
from pinpoint_runtime.sms.rate_limiter import PartsRateLimiter, RateLimitDeadlineExceeded

Results = dict[str, tuple[str, str | None]]

SIGNATURE_HEADER = "X-Pinpoint-Signature"
TIMESTAMP_HEADER = "X-Pinpoint-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_ENDPOINT_ID = "ENDPOINT_ID"
KEY_USER_ID = "USER_ID"
CONNECT_RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalServiceException",
        "ServiceUnavailableException",
    }
)
MAX_INBOX_MESSAGE_BYTES = 256 * 1024


class ChannelConfigurationError(ValueError):
    """The channel's settings (environment) are invalid."""


def campaign_id_of(event: Mapping[str, Any]) -> str:
    """``CampaignId`` (or ``JourneyId``, which journey custom activities were reported to send instead)."""
    return str(event.get("CampaignId") or event.get("JourneyId") or "")


def send_key(event: Mapping[str, Any], endpoint_id: str) -> str:
    return "#".join(
        [
            str(event.get("ApplicationId") or ""),
            campaign_id_of(event),
            str(event.get("TreatmentId") or "0"),
            endpoint_id,
        ]
    )


def client_token(event: Mapping[str, Any], endpoint_id: str) -> str:
    """The Connect ``ClientToken`` of one endpoint's call: the same for every retry of the same send (64 hex
    characters, within Connect's 500)."""
    return hashlib.sha256(send_key(event, endpoint_id).encode()).hexdigest()


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


def all_endpoints(event: Mapping[str, Any], status: str, reason: str | None = None) -> Results:
    return dict.fromkeys(endpoints_of(event), (status, reason))


# ----------------------------------------------------------------------------------------------- secrets
class SecretReader:
    """A Secrets Manager secret's value (``AWSCURRENT``): the whole ``SecretString`` or its JSON field
    ``json_field``; cached per process for ``ttl_seconds`` (a rotated value is picked up within the TTL)."""

    def __init__(
        self,
        secret_id: str,
        *,
        json_field: str | None = None,
        ttl_seconds: float = 300.0,
        secrets_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not secret_id:
            raise ChannelConfigurationError("a secret id is required")
        self.secret_id = secret_id
        self.json_field = json_field or None
        self.ttl_seconds = ttl_seconds
        self._client = secrets_client
        self._clock = clock
        self._cached: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self.reads = 0

    def get(self) -> str:
        with self._lock:
            now = self._clock()
            if self._cached is not None and self._cached[0] > now:
                return self._cached[1]
            client = self._client or aws_client("secretsmanager")
            value = client.get_secret_value(SecretId=self.secret_id).get("SecretString")
            self.reads += 1
            if self.json_field:
                try:
                    value = json.loads(value or "").get(self.json_field)
                except (ValueError, AttributeError):
                    value = None
            if not isinstance(value, str) or not value:
                raise ChannelConfigurationError(f"the secret {self.secret_id!r} holds no usable value")
            self._cached = (now + self.ttl_seconds, value)
            return value


# ----------------------------------------------------------------------------------------------- HTTPS channels
class _HttpsPoster:
    def __init__(
        self,
        url: str,
        *,
        retry_statuses: list[int] | None,
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
        return _results_from(outcome.response, event)


def _results_from(response: HttpResponse | None, event: Mapping[str, Any]) -> Results:
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


class WebhookChannel(_HttpsPoster):
    """HTTPS POST of the Pinpoint custom-channel payload, HMAC-signed (see the module docstring)."""

    def __init__(
        self,
        url: str,
        secret: SecretReader,
        *,
        retry_statuses: list[int] | None = None,
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


class CdpWriteBack(_HttpsPoster):
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


# ----------------------------------------------------------------------------------------------- Amazon Connect
class ConnectVoiceChannel:
    """Outbound calls through Amazon Connect ``StartOutboundVoiceContact`` (see the module docstring).

    The contact flow gets the attributes ``Message`` (the payload's ``Data``: what to say), ``CampaignId``,
    ``TreatmentId`` and ``EndpointId`` (``$.Attributes.Message`` as in the reference's outbound flow).
    """

    def __init__(
        self,
        *,
        instance_id: str,
        contact_flow_id: str,
        source_phone_number: str | None = None,
        queue_id: str | None = None,
        calls_per_second: float = 1.0,
        max_attempts: int = 4,
        connect_client: Any = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not instance_id or not contact_flow_id:
            raise ChannelConfigurationError("instance_id and contact_flow_id are required")
        if not source_phone_number and not queue_id:
            raise ChannelConfigurationError("a source phone number or a queue (whose caller id is used) is required")
        if source_phone_number and not is_e164(source_phone_number):
            raise ChannelConfigurationError("source_phone_number must be E.164")
        self.instance_id = instance_id
        self.contact_flow_id = contact_flow_id
        self.source_phone_number = source_phone_number or None
        self.queue_id = queue_id or None
        self.max_attempts = max_attempts
        self.limiter = PartsRateLimiter(calls_per_second, clock=clock, sleep=sleep)
        self._client = connect_client
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._clock = clock
        self._sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("connect")
        return self._client

    def request(self, event: Mapping[str, Any], endpoint_id: str, address: str) -> dict[str, Any]:
        data = event.get("Data")
        request: dict[str, Any] = {
            "DestinationPhoneNumber": address,
            "ContactFlowId": self.contact_flow_id,
            "InstanceId": self.instance_id,
            "ClientToken": client_token(event, endpoint_id),
            "Attributes": {
                "Message": data if isinstance(data, str) else json.dumps(data),
                "CampaignId": campaign_id_of(event),
                "TreatmentId": str(event.get("TreatmentId") or "0"),
                "EndpointId": endpoint_id,
            },
        }
        if self.source_phone_number:
            request["SourcePhoneNumber"] = self.source_phone_number
        if self.queue_id:
            request["QueueId"] = self.queue_id
        return request

    def call(self, request: dict[str, Any], deadline: float | None) -> tuple[str, str | None]:
        attempt = 0
        while True:
            attempt += 1
            try:
                self.limiter.acquire(1, deadline=deadline)
            except RateLimitDeadlineExceeded:
                return FAILURE, "not attempted: the call rate leaves no time in this invocation"
            try:
                self.client.start_outbound_voice_contact(**request)
                return SUCCESS, None
            except Exception as error:
                code = error_code(error)
                if not code:
                    raise
                if code not in CONNECT_RETRYABLE or attempt >= self.max_attempts:
                    return FAILURE, f"Connect {code}" + (f" after {attempt} attempts" if attempt > 1 else "")
                pause = full_jitter_backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)
                if deadline is not None and self._clock() + pause > deadline:
                    return FAILURE, f"Connect {code}; no time left to retry"
                self._sleep(pause)

    def deliver(self, event: Mapping[str, Any], *, deadline: float | None = None) -> Results:
        results: Results = {}
        for endpoint_id, endpoint in endpoints_of(event).items():
            address = endpoint.get("Address")
            if not is_e164(address):
                results[endpoint_id] = (FAILURE, "the endpoint has no E.164 phone number to call")
                continue
            results[endpoint_id] = self.call(self.request(event, endpoint_id, address), deadline)
        return results


# ----------------------------------------------------------------------------------------------- in-app inbox
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
        key_type: str = KEY_USER_ID,
        ttl_seconds: float = 30 * 24 * 3600,
        dynamodb_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if key_type not in (KEY_USER_ID, KEY_ENDPOINT_ID):
            raise ChannelConfigurationError("key_type must be USER_ID or ENDPOINT_ID")
        self.table_name = table_name
        self.key_type = key_type
        self.ttl_seconds = ttl_seconds
        self._client = dynamodb_client
        self._clock = clock

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
            pk = endpoint_id if self.key_type == KEY_ENDPOINT_ID else user_id_of(endpoint)
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


# ----------------------------------------------------------------------------------------------- configuration
def _env(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise ChannelConfigurationError(f"{name} is not set")
    return value


def _number(environ: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(environ.get(name) or default)
    except ValueError:
        raise ChannelConfigurationError(f"{name} must be a number") from None


def _statuses(environ: Mapping[str, str]) -> list[int] | None:
    raw = environ.get("RETRY_STATUS_CODES")
    if raw is None:
        return None
    try:
        return [int(code) for code in raw.split(",") if code.strip()]
    except ValueError:
        raise ChannelConfigurationError("RETRY_STATUS_CODES must be comma-separated status codes") from None


def _secret(environ: Mapping[str, str], prefix: str) -> SecretReader:
    return SecretReader(
        _env(environ, f"{prefix}_SECRET_ID"),
        json_field=environ.get(f"{prefix}_SECRET_JSON_FIELD") or None,
        ttl_seconds=_number(environ, "SECRET_CACHE_TTL_SECONDS", "300"),
    )


def webhook_from_environment(environ: Mapping[str, str]) -> WebhookChannel:
    """``WEBHOOK_URL``, ``SIGNING_SECRET_ID`` (+ ``SIGNING_SECRET_JSON_FIELD``), ``RETRY_STATUS_CODES``,
    ``MAX_ATTEMPTS`` (4), ``REQUEST_TIMEOUT_SECONDS`` (5), ``SECRET_CACHE_TTL_SECONDS`` (300)."""
    return WebhookChannel(
        _env(environ, "WEBHOOK_URL"),
        _secret(environ, "SIGNING"),
        retry_statuses=_statuses(environ),
        max_attempts=int(_number(environ, "MAX_ATTEMPTS", "4")),
        timeout=_number(environ, "REQUEST_TIMEOUT_SECONDS", "5"),
    )


def cdp_writeback_from_environment(environ: Mapping[str, str]) -> CdpWriteBack:
    """``CDP_URL``, ``AUTH_SECRET_ID`` (+ ``AUTH_SECRET_JSON_FIELD``), ``AUTH_HEADER_NAME`` (Authorization),
    ``INCLUDE_ADDRESSES`` (false), ``RETRY_STATUS_CODES``, ``MAX_ATTEMPTS``, ``REQUEST_TIMEOUT_SECONDS``."""
    return CdpWriteBack(
        _env(environ, "CDP_URL"),
        _secret(environ, "AUTH"),
        auth_header=environ.get("AUTH_HEADER_NAME") or "Authorization",
        include_addresses=(environ.get("INCLUDE_ADDRESSES") or "false").lower() == "true",
        retry_statuses=_statuses(environ),
        max_attempts=int(_number(environ, "MAX_ATTEMPTS", "4")),
        timeout=_number(environ, "REQUEST_TIMEOUT_SECONDS", "5"),
    )


def connect_voice_from_environment(environ: Mapping[str, str]) -> ConnectVoiceChannel:
    """``CONNECT_INSTANCE_ID``, ``CONNECT_CONTACT_FLOW_ID``, ``CONNECT_SOURCE_PHONE_NUMBER``,
    ``CONNECT_QUEUE_ID``, ``CALLS_PER_SECOND`` (1), ``MAX_ATTEMPTS`` (4)."""
    return ConnectVoiceChannel(
        instance_id=_env(environ, "CONNECT_INSTANCE_ID"),
        contact_flow_id=_env(environ, "CONNECT_CONTACT_FLOW_ID"),
        source_phone_number=environ.get("CONNECT_SOURCE_PHONE_NUMBER") or None,
        queue_id=environ.get("CONNECT_QUEUE_ID") or None,
        calls_per_second=_number(environ, "CALLS_PER_SECOND", "1"),
        max_attempts=int(_number(environ, "MAX_ATTEMPTS", "4")),
    )


def inapp_inbox_from_environment(environ: Mapping[str, str]) -> InAppInbox:
    """``INBOX_TABLE_NAME``, ``INBOX_KEY_TYPE`` (USER_ID/ENDPOINT_ID), ``INBOX_TTL_SECONDS`` (30 days)."""
    return InAppInbox(
        _env(environ, "INBOX_TABLE_NAME"),
        key_type=environ.get("INBOX_KEY_TYPE") or KEY_USER_ID,
        ttl_seconds=_number(environ, "INBOX_TTL_SECONDS", str(30 * 24 * 3600)),
    )


def deadline_of(
    context: Any,
    *,
    reserve_seconds: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> float | None:
    """A ``clock`` value ``reserve_seconds`` before the Lambda invocation times out (``None`` without a context)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return clock() + max(0.0, remaining() / 1000.0 - reserve_seconds)


def summarize(results: Results) -> dict[str, int]:
    """Counts per status, for logs (never addresses)."""
    counts: dict[str, int] = {}
    for status, _ in results.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


class ChannelEntryPoint(EnvironmentBuiltEntryPoint):
    """What a built-in custom channel's Lambda handler does: build the channel from the environment once per
    process (``current``; ``reset`` for tests that change the environment), deliver the Pinpoint custom-channel
    payload until one second before the invocation times out, answer :func:`channel_results`, and log counts per
    status only (never addresses, data or secrets) through ``logger`` (the function's Powertools Logger)."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        payload = event if isinstance(event, dict) else {}
        results = self.current().deliver(payload, deadline=deadline_of(context))
        self.logger.info(
            "Custom channel done",
            extra={"campaign_id": payload.get("CampaignId") or payload.get("JourneyId"), "results": summarize(results)},
        )
        return channel_results(results)


__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CdpWriteBack",
    "ChannelConfigurationError",
    "ChannelEntryPoint",
    "ConnectVoiceChannel",
    "InAppInbox",
    "SecretReader",
    "WebhookChannel",
    "batch_idempotency_key",
    "cdp_writeback_from_environment",
    "client_token",
    "connect_voice_from_environment",
    "deadline_of",
    "inapp_inbox_from_environment",
    "summarize",
    "webhook_from_environment",
]
