"""The queue consumer: sends accepted jobs at the configured rate, exactly once per idempotency key.

Event source: the bridge's send queue (``ReportBatchItemFailures``; at most ``consumer_concurrency`` concurrent
invocations). Each copy sends at ``message_parts_per_second / consumer_concurrency`` message parts per second per
origination identity through :class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender` (throttling retried
with full-jitter backoff), so all copies together stay at or under the configured rate.

Per record (:class:`BridgeConsumer`): claim the request's idempotency record (``SENDING``; a record already
``SENT`` means SQS delivered the job twice: skipped), ask the opt-out registry (when bound), send with the
request's ``Context``, record ``SENT`` / ``OPTED_OUT`` / ``FAILED``. Per batch (:func:`process_batch`):

* retryable failures (throttling after the limiter's attempts, service errors, a send that would wait past the
  function's remaining time) are batch item failures: SQS delivers them again, and the queue's redrive policy
  finally moves them to the dead-letter queue;
* a job that can never be sent (malformed, or refused for good by the service) goes to the dead-letter queue
  with a ``reason`` message attribute; an opted-out recipient is logged and done.

Logs carry the request id, masked numbers and outcomes, never bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pinpoint_runtime.bridge.errors import BridgeDependencyError
from pinpoint_runtime.bridge.idempotency import (
    STATUS_FAILED,
    STATUS_OPTED_OUT,
    STATUS_SENT,
    IdempotencyStore,
    IdempotencyStoreSettings,
)
from pinpoint_runtime.bridge.jobs import parse_job
from pinpoint_runtime.bridge.senders import configuration_set_senders, opt_out_policy
from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.core.sqs_batch import DeadLetterQueue, RetryRecord, process_sqs_batch
from pinpoint_runtime.sms.sender import SmsSenderSettings

if TYPE_CHECKING:
    from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings

_LOGGER = logging.getLogger(__name__)


@dataclass
class ConsumeOutcome:
    """What happened to one queued job: ``result`` ``sent``, ``duplicate``, ``busy`` (retry),
    ``opted_out``, ``retry`` (retryable failure), ``failed`` (dead-lettered) or ``malformed``."""

    result: str
    retry: bool
    reason: str | None = None
    message_id: str | None = None


class BridgeConsumer:
    """Sends queued jobs at the configured rate (``rate_limited_sender`` is a
    :class:`pinpoint_runtime.sms.rate_limiter.RateLimitedSmsSender`), exactly once per idempotency key."""

    def __init__(self, *, store: IdempotencyStore, rate_limited_sender: Any) -> None:
        self.store = store
        self.sender = rate_limited_sender

    def process(self, body: str, *, deadline: float | None = None) -> ConsumeOutcome:
        from pinpoint_runtime.sms.sender import RecipientOptedOut, SmsSendError  # noqa: PLC0415

        try:
            job = parse_job(body)
        except ValueError as error:
            return ConsumeOutcome("malformed", retry=False, reason=str(error))
        key = job["idempotency_key"]
        try:
            claim = self.store.claim_send(key, request_id=job["request_id"], fingerprint=job["fingerprint"])
        except BridgeDependencyError as error:
            return ConsumeOutcome("retry", retry=True, reason=error.code)
        if claim.outcome == "replay":
            return ConsumeOutcome("duplicate", retry=False, message_id=claim.item.get("message_id"))
        if claim.outcome == "in_progress":
            return ConsumeOutcome("busy", retry=True, reason="another delivery of this request is being sent")
        try:
            result = self.sender.send_text(
                job["destination"],
                job["body"],
                origination_identity=job.get("origination_identity"),
                configuration_set_name=job.get("configuration_set"),
                message_type=job["message_type"],
                context=job["context"],
                deadline=deadline,
            )
        except RecipientOptedOut:
            self._finish(key, STATUS_OPTED_OUT, reason="recipient opted out")
            return ConsumeOutcome("opted_out", retry=False, reason="recipient opted out")
        except SmsSendError as error:
            if error.retryable:
                self._unclaim(key)
                return ConsumeOutcome("retry", retry=True, reason=error.code)
            reason = f"{error.code} ({error.reason})" if error.reason else error.code
            self._finish(key, STATUS_FAILED, reason=reason)
            return ConsumeOutcome("failed", retry=False, reason=reason)
        except Exception as error:  # noqa: BLE001 - e.g. the opt-out registry failing: retry later
            self._unclaim(key)
            return ConsumeOutcome("retry", retry=True, reason=getattr(error, "code", type(error).__name__))
        self._finish(key, STATUS_SENT, message_id=result.message_id)
        return ConsumeOutcome("sent", retry=False, message_id=result.message_id)

    def _finish(self, key: str, status: str, *, message_id: str | None = None, reason: str | None = None) -> None:
        try:
            self.store.finish_send(key, status, message_id=message_id, reason=reason)
        except BridgeDependencyError as error:  # the send is done; the lock expires, a redelivery may resend
            _LOGGER.error("recording %s for a sent job failed (%s)", status, error.code)

    def _unclaim(self, key: str) -> None:
        try:
            self.store.unclaim_send(key)
        except BridgeDependencyError as error:  # the lock expires by itself
            _LOGGER.warning("releasing a send claim failed (%s)", error.code)


OUTCOME_METRICS = {
    "sent": "Sent",
    "duplicate": "Duplicates",
    "busy": "Busy",
    "opted_out": "OptedOut",
    "retry": "Retried",
    "failed": "DeadLettered",
    "malformed": "DeadLettered",
}
"""The metric counted for each :attr:`ConsumeOutcome.result`."""


@dataclass(frozen=True, kw_only=True)
class BridgeConsumerSettings(FunctionSettings):
    """The consumer function's settings (``AdobeSmsBridge`` writes them)."""

    construct: ClassVar[str] = "AdobeSmsBridge"
    message_parts_per_second: float = variable(
        "BRIDGE_MESSAGE_PARTS_PER_SECOND", default=1.0, doc="the send rate of all copies together (MPS)"
    )
    consumer_concurrency: int = variable(
        "BRIDGE_CONSUMER_CONCURRENCY", default=1, doc="the most concurrent copies (the queue's maximum concurrency)"
    )
    dead_letter_queue_url: str | None = variable(
        "DEAD_LETTER_QUEUE_URL", default=None, doc="where jobs that can never be sent go, with their reason"
    )

    @property
    def per_process_rate(self) -> float:
        """This copy's share of the configured message parts per second."""
        return self.message_parts_per_second / max(1, self.consumer_concurrency)


