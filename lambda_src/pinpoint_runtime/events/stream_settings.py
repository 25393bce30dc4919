"""What a producer of the event lake reads: its own module, importing nothing heavy, so that a handler may declare
it in ``SETTINGS`` without importing the writer (:mod:`pinpoint_runtime.events.stream`) on its cold start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pinpoint_runtime.core.environment import FunctionSettings, variable


@dataclass(frozen=True, kw_only=True)
class EventStreamSettings(FunctionSettings):
    """What a producer of the event lake reads (``EventStreamToS3.add_producer`` writes it on any function)."""

    construct: ClassVar[str] = "EventStreamToS3"
    delivery_stream_name: str = variable("PINPOINT_EVENT_STREAM_NAME", doc="the lake's Firehose stream")
    application_id: str | None = variable(
        "APPLICATION_ID", default=None, doc="default ``application.app_id`` of the events written"
    )
    account_id: str | None = variable(
        "AWS_ACCOUNT_ID", default=None, doc="``awsAccountId`` written when none is passed (else empty)"
    )


__all__ = ["EventStreamSettings"]
