"""The bridge's HTTP answers, in status codes AJO can act on.

AJO calls a custom action with a JSON POST, an API key in a header, retries up to three times within the
journey's timeout on every error except 401, 403 and 404, and routes endpoints slower than 0.75 s to a slow lane.
So this bridge answers fast, is idempotent, and uses status codes AJO can act on:

==========  ==========================================================================================
202         accepted (queue mode: ``status`` ``ACCEPTED``) or sent (inline mode: ``status`` ``SENT`` and the
            service's ``messageId``); a duplicate gets the original ``requestId`` and ``duplicate: true``
400         invalid request: ``{"error": "invalid_request", "field": "<name>", "message": "..."}``
401 / 403   missing / wrong API key (answered by the authorizer; AJO does not retry them)
409         the recipient opted out (``error`` ``opted_out``)
422         an ``Idempotency-Key`` reused for a different request, or the SMS service refused the message
            for good (inline mode)
429         throttled (the SMS service, inline mode) or a duplicate of a request still being processed;
            ``Retry-After`` says when to try again
5xx         real faults only (a dependency failed); the request was not accepted and may be retried
==========  ==========================================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pinpoint_runtime.bridge.idempotency import STATUS_ACCEPTED, STATUS_SENT

if TYPE_CHECKING:
    from pinpoint_runtime.bridge.contract import SendRequest
    from pinpoint_runtime.bridge.errors import BridgeDependencyError

# Built once: json.dumps with options builds a new encoder per call, a measurable share of a request.
compact_json = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class HttpResponse:
    """An HTTP answer; :meth:`to_proxy` gives API Gateway's Lambda-proxy shape."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def to_proxy(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json", **self.headers},
            "body": compact_json(self.body),
            "isBase64Encoded": False,
        }


def error_response(status: int, error: str, message: str, *, field: str | None = None, **headers: str) -> HttpResponse:
    body: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    return HttpResponse(status, body, dict(headers))


def accepted_response(item: Mapping[str, Any], *, duplicate: bool) -> HttpResponse:
    status = item.get("status")
    body: dict[str, Any] = {
        "requestId": item.get("request_id"),
        "status": STATUS_SENT if status == STATUS_SENT else STATUS_ACCEPTED,
        "duplicate": duplicate,
    }
    if item.get("message_id"):
        body["messageId"] = item["message_id"]
    headers = {"Idempotent-Replayed": "true"} if duplicate else {}
    return HttpResponse(202, body, headers)


def opted_out_response(request: SendRequest) -> HttpResponse:
    return error_response(
        409,
        "opted_out",
        f"the recipient has opted out of {request.message_type.lower()} messages",
        field="destinationNumber",
    )


def unavailable_response(error: BridgeDependencyError) -> HttpResponse:
    return error_response(503, "service_unavailable", f"the request was not accepted ({error.code}); retry",
                          **{"Retry-After": "1"})  # fmt: skip


def send_failure_response(error: Any) -> HttpResponse:
    if error.code == "ThrottlingException":
        return error_response(429, "throttled", "the SMS service is throttling sends; retry", **{"Retry-After": "1"})
    if error.retryable:
        return error_response(503, "service_unavailable", f"the SMS service failed ({error.code}); retry",
                              **{"Retry-After": "1"})  # fmt: skip
    if error.code == "AccessDeniedException" or error.code == "ServiceQuotaExceededException":
        return error_response(502, "sms_service_refused", f"the SMS service refused the account's send ({error.code})")
    label = f"{error.code} ({error.reason})" if getattr(error, "reason", None) else error.code
    return error_response(422, "sms_rejected", f"the SMS service rejected the message: {label}")


__all__ = [
    "HttpResponse",
    "accepted_response",
    "compact_json",
    "error_response",
    "opted_out_response",
    "send_failure_response",
    "unavailable_response",
]
