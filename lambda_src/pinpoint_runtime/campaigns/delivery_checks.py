"""Campaign delivery's local checks: what can be decided about one endpoint without a side effect (the same on
every attempt, not recorded in the ledger): ``OptOut`` ``"ALL"`` -> ``OPT_OUT``; ``EndpointStatus`` ``"INACTIVE"``
-> ``FAILURE``; an address that is not an E.164 number (SMS) or an email address (EMAIL) -> ``FAILURE``; a channel
other than SMS/EMAIL -> ``UNSUPPORTED_CHANNEL``; nothing rendered -> ``FAILURE``. Reasons never quote an address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.campaigns.payloads import FAILURE, OPT_OUT, UNSUPPORTED_CHANNEL, Channel, Outcome
from pinpoint_runtime.phone import is_e164, mask_phone_number

MAX_EMAIL_ADDRESS_CHARACTERS = 320
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class DeliveryItem:
    """One ``(endpoint_id, endpoint, rendered)`` item of a batch to deliver."""

    endpoint_id: str
    endpoint: Mapping[str, Any]
    rendered: Mapping[str, Any]


def channel_of(endpoint: Mapping[str, Any]) -> str:
    channel = endpoint.get("ChannelType") if isinstance(endpoint, Mapping) else None
    return str(channel).upper() if isinstance(channel, str) and channel else "UNKNOWN"


def local_check(item: DeliveryItem, channel: str) -> Outcome | None:
    endpoint = item.endpoint
    if not isinstance(endpoint, Mapping):
        return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint is not an object")
    if str(endpoint.get("OptOut") or "NONE").upper() == "ALL":
        return Outcome(item.endpoint_id, channel, OPT_OUT, "the endpoint's OptOut is ALL")
    if str(endpoint.get("EndpointStatus") or "ACTIVE").upper() == "INACTIVE":
        return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint is INACTIVE")
    if channel not in (Channel.SMS, Channel.EMAIL):
        return Outcome(
            item.endpoint_id,
            channel,
            UNSUPPORTED_CHANNEL,
            f"channel {channel[:20]} is not delivered by SMS/email delivery",
        )
    address = endpoint.get("Address")
    if channel == Channel.SMS:
        if not is_e164(address):
            return Outcome(
                item.endpoint_id, channel, FAILURE, f"the endpoint's Address is not an E.164 number ({_mask(address)})"
            )
        if not isinstance(item.rendered.get("Body"), str) or not item.rendered["Body"].strip():
            return Outcome(item.endpoint_id, channel, FAILURE, "no rendered SMS body for this endpoint")
    else:
        if not is_email_address(address):
            return Outcome(item.endpoint_id, channel, FAILURE, "the endpoint's Address is not an email address")
        if not isinstance(item.rendered.get("Subject"), str) or not (
            item.rendered.get("HtmlBody") or item.rendered.get("TextBody")
        ):
            return Outcome(item.endpoint_id, channel, FAILURE, "no rendered email (subject and body) for this endpoint")
    return None


def _mask(address: object) -> str:
    return mask_phone_number(address) if isinstance(address, str) else "missing"


def is_email_address(value: object) -> bool:
    """Whether ``value`` looks like one email address (what delivery accepts as an EMAIL endpoint's ``Address``)."""
    return isinstance(value, str) and len(value) <= MAX_EMAIL_ADDRESS_CHARACTERS and bool(_EMAIL.fullmatch(value))


__all__ = ["MAX_EMAIL_ADDRESS_CHARACTERS", "DeliveryItem", "channel_of", "is_email_address", "local_check"]
