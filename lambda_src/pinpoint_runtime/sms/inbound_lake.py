"""The lake event of an inbound SMS (``_sms.inbound``, kind ``sms_inbound``): numbers, ids, keyword, body length.

Never the message body: the lake is analytics, and a body may hold anything the customer typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.sms.inbound import InboundSms

INBOUND_EVENT_TYPE = "_sms.inbound"
"""``event_type`` of the lake event written for every inbound message (kind ``sms_inbound``)."""


def inbound_lake_event(
    inbound: InboundSms, raw_record: Mapping[str, Any] | None = None, *, now: float
) -> dict[str, Any]:
    """The Pinpoint-shaped ``_sms.inbound`` record for the event lake (no message body, its length only).

    ``event_timestamp`` is when SQS received the message (``attributes.SentTimestamp``), else ``now``.
    ``origination_phone_number`` is the customer (the sender of the inbound message), as in the inbound payload.
    """
    now_ms = int(now * 1000)
    sqs_attributes = (raw_record or {}).get("attributes")
    sent = sqs_attributes.get("SentTimestamp") if isinstance(sqs_attributes, Mapping) else None
    event_ms = int(sent) if isinstance(sent, str) and sent.isdigit() else now_ms
    attributes = {
        "origination_phone_number": inbound.origination_number,
        "destination_phone_number": inbound.destination_number,
        "inbound_message_id": inbound.inbound_message_id,
    }
    if inbound.message_keyword is not None:
        attributes["keyword"] = inbound.message_keyword
    if inbound.previous_published_message_id is not None:
        attributes["previous_published_message_id"] = inbound.previous_published_message_id
    return {
        "event_type": INBOUND_EVENT_TYPE,
        "event_timestamp": event_ms,
        "arrival_timestamp": now_ms,
        "attributes": attributes,
        "metrics": {"message_body_length": float(len(inbound.message_body))},
    }


__all__ = ["INBOUND_EVENT_TYPE", "inbound_lake_event"]
