"""Tests of pinpoint_runtime.events.event_types: the registered event types and their kinds."""

from __future__ import annotations

import pytest

from pinpoint_runtime.events.event_types import EVENT_KINDS, KIND_VALUES, SOURCES, Source, kind_for
from tests.runtime.events.record_samples import (
    KIND_RE,
)

# ------------------------------------------------------------------------------------------- kinds


def test_kind_values_are_path_safe_and_cover_the_contract() -> None:
    required = {
        "email_send",
        "email_delivered",
        "email_hardbounce",
        "email_softbounce",
        "email_complaint",
        "email_open",
        "email_click",
        "email_unsubscribe",
        "email_rejected",
        "email_rendering_failure",
        "email_delivery_delay",
        "sms_buffered",
        "sms_success",
        "sms_failure",
        "sms_optout",
        "campaign_send",
        "journey_send",
        "session",
        "sms_inbound",
        "sms_optin",
        "import_job",  # _import.started / succeeded / failed (S3TriggeredImport notifications)
        "custom",
        "unknown",
    }
    assert set(KIND_VALUES) == required
    assert len(KIND_VALUES) == len(set(KIND_VALUES))
    assert all(KIND_RE.match(kind) for kind in KIND_VALUES)
    assert KIND_VALUES[-2:] == ("custom", "unknown")


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("_email.send", "email_send"),
        ("_SMS.SUCCESS", "sms_success"),
        ("_campaign.send", "campaign_send"),
        ("_journey.send", "journey_send"),
        ("_session.start", "session"),
        ("_session.stop", "session"),
        ("custom.xyz", "custom"),
        ("_sms.success", "custom"),
        ("", "custom"),
        ("../../etc", "custom"),
    ],
)
def test_kind_for(event_type: str, kind: str) -> None:
    assert kind_for(event_type) == kind


def test_kind_for_never_raises_on_non_strings() -> None:
    assert kind_for(None) == "custom"  # type: ignore[arg-type]
    assert kind_for(["_email.send"]) == "custom"  # type: ignore[arg-type]
    assert set(EVENT_KINDS.values()) <= set(KIND_VALUES)


def test_sources_are_the_source_enum_values() -> None:
    assert SOURCES == ("sms", "ses", "app", "library", "unknown")
    assert tuple(Source) == SOURCES
    assert Source.LIBRARY == "library" and f"{Source.SES}/x" == "ses/x"
