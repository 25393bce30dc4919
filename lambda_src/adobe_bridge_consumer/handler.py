"""SQS consumer of ``AdobeSmsBridge``: sends the accepted custom-action requests at the configured MPS.

Per record and per batch: :mod:`pinpoint_runtime.bridge.consumer` (once per request, the rate shared by the
copies, retries as batch item failures, jobs that can never be sent dead-lettered with their reason). The consumer
(and its rate limiter) lives as long as the container, so pacing carries over from batch to batch.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.bridge.consumer import BridgeConsumer, BridgeConsumerSettings, build_consumer, process_batch
from pinpoint_runtime.bridge.idempotency import IdempotencyStoreSettings
from pinpoint_runtime.core.sqs_batch import DeadLetterQueue
from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings
from pinpoint_runtime.sms.sender import SmsSenderSettings

SERVICE_NAME = "adobe-bridge-consumer"
METRICS_NAMESPACE = "PinpointConstructs"
SETTINGS = (BridgeConsumerSettings, IdempotencyStoreSettings, SmsSenderSettings, OptOutRegistrySettings)
SAFETY_MARGIN_SECONDS = 5.0
"""Sends that could not start this long before the function's timeout are left to the next delivery."""

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

_runtime: tuple[BridgeConsumer, DeadLetterQueue] | None = None


def runtime() -> tuple[BridgeConsumer, DeadLetterQueue]:
    global _runtime  # noqa: PLW0603 - the limiter's schedule must outlive one invocation
    if _runtime is None:
        settings = BridgeConsumerSettings.from_environment()
        consumer = build_consumer(
            settings,
            IdempotencyStoreSettings.from_environment(),
            SmsSenderSettings.from_environment(),
            OptOutRegistrySettings.from_environment_if_set(),
        )
        _runtime = (consumer, DeadLetterQueue(settings.dead_letter_queue_url))
    return _runtime


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    consumer, dead_letter_queue = runtime()
    return process_batch(
        event, consumer, deadline=deadline, dead_letter_queue=dead_letter_queue, logger=logger, count=count
    )
