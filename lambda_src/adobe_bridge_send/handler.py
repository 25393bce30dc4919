"""API Gateway (Lambda proxy) handler of ``AdobeSmsBridge``: one Adobe Journey Optimizer custom-action request.

Behind the API key authorizer. Validates the request (400 naming the field), normalises the destination to
E.164, claims the idempotency key, checks the opt-out registry (409), then either queues the send for the
rate-limited consumer (``BRIDGE_DELIVERY_MODE=QUEUE``, the default) or sends at once (``INLINE``) and answers 202
with the request id. See :mod:`pinpoint_runtime.bridge.responses` for the status codes and
:mod:`pinpoint_runtime.bridge.idempotency`.

Logs and metrics: one line per request (:class:`pinpoint_runtime.core.request_log.RequestLog`: Powertools Logger's keys
and, in the same JSON object, the embedded-metric directive Powertools Metrics would print) with the outcome, the
request id, the masked number and the journey ids; never the body, the number in clear or the API key (the event
is not logged). Metrics (namespace ``PinpointConstructs``, dimension ``service``): one count per outcome
(``Accepted``, ``Sent``, ``Duplicates``, ``Invalid``, ``OptedOut``, ``Throttled``, ``DependencyFailures``,
``SendFailures``, and ``Faults`` for a 500); the request count itself is API Gateway's ``Count`` metric. Faults go
through the Powertools
Logger. Not Powertools' decorators on this path: they cost ~0.3 ms of a ~0.5 ms request (benchmarks/bridge.py).

Environment: see :meth:`pinpoint_runtime.bridge.settings.BridgeSettings.from_environment`, plus
``BRIDGE_IDEMPOTENCY_TABLE``, ``SMS_ORIGINATION_IDENTITY``, ``SMS_CONFIGURATION_SET`` and, when an opt-out registry
is bound, ``OPT_OUT_REGISTRY_TABLE``.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.bridge.idempotency import IdempotencyStore
from pinpoint_runtime.bridge.responses import error_response
from pinpoint_runtime.bridge.send import BridgeService
from pinpoint_runtime.bridge.senders import ConfigurationSetSenders
from pinpoint_runtime.bridge.settings import MODE_INLINE, BridgeSettings
from pinpoint_runtime.core.request_log import RequestLog
from pinpoint_runtime.phone import mask_phone_number

SERVICE_NAME = "adobe-bridge-send"
METRICS_NAMESPACE = "PinpointConstructs"

logger = Logger(service=SERVICE_NAME)
request_log = RequestLog(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE_NAME),
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE),
    logger=logger,
)

_OUTCOME_METRICS = {
    "accepted": "Accepted",
    "sent": "Sent",
    "duplicate": "Duplicates",
    "invalid": "Invalid",
    "opted_out": "OptedOut",
    "in_progress": "Throttled",
    "mismatch": "Invalid",
    "dependency_failed": "DependencyFailures",
}

_service: BridgeService | None = None


def build_service() -> BridgeService:
    """The deployed configuration, from the environment."""
    from pinpoint_runtime.sms.sender import SmsSender  # noqa: PLC0415

    settings = BridgeSettings.from_environment()
    may_send = None
    if os.environ.get("OPT_OUT_REGISTRY_TABLE"):
        from pinpoint_runtime.sms.opt_out import may_send  # noqa: PLC0415
    sender = ConfigurationSetSenders(SmsSender(may_send=may_send)) if settings.mode == MODE_INLINE else None
    return BridgeService(
        settings=settings,
        store=IdempotencyStore(ttl_seconds=settings.idempotency_ttl_seconds),
        sender=sender,
        may_send=may_send,
    )


def service() -> BridgeService:
    global _service  # noqa: PLW0603 - one service (and its clients) per container
    if _service is None:
        _service = build_service()
    return _service


def handle_event(event: dict[str, Any], bridge: BridgeService) -> dict[str, Any]:
    """The proxy response for one API Gateway proxy event (what :func:`handler` runs, callable locally)."""
    body = event.get("body")
    if event.get("isBase64Encoded") and body is not None:
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            request_log.write("custom action request", metric="Invalid", result="invalid", status_code=400,
                              field="body")  # fmt: skip
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
    name = _OUTCOME_METRICS.get(outcome.result) or (
        "SendFailures" if outcome.result.startswith("send_failed") else None
    )
    request_log.write("custom action request", metric=name, **fields)
    return response.to_proxy()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_log.bind(context)
    try:
        return handle_event(event, service())
    except Exception:  # a real fault: 500, AJO retries; the record of what failed is in the log
        logger.exception("custom action request failed",
                         extra={"function_request_id": getattr(context, "aws_request_id", None)})  # fmt: skip
        request_log.write("custom action request", metric="Faults", result="fault", status_code=500)
        return error_response(500, "internal_error", "the request failed; retry").to_proxy()