def build_consumer(
    settings: BridgeConsumerSettings,
    store: IdempotencyStoreSettings,
    sender: SmsSenderSettings,
    opt_out: OptOutRegistrySettings | None = None,
) -> BridgeConsumer:
    """The consumer function's :class:`BridgeConsumer` from its settings (keep it for the container's life: the
    limiter's schedule carries over from batch to batch)."""
    from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender  # noqa: PLC0415

    senders = configuration_set_senders(sender, may_send=opt_out_policy(opt_out))
    return BridgeConsumer(
        store=IdempotencyStore.from_settings(store),
        rate_limited_sender=RateLimitedSmsSender(senders, parts_per_second=settings.per_process_rate),
    )


def process_batch(
    event: Mapping[str, Any],
    bridge_consumer: BridgeConsumer,
    *,
    deadline: float | None,
    dead_letter_queue: DeadLetterQueue,
    logger: Any = _LOGGER,
    count: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The partial batch response for one SQS event; ``count(metric_name)`` counts each outcome."""

    def handle(record: Mapping[str, Any]) -> None:
        outcome = bridge_consumer.process(record.get("body", ""), deadline=deadline)
        logger.info(
            "send job",
            extra={
                "sqs_message_id": record.get("messageId", ""),
                "result": outcome.result,
                "reason": outcome.reason,
                "sms_message_id": outcome.message_id,
            },
        )
        if count is not None:
            count(OUTCOME_METRICS[outcome.result])
        keep = outcome.retry
        if outcome.result in ("failed", "malformed"):
            keep = not _dead_letter(record, outcome.reason or outcome.result, dead_letter_queue, logger)
        if keep:
            raise RetryRecord(outcome.reason or outcome.result)

    return process_sqs_batch(event, handle, logger=logger)


def _dead_letter(record: Mapping[str, Any], reason: str, queue: DeadLetterQueue, logger: Any) -> bool:
    """Move a job that can never be sent to the DLQ with its reason; ``False`` keeps it in the queue instead."""
    if not queue.configured:
        return False
    try:
        queue.send(record, reason)
    except Exception:
        logger.exception("dead-lettering a job failed")
        return False
    return True


__all__ = [
    "OUTCOME_METRICS",
    "BridgeConsumer",
    "BridgeConsumerSettings",
    "ConsumeOutcome",
    "build_consumer",
    "process_batch",
]
