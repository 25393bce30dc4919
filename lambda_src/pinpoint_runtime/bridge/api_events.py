"""API Gateway (Lambda proxy) events of the send function: one custom-action request in, one proxy answer out.

Logs and metrics: one line per request (:class:`pinpoint_runtime.core.request_log.RequestLog`: Powertools Logger's
keys and, in the same JSON object, the embedded-metric directive Powertools Metrics would print) with the outcome,
the request id, the masked number and the journey ids; never the body, the number in clear or the API key (the
event is not logged). Metrics (namespace ``PinpointConstructs``, dimension ``service``): one count per outcome
(``Accepted``, ``Sent``, ``Duplicates``, ``Invalid``, ``OptedOut``, ``Throttled``, ``DependencyFailures``,
``SendFailures``, and ``Faults`` for a 500); the request count itself is API Gateway's ``Count`` metric. Faults go
through the Powertools Logger. Not Powertools' decorators on this path: they cost ~0.3 ms of a ~0.5 ms request
(benchmarks/bridge.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from pinpoint_runtime.bridge.responses import error_response
from pinpoint_runtime.bridge.send import BridgeService
from pinpoint_runtime.core.request_log import RequestLog
from pinpoint_runtime.phone import mask_phone_number

REQUEST_RECORD = "custom action request"
OUTCOME_METRICS = {
    "accepted": "Accepted",
    "sent": "Sent",
    "duplicate": "Duplicates",
    "invalid": "Invalid",
    "opted_out": "OptedOut",
    "in_progress": "Throttled",
    "mismatch": "Invalid",
    "dependency_failed": "DependencyFailures",
}
"""The metric counted for each :attr:`~pinpoint_runtime.bridge.send.AcceptOutcome.result` (``send_failed:*``:
``SendFailures``)."""


def handle_event(event: dict[str, Any], bridge: BridgeService, request_log: RequestLog) -> dict[str, Any]:
    """The proxy response for one API Gateway proxy event, its record written to ``request_log``."""
    body = event.get("body")
    if event.get("isBase64Encoded") and body is not None:
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            request_log.write(REQUEST_RECORD, metric="Invalid", result="invalid", status_code=400, field="body")
            return error_response(400, "invalid_request", "body: is not valid base64", field="body").to_proxy()
    outcome = bridge.accept(body, event.get("headers"))
    response = outcome.response
    request = outcome.request
    fields: dict[str, Any] = {"result": outcome.result, "status_code": response.status}
    if "requestId" in response.body:
        fields["request_id"] = response.body["requestId"]
    if "field" in response.body:
        fields["field"] = response.body["field"]
    if request is not None:
        fields.update(destination=mask_phone_number(request.destination), journey_id=request.journey_id,
                      action_id=request.action_id)  # fmt: skip
    name = OUTCOME_METRICS.get(outcome.result) or ("SendFailures" if outcome.result.startswith("send_failed") else None)
    request_log.write(REQUEST_RECORD, metric=name, **fields)
    return response.to_proxy()


def answer_event(
    event: dict[str, Any],
    service: Callable[[], BridgeService],
    request_log: RequestLog,
    *,
    logger: Any,
    function_request_id: str | None = None,
) -> dict[str, Any]:
    """:func:`handle_event` with the service ``service()`` builds; a fault (building or handling) is logged and
    answered with a JSON 500 (AJO retries)."""
    try:
        return handle_event(event, service(), request_log)
    except Exception:  # a real fault: 500, AJO retries; the record of what failed is in the log
        logger.exception("custom action request failed", extra={"function_request_id": function_request_id})
        request_log.write(REQUEST_RECORD, metric="Faults", result="fault", status_code=500)
        return error_response(500, "internal_error", "the request failed; retry").to_proxy()


__all__ = ["OUTCOME_METRICS", "answer_event", "handle_event"]
