"""The ``started`` / ``succeeded`` / ``failed`` notifications of an import: SNS and the event lake."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.audience.import_errors import ImportRetryableError
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.import_source import ImportSource
from pinpoint_runtime.core.aws_clients import LazyClient
from pinpoint_runtime.core.timestamps import iso_utc


class ImportNotificationType(enum.StrEnum):
    """The notifications of an import (SNS message attribute ``notification_type``, lake ``_import.<type>``)."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


NOTIFICATION_TYPES = tuple(t.value for t in ImportNotificationType)
EVENT_TYPE_PREFIX = "_import."


class ImportNotifier:
    """Publishes ``started`` / ``succeeded`` / ``failed`` to the SNS topic (JSON message, message attribute
    ``notification_type`` for subscription filters) and, with an event writer, the same as ``_import.<type>``
    events into the event lake (Pinpoint ``put_events`` shape; counts as metrics)."""

    def __init__(
        self,
        topic_arn: str | None,
        *,
        application_id: str,
        sns_client: Any = None,
        event_writer: Any = None,
    ) -> None:
        self.topic_arn = topic_arn
        self.application_id = application_id
        self._sns = sns_client
        self.event_writer = event_writer

    sns = LazyClient("sns", "_sns")

    def publish(self, notification_type: str, message: Mapping[str, Any]) -> None:
        if notification_type not in NOTIFICATION_TYPES:
            raise ValueError(f"notification_type must be one of {NOTIFICATION_TYPES}")
        body = {"notification_type": notification_type, **message}
        if self.topic_arn:
            self.sns.publish(
                TopicArn=self.topic_arn,
                Subject=_subject(notification_type, str(message.get("file") or "")),
                Message=json.dumps(body, sort_keys=True, default=str),
                MessageAttributes={"notification_type": {"DataType": "String", "StringValue": notification_type}},
            )
        if self.event_writer is not None:
            self._put_event(notification_type, body)

    def _put_event(self, notification_type: str, body: Mapping[str, Any]) -> None:
        attributes: dict[str, str] = {}
        metrics: dict[str, float] = {}
        for name, value in body.items():
            if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
                if isinstance(value, dict) and name == "segment":
                    attributes.update({f"segment_{k}": str(v)[:200] for k, v in value.items() if v is not None})
                continue
            if isinstance(value, (int, float)):
                metrics[name] = float(value)
            else:
                attributes[name] = str(value)[:200]
        import_id = str(body.get("import_id") or "import")
        event = {
            "EventType": f"{EVENT_TYPE_PREFIX}{notification_type}",
            "Timestamp": iso_utc(),
            "Attributes": dict(list(attributes.items())[:40]),
            "Metrics": dict(list(metrics.items())[:40]),
        }
        response = self.event_writer.put_events(
            {
                "ApplicationId": self.application_id,
                "EventsRequest": {"BatchItem": {import_id: {"Endpoint": {}, "Events": {notification_type: event}}}},
            }
        )
        outcome = response["EventsResponse"]["Results"][import_id]["EventsItemResponse"][notification_type]
        if outcome.get("StatusCode") != 202:
            raise ImportRetryableError(f"the {notification_type} event was not accepted by the event lake: {outcome}")


def notifier_from_environment(settings: ImportSettings, *, sns_client: Any = None) -> ImportNotifier:
    """The notifier of the import functions: the settings' topic, and the event lake when the function is a
    producer of an EventStreamToS3 (``PINPOINT_EVENT_STREAM_NAME`` set)."""
    from pinpoint_runtime.events.stream import EventStreamSettings, EventStreamWriter  # noqa: PLC0415

    lake = EventStreamSettings.from_environment_if_set()
    writer = EventStreamWriter(application_id=settings.application_id) if lake is not None else None
    return ImportNotifier(
        settings.topic_arn, application_id=settings.application_id, sns_client=sns_client, event_writer=writer
    )


def _subject(notification_type: str, file_name: str) -> str:
    """SNS subjects: ASCII printable, no line breaks, at most 100 characters."""
    text = f"Endpoint import {notification_type}: {file_name}"
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text[:100]


def _source_message(import_id: str, source: ImportSource) -> dict[str, Any]:
    return {
        "import_id": import_id,
        "bucket": source.bucket,
        "key": source.key,
        "version_id": source.version_id,
        "file": source.file_name,
    }
