"""The partner's handler of ``TwoWaySms``: a Lambda function invoked synchronously with each inbound message.

It receives the inbound message in the AWS camelCase shape (:meth:`pinpoint_runtime.sms.inbound.InboundSms.to_payload`)
and may answer ``{"reply": "<text>", "message_type": "TRANSACTIONAL"|"PROMOTIONAL"}`` (``message_type`` optional);
``null`` or an object without ``reply`` means no reply. A ``FunctionError`` is :class:`PartnerHandlerError`
(retried through SQS), an answer that is not a valid reply instruction is :class:`InvalidPartnerResponse`
(dead-lettered). Errors never carry the partner's error message or the message content.
"""

from __future__ import annotations

import json
from typing import Any

from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.sender import MESSAGE_TYPES, MessageType


class PartnerHandlerError(RuntimeError):
    """The partner Lambda failed (``FunctionError``): retried through SQS, then dead-lettered by the queue."""


class InvalidPartnerResponse(ValueError):
    """The partner Lambda answered with something that is not a valid reply instruction (dead-lettered)."""


def invoke_partner(
    lambda_client: Any,
    function_name: str,
    inbound: InboundSms,
    *,
    default_message_type: MessageType | str = "TRANSACTIONAL",
) -> tuple[str, str] | None:
    """Invoke the partner Lambda; (reply text, message type), or None for no reply."""
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=json.dumps(inbound.to_payload()).encode("utf-8"),
    )
    payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise PartnerHandlerError(
            f"partner handler failed ({response['FunctionError']}: {function_error_type(payload)})"
        )
    return parse_partner_response(payload, default_message_type=default_message_type)


def parse_partner_response(
    payload: bytes | str | None, *, default_message_type: MessageType | str = MessageType.TRANSACTIONAL
) -> tuple[str, str] | None:
    """A partner handler's answer -> (reply text, message type), or None when it asks for no reply.

    Accepted: empty, ``null``, an object without ``reply`` (no reply), or ``{"reply": "<text>"}`` with optional
    ``"message_type"`` ``TRANSACTIONAL`` or ``PROMOTIONAL`` (default: ``default_message_type``). Anything else raises
    :class:`InvalidPartnerResponse` (the message names the problem, never the content).
    """
    if payload is None:
        return None
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, (bytes, bytearray)) else payload
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidPartnerResponse("not JSON") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidPartnerResponse("not a JSON object")
    reply = data.get("reply")
    if reply is None:
        return None
    if not isinstance(reply, str) or not reply.strip():
        raise InvalidPartnerResponse("reply is not a non-empty string")
    message_type = data.get("message_type", MessageType(default_message_type).value)
    if message_type not in MESSAGE_TYPES:
        raise InvalidPartnerResponse(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
    return reply, message_type


def function_error_type(payload: bytes) -> str:
    """The ``errorType`` of a Lambda function error payload (never its message, which may hold content)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return "unknown"
    error_type = data.get("errorType") if isinstance(data, dict) else None
    return error_type if isinstance(error_type, str) else "unknown"


__all__ = [
    "InvalidPartnerResponse",
    "PartnerHandlerError",
    "function_error_type",
    "invoke_partner",
    "parse_partner_response",
]
