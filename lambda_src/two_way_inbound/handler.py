"""Inbound two-way SMS Lambda of ``TwoWaySms``: SQS batch in, replies out (see :mod:`pinpoint_runtime.sms.two_way`)."""

from __future__ import annotations

from typing import Any

from pinpoint_runtime.core.process_state import PerProcess
from pinpoint_runtime.sms.two_way import InboundMessageHandler, handle_batch, inbound_settings, logger, metrics

inbound_handler: PerProcess[InboundMessageHandler] = PerProcess(InboundMessageHandler.from_environment)
"""The function's handler, built from the environment on first use and kept for the container's life."""


def __getattr__(name: str) -> Any:
    """``SETTINGS``: TwoWaySettings, then sends, self-managed opt-outs (processor, keywords, registry) and the event
    lake (:func:`~pinpoint_runtime.sms.two_way.inbound_settings`). Resolved on access, because the Lambda runtime
    never reads it and importing the opt-out and lake modules would slow every cold start."""
    if name == "SETTINGS":
        return inbound_settings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch entry point; returns ``{"batchItemFailures": [...]}`` (ReportBatchItemFailures)."""
    return handle_batch(inbound_handler(), event, context)
