"""SQS consumer of ``AdobeSmsBridge``: sends the accepted custom-action requests at the configured MPS.

Event source: the bridge's send queue (``ReportBatchItemFailures``; at most ``BRIDGE_CONSUMER_CONCURRENCY``
concurrent invocations). Each copy sends at ``BRIDGE_MESSAGE_PARTS_PER_SECOND / BRIDGE_CONSUMER_CONCURRENCY``
message parts per second per origination identity through
:class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender` (throttling retried with full-jitter backoff), so
all copies together stay at or under the configured rate. The limiter lives as long as the container, so pacing
carries over from batch to batch.

Per record (:class:`pinpoint_runtime.bridge.consumer.BridgeConsumer`): claim the request's idempotency record
(``SENDING``; a record already ``SENT`` means SQS delivered the job twice: skipped), ask the opt-out registry
(when bound), send with the request's ``Context``, record ``SENT`` / ``OPTED_OUT`` / ``FAILED``.

* retryable failures (throttling after the limiter's attempts, service errors, a send that would wait past the
  function's remaining time) are batch item failures: SQS delivers them again, and the queue's redrive policy
  finally moves them to the dead-letter queue;
* a job that can never be sent (malformed, or refused for good by the service) goes to
  ``DEAD_LETTER_QUEUE_URL`` with a ``reason`` message attribute; an opted-out recipient is logged and done.

Logs carry the request id, masked numbers and outcomes, never bodies.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.bridge.consumer import BridgeConsumer
from pinpoint_runtime.bridge.idempotency import IdempotencyStore
from pinpoint_runtime.bridge.senders import ConfigurationSetSenders
from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender

SERVICE_NAME = "adobe-bridge-consumer"
METRICS_NAMESPACE = "PinpointConstructs"
ENV_PARTS_PER_SECOND = "BRIDGE_MESSAGE_PARTS_PER_SECOND"
ENV_CONCURRENCY = "BRIDGE_CONSUMER_CONCURRENCY"
ENV_DEAD_LETTER_QUEUE_URL = "DEAD_LETTER_QUEUE_URL"
SAFETY_MARGIN_SECONDS = 5.0
"""Sends that could not start this long before the function's timeout are left to the next delivery."""

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

_consumer: BridgeConsumer | None = None
_sqs: Any = None

_METRICS = {
    "sent": "Sent",
    "duplicate": "Duplicates",
    "busy": "Busy",
    "opted_out": "OptedOut",
    "retry": "Retried",
    "failed": "DeadLettered",
    "malformed": "DeadLettered",
}


def per_process_rate() -> float:
    """This copy's share of the configured message parts per second."""
    rate = float(os.environ.get(ENV_PARTS_PER_SECOND, "1"))
    copies = max(1, int(os.environ.get(ENV_CONCURRENCY, "1")))
    return rate / copies


def build_consumer() -> BridgeConsumer:
    from pinpoint_runtime.sms.sender import SmsSender  # noqa: PLC0415

    may_send = None
    if os.environ.get("OPT_OUT_REGISTRY_TABLE"):
        from pinpoint_runtime.sms.opt_out import may_send  # noqa: PLC0415
    sender = ConfigurationSetSenders(SmsSender(may_send=may_send))
    ttl = int(os.environ.get("BRIDGE_IDEMPOTENCY_TTL_SECONDS", "3600"))
    return BridgeConsumer(
        store=IdempotencyStore(ttl_seconds=ttl),
        rate_limited_sender=RateLimitedSmsSender(sender, parts_per_second=per_process_rate()),
    )


def consumer() -> BridgeConsumer:
    global _consumer  # noqa: PLW0603 - the limiter's schedule must outlive one invocation
    if _consumer is None:
        _consumer = build_consumer()
    return _consumer


def sqs_client() -> Any:
    global _sqs  # noqa: PLW0603
    if _sqs is None:
        import boto3  # noqa: PLC0415

        _sqs = boto3.client("sqs")
    return _sqs


def process_batch(
    event: dict[str, Any],
    bridge_consumer: BridgeConsumer,
    *,
    deadline: float | None,
    dead_letter_queue_url: str | None,
    sqs: Any,
) -> dict[str, Any]:
    """The partial batch response for one SQS event (callable locally)."""
    failures = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        outcome = bridge_consumer.process(record.get("body", ""), deadline=deadline)
        logger.info(
            "send job",
            extra={
                "sqs_message_id": message_id,
                "result": outcome.result,
                "reason": outcome.reason,
                "sms_message_id": outcome.message_id,
            },
        )
        metrics.add_metric(name=_METRICS[outcome.result], unit=MetricUnit.Count, value=1)
        keep = outcome.retry
        if outcome.result in ("failed", "malformed"):
            keep = not _dead_letter(record, outcome.reason or outcome.result, dead_letter_queue_url, sqs)
        if keep:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def _dead_letter(record: dict[str, Any], reason: str, url: str | None, sqs: Any) -> bool:
    """Move a job that can never be sent to the DLQ with its reason; ``False`` keeps it in the queue instead."""
    if not url:
        return False
    try:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=record.get("body") or "{}",
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:256]},
                "source_message_id": {"DataType": "String", "StringValue": record.get("messageId") or "unknown"},
            },
        )
    except Exception:
        logger.exception("dead-lettering a job failed")
        return False
    return True


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    return process_batch(
        event,
        consumer(),
        deadline=deadline,
        dead_letter_queue_url=os.environ.get(ENV_DEAD_LETTER_QUEUE_URL) or None,
        sqs=sqs_client(),
    )
