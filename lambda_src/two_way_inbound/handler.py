"""Inbound two-way SMS Lambda of ``TwoWaySms``: SQS batch in, replies out (see :mod:`pinpoint_runtime.sms.two_way`)."""

from __future__ import annotations

from typing import Any

from pinpoint_runtime.core.process_state import PerProcess
from pinpoint_runtime.sms.two_way import INBOUND_SETTINGS, InboundMessageHandler, handle_batch, logger, metrics

SETTINGS = INBOUND_SETTINGS
"""TwoWaySettings first, then sends, self-managed opt-outs (processor, keywords, registry) and the event lake."""

inbound_handler: PerProcess[InboundMessageHandler] = PerProcess(InboundMessageHandler.from_environment)
"""The function's handler, built from the environment on first use and kept for the container's life."""


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch entry point; returns ``{"batchItemFailures": [...]}`` (ReportBatchItemFailures)."""
    return handle_batch(inbound_handler(), event, context)
