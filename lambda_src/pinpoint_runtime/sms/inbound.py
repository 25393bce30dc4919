"""Inbound two-way SMS messages: parse and validate what End User Messaging SMS publishes to the two-way topic.

When a recipient texts a number (or pool) with two-way SMS enabled, the service publishes one JSON object to the
SNS topic (the SNS ``Message`` string)::

    {"originationNumber": "+14255550182", "destinationNumber": "+12125550101", "messageKeyword": "JOIN",
     "messageBody": "EXAMPLE", "inboundMessageId": "cae173d2-...", "previousPublishedMessageId": "wJalr..."}

``originationNumber`` is the customer (the sender of the inbound message), ``destinationNumber`` is your number.
The ``TwoWaySms`` construct subscribes an SQS queue to the topic; each SQS record body is then either the SNS
envelope (``{"Type": "Notification", "Message": "<the JSON above>", ...}``) or, with raw message delivery, the
JSON object itself. :func:`parse_sqs_record` accepts both.

Everything here is outside input: a message that does not match the contract raises
:class:`MalformedInboundMessage` whose ``reason`` is a short fixed text that never contains the message content
(safe to log and to attach to a dead-letter message). Phone numbers and message bodies must never be logged in
clear text: use :func:`pinpoint_runtime.phone.mask_phone_number`.

Standard library only (phone numbers through :mod:`pinpoint_runtime.phone`), so importing it is cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.core import strict_json
from pinpoint_runtime.phone import is_e164, mask_phone_number

MAX_BODY_CHARACTERS = 1600
"""Longest ``messageBody`` accepted (the service's limit on a text message body)."""

MAX_ID_CHARACTERS = 1024
"""Sanity limit on ``inboundMessageId`` / ``previousPublishedMessageId`` (real ids are 36-40 characters)."""

MAX_KEYWORD_CHARACTERS = 30
"""Longest ``messageKeyword`` (a registered keyword is 1-30 characters)."""

MAX_RECORD_BYTES = 256 * 1024
"""Largest SQS body or SNS ``Message`` parsed (SNS and SQS cap messages at 256 KiB)."""

SERVICE_NUMBER_PATTERN = re.compile(r"\+?[1-9][0-9]{1,18}")
"""Your number as the SMS API writes phone numbers (``PhoneNumber`` shape); also admits short codes."""


class MalformedInboundMessage(ValueError):
    """The message does not follow the inbound SMS contract.

    ``reason`` is a short fixed text naming the problem (for example ``"originationNumber is not an E.164
    number"``); it never contains message content, so it is safe to log and to send with a dead-letter message.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, repr=False)
class InboundSms:
    """One inbound text message, validated.

    ``origination_number`` is the customer's number (who sent it), ``destination_number`` your number or short
    code (who received it); a reply goes from ``destination_number`` (or a pool) to ``origination_number``.
    ``message_keyword`` is the registered keyword the service matched, if any. ``message_body`` may be empty.
    """

    origination_number: str
    destination_number: str
    message_keyword: str | None
    message_body: str
    inbound_message_id: str
    previous_published_message_id: str | None

    def to_payload(self) -> dict[str, Any]:
        """The AWS camelCase shape (what the service publishes; what partner handlers receive).

        All six keys are present; ``messageKeyword`` and ``previousPublishedMessageId`` are ``None`` when absent.
        """
        return {
            "originationNumber": self.origination_number,
            "destinationNumber": self.destination_number,
            "messageKeyword": self.message_keyword,
            "messageBody": self.message_body,
            "inboundMessageId": self.inbound_message_id,
            "previousPublishedMessageId": self.previous_published_message_id,
        }

    def log_fields(self) -> dict[str, Any]:
        """Fields that are safe to log: masked numbers, ids, keyword and body length (never the body)."""
        return {
            "inbound_message_id": self.inbound_message_id,
            "from": mask_phone_number(self.origination_number),
            "to": mask_phone_number(self.destination_number),
            "keyword": self.message_keyword,
            "body_length": len(self.message_body),
        }

    def __repr__(self) -> str:  # keep numbers and body out of tracebacks and debug output
        fields = self.log_fields()
        return (
            f"InboundSms(inbound_message_id={fields['inbound_message_id']!r}, from={fields['from']!r}, "
            f"to={fields['to']!r}, keyword={fields['keyword']!r}, body_length={fields['body_length']})"
        )


def parse_inbound_message(message: str | bytes | Mapping[str, Any]) -> InboundSms:
    """Parse the SNS ``Message`` of an inbound SMS (a JSON string, bytes, or an already decoded object).

    Required: ``originationNumber`` (E.164), ``destinationNumber`` (``+`` optional, also short codes),
    ``messageBody`` (a string of at most 1,600 characters, empty allowed) and ``inboundMessageId`` (non-empty).
    Optional: ``messageKeyword`` (at most 30 characters) and ``previousPublishedMessageId``; ``null`` or ``""``
    means absent. Unknown fields are ignored. Raises :class:`MalformedInboundMessage` on anything else.
    """
    data = message if isinstance(message, Mapping) else _load_json_object(message, "message")
    origination = _required_text(data, "originationNumber")
    if not is_e164(origination):
        raise MalformedInboundMessage("originationNumber is not an E.164 number")
    destination = _required_text(data, "destinationNumber")
    if not SERVICE_NUMBER_PATTERN.fullmatch(destination):
        raise MalformedInboundMessage("destinationNumber is not a phone number")
    body = data.get("messageBody")
    if not isinstance(body, str):
        raise MalformedInboundMessage("messageBody is missing" if body is None else "messageBody is not a string")
    if len(body) > MAX_BODY_CHARACTERS:
        raise MalformedInboundMessage(f"messageBody is longer than {MAX_BODY_CHARACTERS} characters")
    inbound_id = _required_text(data, "inboundMessageId")
    if len(inbound_id) > MAX_ID_CHARACTERS or not inbound_id.strip():
        raise MalformedInboundMessage("inboundMessageId is not a valid id")
    keyword = _optional_text(data, "messageKeyword")
    if keyword is not None and len(keyword) > MAX_KEYWORD_CHARACTERS:
        raise MalformedInboundMessage(f"messageKeyword is longer than {MAX_KEYWORD_CHARACTERS} characters")
    previous_id = _optional_text(data, "previousPublishedMessageId")
    if previous_id is not None and len(previous_id) > MAX_ID_CHARACTERS:
        raise MalformedInboundMessage("previousPublishedMessageId is not a valid id")
    return InboundSms(
        origination_number=origination,
        destination_number=destination,
        message_keyword=keyword,
        message_body=body,
        inbound_message_id=inbound_id,
        previous_published_message_id=previous_id,
    )


def parse_sqs_record(record: Mapping[str, Any]) -> InboundSms:
    """Parse an SQS record (Lambda event source shape) whose ``body`` carries an inbound SMS.

    The body is the SNS envelope (``Type`` ``"Notification"``, ``Message`` the inbound JSON string) or, with raw
    message delivery, the inbound JSON object itself. Raises :class:`MalformedInboundMessage`.
    """
    if not isinstance(record, Mapping):
        raise MalformedInboundMessage("record is not an object")
    body = record.get("body")
    if not isinstance(body, str) or not body.strip():
        raise MalformedInboundMessage("record body is missing or empty")
    data = _load_json_object(body, "record body")
    if "Type" in data and "originationNumber" not in data:
        if data.get("Type") != "Notification":
            raise MalformedInboundMessage("SNS message is not a Notification")
        inner = data.get("Message")
        if not isinstance(inner, str):
            raise MalformedInboundMessage("SNS Message is missing or not a string")
        return parse_inbound_message(inner)
    return parse_inbound_message(data)


def _load_json_object(text: object, label: str) -> Mapping[str, Any]:
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_RECORD_BYTES:
            raise MalformedInboundMessage(f"{label} is larger than 256 KiB")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedInboundMessage(f"{label} is not valid UTF-8") from None
    if not isinstance(text, str):
        raise MalformedInboundMessage(f"{label} is not a JSON string")
    if len(text) > MAX_RECORD_BYTES:
        raise MalformedInboundMessage(f"{label} is larger than 256 KiB")
    try:
        value = strict_json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedInboundMessage(f"{label} is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedInboundMessage(f"{label} is not a JSON object")
    return value


def _required_text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None or value == "":
        raise MalformedInboundMessage(f"{field} is missing")
    if not isinstance(value, str):
        raise MalformedInboundMessage(f"{field} is not a string")
    return value


def _optional_text(data: Mapping[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedInboundMessage(f"{field} is not a string")
    return value


__all__ = [
    "MAX_BODY_CHARACTERS",
    "InboundSms",
    "MalformedInboundMessage",
    "parse_inbound_message",
    "parse_sqs_record",
]
