"""What the lake's records are: the Pinpoint event types it knows, their ``kind`` and the ``source`` partitions."""

from __future__ import annotations

from enum import StrEnum

LIBRARY_SDK_NAME = "pinpoint-constructs"
"""``application.sdk.name`` that marks the library's own delivery events (source ``library``)."""

EVENT_VERSION = "3.1"
"""``event_version`` Pinpoint wrote on event-stream records; filled in when a record lacks one."""

UNKNOWN_EVENT_TYPE = "_unknown"
"""``event_type`` of records whose shape is not recognised (kind ``unknown``)."""


class Source(StrEnum):
    """Where a record came from: the ``source`` partition key (detected by the record's shape)."""

    SMS = "sms"
    """End User Messaging SMS v2 event records."""
    SES = "ses"
    """SES event-publishing records."""
    APP = "app"
    """Pinpoint-shaped records of applications and partners (``put_events``)."""
    LIBRARY = "library"
    """The library's own delivery events (``application.sdk.name == LIBRARY_SDK_NAME``)."""
    UNKNOWN = "unknown"
    """Records of an unrecognised shape, kept with the raw record."""


SOURCES: tuple[str, ...] = tuple(source.value for source in Source)
"""Values of the ``source`` partition key."""

CUSTOM_KIND = "custom"
"""``kind`` of Pinpoint-shaped records whose event type is not registered in :data:`EVENT_KINDS`."""

UNKNOWN_KIND = "unknown"
"""``kind`` of records of source ``unknown``."""

EVENT_KINDS: dict[str, str] = {
    "_email.send": "email_send",
    "_email.delivered": "email_delivered",
    "_email.hardbounce": "email_hardbounce",
    "_email.softbounce": "email_softbounce",
    "_email.complaint": "email_complaint",
    "_email.open": "email_open",
    "_email.click": "email_click",
    "_email.unsubscribe": "email_unsubscribe",
    "_email.rejected": "email_rejected",
    "_email.rendering_failure": "email_rendering_failure",
    "_email.delivery_delay": "email_delivery_delay",
    "_SMS.BUFFERED": "sms_buffered",
    "_SMS.SUCCESS": "sms_success",
    "_SMS.FAILURE": "sms_failure",
    "_SMS.OPTOUT": "sms_optout",
    "_SMS.OPTIN": "sms_optin",
    "_sms.inbound": "sms_inbound",
    "_campaign.send": "campaign_send",
    "_journey.send": "journey_send",
    "_session.start": "session",
    "_session.stop": "session",
    "_import.started": "import_job",
    "_import.succeeded": "import_job",
    "_import.failed": "import_job",
}
"""Registered Pinpoint event types and their ``kind`` partition value (an S3 path segment, ``^[a-z0-9_]+$``)."""

KIND_VALUES: tuple[str, ...] = (*tuple(sorted(set(EVENT_KINDS.values()))), CUSTOM_KIND, UNKNOWN_KIND)
"""Every value of the ``kind`` partition key (the Glue partition-projection enum)."""


def kind_for(event_type: str) -> str:
    """Return the registered kind of a Pinpoint event type, else ``"custom"``; never raises."""
    if not isinstance(event_type, str):
        return CUSTOM_KIND
    return EVENT_KINDS.get(event_type, CUSTOM_KIND)
