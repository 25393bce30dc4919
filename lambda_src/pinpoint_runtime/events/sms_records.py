"""End User Messaging SMS v2 event records (source ``sms``) -> Pinpoint ``_SMS.*`` records."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from pinpoint_runtime.events.record_values import (
    ENDPOINT_ID_KEY,
    RecordContext,
    envelope,
    finite_number,
    first_name,
    to_str,
)

_MILLICENTS_PER_USD = Decimal(100_000)

_SMS_STATUS_EVENT_TYPES: dict[str, str] = {
    **dict.fromkeys(("SUCCESSFUL", "DELIVERED"), "_SMS.SUCCESS"),
    **dict.fromkeys(("QUEUED", "PENDING", "SENT"), "_SMS.BUFFERED"),
    **dict.fromkeys(
        (
            "BLOCKED",
            "INVALID",
            "INVALID_MESSAGE",
            "UNREACHABLE",
            "CARRIER_UNREACHABLE",
            "CARRIER_BLOCKED",
            "SPAM",
            "UNKNOWN",
            "TTL_EXPIRED",
            "PROTECT_BLOCKED",
        ),
        "_SMS.FAILURE",
    ),
}
"""End User Messaging ``TEXT_*`` / ``MEDIA_*`` suffixes -> Pinpoint SMS event types."""

_SMS_CHANNEL_PREFIXES: tuple[tuple[str, str | None], ...] = (("TEXT_", None), ("MEDIA_", "MMS"))

_SMS_ATTRIBUTE_FIELDS: tuple[tuple[str, str], ...] = (
    ("origination_phone_number", "originationPhoneNumber"),
    ("destination_phone_number", "destinationPhoneNumber"),
    ("iso_country_code", "isoCountryCode"),
    ("number_of_message_parts", "totalMessageParts"),
    ("message_id", "messageId"),
    ("message_encoding", "messageEncoding"),
    ("mcc", "mcc"),
    ("mnc", "mnc"),
    ("is_final", "isFinal"),
    ("is_international_send", "isInternationalSend"),
    ("message_status_description", "messageStatusDescription"),
)
_SMS_MESSAGE_TYPES = {"TRANSACTIONAL": "Transactional", "PROMOTIONAL": "Promotional"}
_SMS_RESERVED_ATTRIBUTES = frozenset(
    [name for name, _ in _SMS_ATTRIBUTE_FIELDS] + ["record_status", "message_type", "customer_context", "channel"]
)
_SMS_METRICS = (("price_in_millicents_usd", "totalMessagePrice"), ("carrier_fee_in_millicents_usd", "totalCarrierFee"))
_OPTED_OUT = "OPTED_OUT"


def from_sms(data: dict[str, Any], context: RecordContext) -> dict[str, Any]:
    """Convert an End User Messaging SMS v2 event record into a Pinpoint ``_SMS.*`` record."""
    event_type, channel = _sms_event_type(data["eventType"])
    sms_context = data.get("context")
    endpoint_id = sms_context.get(ENDPOINT_ID_KEY) if isinstance(sms_context, dict) else None
    client_id = first_name(endpoint_id, context.account_id) or ""
    event_timestamp = data.get("eventTimestamp")
    if isinstance(event_timestamp, bool) or not isinstance(event_timestamp, int):
        event_timestamp = context.arrival_timestamp_ms
    record = envelope(event_type, event_timestamp, context, client_id=client_id, account_id=context.account_id)
    record["attributes"] = _sms_attributes(data, channel)
    record["metrics"] = _sms_metrics(data)
    return record


def _sms_event_type(sms_type: str) -> tuple[str, str | None]:
    """(Pinpoint event type, channel attribute) for an SMS v2 ``eventType``."""
    for prefix, channel in _SMS_CHANNEL_PREFIXES:
        if sms_type.startswith(prefix):
            mapped = _SMS_STATUS_EVENT_TYPES.get(sms_type[len(prefix) :])
            if mapped is not None:
                return mapped, channel
    return "_smsvoice." + sms_type.lower(), None


def _sms_attributes(data: dict[str, Any], channel: str | None) -> dict[str, str]:
    attributes = {name: to_str(data[key]) for name, key in _SMS_ATTRIBUTE_FIELDS if data.get(key) is not None}
    status = data.get("messageStatus")
    if status is not None:
        status = to_str(status)
        attributes["record_status"] = _OPTED_OUT if _OPTED_OUT in status else status
    message_type = data.get("messageType")
    if message_type is not None:
        message_type = to_str(message_type)
        attributes["message_type"] = _SMS_MESSAGE_TYPES.get(message_type.upper(), message_type)
    if channel is not None:
        attributes["channel"] = channel
    sms_context = data.get("context")
    if sms_context is not None:
        attributes["customer_context"] = json.dumps(sms_context, separators=(",", ":"))
    if isinstance(sms_context, dict):
        for key, value in sms_context.items():
            if isinstance(value, str) and key not in _SMS_RESERVED_ATTRIBUTES:
                attributes[key] = value
    return attributes


def _sms_metrics(data: dict[str, Any]) -> dict[str, float]:
    metrics = {name: _usd_to_millicents(data.get(key)) for name, key in _SMS_METRICS}
    return {name: value for name, value in metrics.items() if value is not None}


def _usd_to_millicents(value: object) -> float | None:
    """USD -> thousandths of a US cent, computed in decimal so 0.09582 gives exactly 9582.0."""
    if finite_number(value) is None:
        return None
    amount = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    millicents = float(amount * _MILLICENTS_PER_USD)
    return millicents if math.isfinite(millicents) else None
