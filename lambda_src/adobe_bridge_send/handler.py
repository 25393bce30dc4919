"""API Gateway (Lambda proxy) handler of ``AdobeSmsBridge``: one Adobe Journey Optimizer custom-action request.

Behind the API key authorizer. Validates the request (400 naming the field), normalises the destination to
E.164, claims the idempotency key, checks the opt-out registry (409), then either queues the send for the
rate-limited consumer (``BRIDGE_DELIVERY_MODE=QUEUE``, the default) or sends at once (``INLINE``) and answers 202
with the request id: :class:`pinpoint_runtime.bridge.send.BridgeService`. Status codes:
:mod:`pinpoint_runtime.bridge.responses`; logs and metrics: :mod:`pinpoint_runtime.bridge.api_events`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.bridge.api_events import answer_event
from pinpoint_runtime.bridge.idempotency import IdempotencyStoreSettings
from pinpoint_runtime.bridge.send import BridgeSendSettings, BridgeService, build_send_service
from pinpoint_runtime.core.request_log import RequestLog
from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings
from pinpoint_runtime.sms.sender import SmsSenderSettings

SERVICE_NAME = "adobe-bridge-send"
METRICS_NAMESPACE = "PinpointConstructs"
SETTINGS = (BridgeSendSettings, IdempotencyStoreSettings, SmsSenderSettings, OptOutRegistrySettings)

logger = Logger(service=SERVICE_NAME)
request_log = RequestLog(service=SERVICE_NAME, namespace=METRICS_NAMESPACE, logger=logger)

_service: BridgeService | None = None


def service() -> BridgeService:
    """The deployed configuration (one service, and its clients, per container)."""
    global _service  # noqa: PLW0603
    if _service is None:
        _service = build_send_service(
            BridgeSendSettings.from_environment(),
            IdempotencyStoreSettings.from_environment(),
            SmsSenderSettings.from_environment(),
            OptOutRegistrySettings.from_environment_if_set(),
        )
    return _service


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_log.bind(context)
    return answer_event(
        event, service, request_log, logger=logger, function_request_id=getattr(context, "aws_request_id", None)
    )
