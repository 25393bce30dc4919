"""API Gateway (Lambda proxy) handler of ``AdobeSmsBridge``: one Adobe Journey Optimizer custom-action request.

Behind the API key authorizer. Validates the request (400 naming the field), normalises the destination to
E.164, claims the idempotency key, checks the opt-out registry (409), then either queues the send for the
rate-limited consumer (``BRIDGE_DELIVERY_MODE=QUEUE``, the default) or sends at once (``INLINE``) and answers 202
with the request id. See :mod:`pinpoint_runtime.adobe_bridge` for the status codes and idempotency.

Logs: one line per request with the outcome, the request id, the masked number and the journey ids; never the
body, the number in clear or the API key (the event is not logged). Metrics (namespace ``PinpointConstructs``):
one count per outcome (``Accepted``, ``Sent``, ``Duplicates``, ``Invalid``, ``OptedOut``, ``Throttled``,
``DependencyFailures``, ``SendFailures``); the request count itself is API Gateway's ``Count`` metric.

Environment: see :meth:`pinpoint_runtime.adobe_bridge.BridgeSettings.from_environment`, plus
``BRIDGE_IDEMPOTENCY_TABLE``, ``SMS_ORIGINATION_IDENTITY``, ``SMS_CONFIGURATION_SET`` and, when an opt-out registry
is bound, ``OPT_OUT_REGISTRY_TABLE``.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.adobe_bridge import (
    MODE_INLINE,
    BridgeService,
    BridgeSettings,
    ConfigurationSetSenders,
    IdempotencyStore,
    error_response,
)
from pinpoint_runtime.inbound_sms import mask_phone_number

SERVICE_NAME = "adobe-bridge-send"
METRICS_NAMESPACE = "PinpointConstructs"

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

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
    from pinpoint_runtime.sms_sender import SmsSender  # noqa: PLC0415

    settings = BridgeSettings.from_environment()
    may_send = None
    if os.environ.get("OPT_OUT_REGISTRY_TABLE"):
        from pinpoint_runtime.opt_out import may_send  # noqa: PLC0415
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
    logger.info("custom action request", extra=fields)
    name = _OUTCOME_METRICS.get(outcome.result) or ("SendFailures" if outcome.result.startswith("send_failed") else None)
    if name:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return response.to_proxy()


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return handle_event(event, service())
    except Exception:  # a real fault: 500, AJO retries; the record of what failed is in the log
        logger.exception("custom action request failed")
        return error_response(500, "internal_error", "the request failed; retry").to_proxy()
