"""The campaign engine's contracts: Pinpoint's campaign-hook (FILTER) and custom-channel payloads, per-endpoint
outcomes, and the ``_campaign.send`` event.

Pinpoint campaigns called CampaignHook functions and custom channels with these payloads (AWS docs "Customizing
segments with AWS Lambda" and "Creating custom channels"); the campaign engine of this library
(``CampaignRunner``) calls them the same way, so partner functions written for Pinpoint keep working:

* hook (FILTER mode): ``{"MessageConfiguration", "ApplicationId", "CampaignId", "TreatmentId", "ActivityId",
  "ScheduledTime", "Endpoints": {endpoint id: endpoint}}`` with at most 50 endpoints; the function answers a map
  endpoint id -> endpoint that **replaces** the batch (hooks filter by leaving endpoints out and augment by
  changing them);
* custom channel: ``{"Message": {}, "Data": <CustomMessage.Data>, "ApplicationId", "CampaignId", "TreatmentId",
  "ActivityId", "ScheduledTime", "Endpoints": {...}}`` with at most 50 endpoints. Pinpoint ignored the return
  value; here a channel may answer per-endpoint results (:func:`parse_channel_response`), and a function that
  returns nothing (a Pinpoint-era function) means every endpoint was delivered.

Endpoints are Pinpoint endpoint JSON (``ChannelType``, ``Address``, ``Attributes``, ``User``...); none of the
fields may be assumed present (the reference's hooks crashed on endpoints without ``Attributes`` or ``User``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pinpoint_runtime.sms.message_type import MessageType  # SMSMessage.MessageType

MAX_ENDPOINTS_PER_CALL = 50
"""Pinpoint called hooks and custom channels with at most 50 endpoints."""
HOOK_TIMEOUT_SECONDS = 15
"""A hook slower than 15 s failed the delivery in Pinpoint."""
HOOK_MAX_ATTEMPTS = 3
"""Pinpoint gave up after 3 invocation attempts."""


class SendStatus(StrEnum):
    """``campaign_send_status`` values (Pinpoint's event stream uses SUCCESS; the others name why nothing was
    sent). Members are ``str``: they are written as their values everywhere."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    OPT_OUT = "OPT_OUT"
    FILTERED = "FILTERED_BY_HOOK"
    RENDER_FAILURE = "RENDER_FAILURE"
    UNSUPPORTED_CHANNEL = "UNSUPPORTED_CHANNEL"
    THROTTLED = "THROTTLED"
    DUPLICATE = "DUPLICATE"


SUCCESS = SendStatus.SUCCESS
FAILURE = SendStatus.FAILURE
OPT_OUT = SendStatus.OPT_OUT
FILTERED = SendStatus.FILTERED
RENDER_FAILURE = SendStatus.RENDER_FAILURE
UNSUPPORTED_CHANNEL = SendStatus.UNSUPPORTED_CHANNEL
THROTTLED = SendStatus.THROTTLED
DUPLICATE = SendStatus.DUPLICATE
SEND_STATUSES = tuple(SendStatus)


class Channel(StrEnum):
    """The channels a campaign message configuration has a message for (``SMSMessage``, ``EmailMessage``,
    ``CustomMessage``); an endpoint's ``ChannelType`` may name others (``PUSH``...), which are not delivered."""

    SMS = "SMS"
    EMAIL = "EMAIL"
    CUSTOM = "CUSTOM"

    @property
    def message_key(self) -> str:
        """The key of this channel's message in Pinpoint's ``MessageConfiguration``."""
        return {"SMS": "SMSMessage", "EMAIL": "EmailMessage", "CUSTOM": "CustomMessage"}[self.value]


CHANNELS = tuple(Channel)


DEFAULT_SMS_MESSAGE_TYPE = MessageType.PROMOTIONAL
"""A campaign is marketing unless it says otherwise: PROMOTIONAL, which the opt-out policy treats strictly."""


class PayloadError(ValueError):
    """A hook or channel answered something that is not the contract (the message says what)."""


