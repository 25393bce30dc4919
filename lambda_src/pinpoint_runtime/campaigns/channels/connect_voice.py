"""The ``CONNECT_VOICE`` built-in channel of ``CustomChannel``: Amazon Connect ``StartOutboundVoiceContact`` per
phone endpoint with a ``ClientToken`` derived from application/campaign/treatment/endpoint, so a retried batch never
places a second call; paced at ``calls_per_second``; throttles retried with backoff."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError, Results, campaign_id_of
from pinpoint_runtime.campaigns.payloads import FAILURE, SUCCESS, endpoints_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.environment import Codec, FunctionSettings, variable
from pinpoint_runtime.core.retries import full_jitter_backoff
from pinpoint_runtime.phone import is_e164
from pinpoint_runtime.sms.rate_limiter import PartsRateLimiter, RateLimitDeadlineExceeded

CONNECT_RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalServiceException",
        "ServiceUnavailableException",
    }
)

CALL_RATE = Codec(encode=lambda rate: repr(float(rate)), decode=float)
"""``CALLS_PER_SECOND`` as ``1.0`` / ``0.5`` (what the construct always wrote)."""


@dataclass(frozen=True, kw_only=True)
class ConnectVoiceSettings(FunctionSettings):
    """What the ``CONNECT_VOICE`` channel function reads (``CustomChannel`` writes it)."""

    construct: ClassVar[str] = "CustomChannel"
    instance_id: str = variable("CONNECT_INSTANCE_ID", doc="the Amazon Connect instance id")
    contact_flow_id: str = variable("CONNECT_CONTACT_FLOW_ID", doc="the outbound contact flow")
    calls_per_second: float = variable(
        "CALLS_PER_SECOND", default=1.0, codec=CALL_RATE, doc="pacing per function instance"
    )
    max_attempts: int = variable("MAX_ATTEMPTS", default=4, doc="attempts per throttled call")
    source_phone_number: str | None = variable("CONNECT_SOURCE_PHONE_NUMBER", default=None, doc="E.164 caller id")
    queue_id: str | None = variable("CONNECT_QUEUE_ID", default=None, doc="the queue whose caller id is used")


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

    @classmethod
    def from_settings(cls, settings: ConnectVoiceSettings) -> ConnectVoiceChannel:
        return cls(
            instance_id=settings.instance_id,
            contact_flow_id=settings.contact_flow_id,
            source_phone_number=settings.source_phone_number,
            queue_id=settings.queue_id,
            calls_per_second=settings.calls_per_second,
            max_attempts=settings.max_attempts,
        )

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
            if not isinstance(address, str) or not is_e164(address):
                results[endpoint_id] = (FAILURE, "the endpoint has no E.164 phone number to call")
                continue
            results[endpoint_id] = self.call(self.request(event, endpoint_id, address), deadline)
        return results


__all__ = ["CONNECT_RETRYABLE", "ConnectVoiceChannel", "ConnectVoiceSettings", "client_token", "send_key"]
