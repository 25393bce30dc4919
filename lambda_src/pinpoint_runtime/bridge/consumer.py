"""The queue consumer: sends accepted jobs at the configured rate, exactly once per idempotency key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.bridge.errors import BridgeDependencyError
from pinpoint_runtime.bridge.idempotency import STATUS_FAILED, STATUS_OPTED_OUT, STATUS_SENT, IdempotencyStore
from pinpoint_runtime.bridge.jobs import parse_job

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


__all__ = ["BridgeConsumer", "ConsumeOutcome"]