@dataclass(frozen=True)
class CampaignContext:
    """What identifies one send: Pinpoint's ids and the message configuration (Pinpoint's shape:
    ``SMSMessage``, ``EmailMessage``, ``CustomMessage``)."""

    application_id: str
    campaign_id: str
    treatment_id: str = "0"
    activity_id: str = ""
    scheduled_time: str = ""
    message_configuration: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CampaignContext:
        return cls(
            application_id=str(data["application_id"]),
            campaign_id=str(data["campaign_id"]),
            treatment_id=str(data.get("treatment_id", "0")),
            activity_id=str(data.get("activity_id", "")),
            scheduled_time=str(data.get("scheduled_time", "")),
            message_configuration=dict(data.get("message_configuration") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "campaign_id": self.campaign_id,
            "treatment_id": self.treatment_id,
            "activity_id": self.activity_id,
            "scheduled_time": self.scheduled_time,
            "message_configuration": dict(self.message_configuration),
        }

    def idempotency_key(self, endpoint_id: str) -> str:
        """One send per campaign, treatment and endpoint: the key of the send ledger."""
        return f"{self.application_id}#{self.campaign_id}#{self.treatment_id}#{endpoint_id}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one endpoint in one send: exactly one per endpoint of the segment."""

    endpoint_id: str
    channel: str
    status: str
    reason: str | None = None
    message_id: str | None = None
    # DUPLICATE only: the status the earlier attempt recorded (SUCCESS: that attempt delivered the message)
    earlier_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _ids(context: CampaignContext) -> dict[str, Any]:
    return {
        "ApplicationId": context.application_id,
        "CampaignId": context.campaign_id,
        "TreatmentId": context.treatment_id,
        "ActivityId": context.activity_id,
        "ScheduledTime": context.scheduled_time,
    }


def _check_batch(endpoints: Mapping[str, Any]) -> dict[str, Any]:
    if len(endpoints) > MAX_ENDPOINTS_PER_CALL:
        raise ValueError(f"{len(endpoints)} endpoints in one call; the contract allows {MAX_ENDPOINTS_PER_CALL}")
    return {str(endpoint_id): dict(endpoint) for endpoint_id, endpoint in endpoints.items()}


def hook_event(context: CampaignContext, endpoints: Mapping[str, Any]) -> dict[str, Any]:
    """The FILTER payload for up to 50 endpoints."""
    return {
        "MessageConfiguration": dict(context.message_configuration),
        **_ids(context),
        "Endpoints": _check_batch(endpoints),
    }


def parse_hook_response(response: Any, sent: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The hook's answer as endpoint id -> endpoint. Only ids that were sent may come back (a hook filters and
    augments; it cannot add endpoints); ``None`` or a non-object answer is a :class:`PayloadError`, as Pinpoint
    failed a delivery whose hook answer it could not decode."""
    if isinstance(response, (str, bytes)):
        try:
            response = json.loads(response)
        except ValueError:
            raise PayloadError("the hook's answer is not JSON") from None
    if not isinstance(response, Mapping):
        raise PayloadError(f"the hook must answer a map of endpoint id to endpoint, not {type(response).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for endpoint_id, endpoint in response.items():
        if endpoint_id not in sent:
            raise PayloadError(f"the hook answered endpoint {endpoint_id!r}, which was not in its batch")
        if not isinstance(endpoint, Mapping):
            raise PayloadError(f"the hook's endpoint {endpoint_id!r} is not an object")
        out[str(endpoint_id)] = dict(endpoint)
    return out


def custom_channel_event(context: CampaignContext, data: str, endpoints: Mapping[str, Any]) -> dict[str, Any]:
    """The custom-channel payload for up to 50 endpoints (``Data`` is ``CustomMessage.Data``, rendered)."""
    return {"Message": {}, "Data": data, **_ids(context), "Endpoints": _check_batch(endpoints)}


def parse_channel_response(response: Any, endpoint_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Per-endpoint (status, reason) from a channel's answer.

    ``None``/``{}`` (a Pinpoint-era function, whose answer Pinpoint ignored): every endpoint SUCCESS. Otherwise
    ``{"Results": {endpoint id: {"Status": "SUCCESS" | "FAILURE", "Reason": "..."}}}``; an endpoint the answer does
    not mention is a FAILURE ("no result reported"), so nothing is counted as sent without evidence."""
    if response is None or response == {} or response == "":
        return dict.fromkeys(endpoint_ids, (SUCCESS, None))
    if isinstance(response, (str, bytes)):
        try:
            response = json.loads(response)
        except ValueError:
            raise PayloadError("the channel's answer is not JSON") from None
    results = response.get("Results") if isinstance(response, Mapping) else None
    if not isinstance(results, Mapping):
        raise PayloadError('a channel answers nothing, or {"Results": {endpoint id: {"Status", "Reason"}}}')
    out: dict[str, tuple[str, str | None]] = {}
    for endpoint_id in endpoint_ids:
        result = results.get(endpoint_id)
        if not isinstance(result, Mapping):
            out[endpoint_id] = (FAILURE, "the channel reported no result for this endpoint")
            continue
        status = str(result.get("Status", "")).upper()
        reason = result.get("Reason")
        if status == SUCCESS:
            out[endpoint_id] = (SUCCESS, None)
        else:
            out[endpoint_id] = (FAILURE, str(reason or f"the channel reported status {status or 'none'}"))
    return out


def channel_results(results: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    """What a channel function answers: ``{"Results": {id: {"Status", "Reason"?}}}`` (the inverse of
    :func:`parse_channel_response`), for the built-in channels and partner code."""
    return {
        "Results": {
            endpoint_id: ({"Status": status} if reason is None else {"Status": status, "Reason": reason})
            for endpoint_id, (status, reason) in results.items()
        }
    }


def endpoints_of(event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``event["Endpoints"]`` of a hook or channel payload, each endpoint a dict; tolerant of missing parts."""
    endpoints = event.get("Endpoints") if isinstance(event, Mapping) else None
    if not isinstance(endpoints, Mapping):
        return {}
    return {str(k): dict(v) if isinstance(v, Mapping) else {} for k, v in endpoints.items()}


def user_id_of(endpoint: Mapping[str, Any]) -> str | None:
    user = endpoint.get("User")
    user_id = user.get("UserId") if isinstance(user, Mapping) else None
    return user_id if isinstance(user_id, str) and user_id else None


def campaign_send_event(context: CampaignContext, outcome: Outcome, timestamp: str) -> dict[str, Any]:
    """The Pinpoint ``put_events`` event for one outcome: ``_campaign.send`` with ``campaign_send_status``,
    ``campaign_id``, ``treatment_id``, ``campaign_activity_id`` and ``delivery_type`` (as Pinpoint streamed)."""
    attributes = {
        "campaign_id": context.campaign_id,
        "treatment_id": context.treatment_id,
        "campaign_activity_id": context.activity_id or context.campaign_id,
        "delivery_type": outcome.channel,
        "campaign_send_status": outcome.status,
    }
    if outcome.reason:
        attributes["reason"] = outcome.reason[:200]
    if outcome.message_id:
        attributes["message_id"] = outcome.message_id[:200]
    return {"EventType": "_campaign.send", "Timestamp": timestamp, "Attributes": attributes}
