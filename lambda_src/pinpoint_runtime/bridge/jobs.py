"""The queued job: what the send service puts on the send queue and the consumer reads back (version 1)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from pinpoint_runtime.bridge.contract import MESSAGE_TYPES
from pinpoint_runtime.phone import is_e164

if TYPE_CHECKING:
    from pinpoint_runtime.bridge.contract import SendRequest


def build_job(request: SendRequest, key: str, fingerprint: str, request_id: str) -> dict[str, Any]:
    """The job of an accepted request (the message body :func:`parse_job` reads)."""
    job = {
        "version": 1,
        "request_id": request_id,
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "destination": request.destination,
        "body": request.body,
        "message_type": request.message_type,
        "context": request.context(request_id),
        "accepted_at": int(time.time() * 1000),
    }
    if request.origination_identity:
        job["origination_identity"] = request.origination_identity
    if request.configuration_set:
        job["configuration_set"] = request.configuration_set
    return job


_JOB_STRINGS = ("request_id", "idempotency_key", "fingerprint", "destination", "body", "message_type")


def parse_job(body: str) -> dict[str, Any]:
    """A queued job (written by :func:`build_job`); ``ValueError`` with a fixed reason when malformed."""
    try:
        job = json.loads(body)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("job is not JSON") from None
    if not isinstance(job, dict) or job.get("version") != 1:
        raise ValueError("job is not a version 1 bridge job")
    for name in _JOB_STRINGS:
        if not isinstance(job.get(name), str) or not job[name]:
            raise ValueError(f"job has no {name}")
    if not is_e164(job["destination"]):
        raise ValueError("job destination is not E.164")
    if job["message_type"] not in MESSAGE_TYPES:
        raise ValueError("job message_type is invalid")
    context = job.get("context")
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        raise ValueError("job context is invalid")
    return job


__all__ = ["build_job", "parse_job"]
