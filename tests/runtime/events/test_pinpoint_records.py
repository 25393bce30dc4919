"""Tests of pinpoint_runtime.events.pinpoint_records: Pinpoint-shaped records passed through."""

from __future__ import annotations

from pinpoint_runtime.events.event_types import LIBRARY_SDK_NAME
from tests.runtime.events.record_samples import (
    ACCOUNT,
    APP_ID,
    ARRIVAL,
    normalize,
    sample,
)

# ------------------------------------------------------------------------------------------- Pinpoint shape


def test_pinpoint_record_passes_through_unchanged_where_complete() -> None:
    original = sample("pinpoint_legacy_events.jsonl", 1)
    event = normalize(original)
    assert event.record == {**original, "metrics": {}}
    assert event.record["arrival_timestamp"] == 1562109497494  # kept, not replaced by the lake's arrival


def test_pinpoint_email_sample_keeps_its_facets() -> None:
    original = sample("pinpoint_legacy_events.jsonl", 3)
    event = normalize(original)
    assert event.record["facets"] == original["facets"]
    assert event.record["attributes"] == {"feedback": "received"}


def test_library_source_is_marked_by_sdk_name() -> None:
    record = {
        "event_type": "_SMS.SUCCESS",
        "event_timestamp": ARRIVAL,
        "application": {"sdk": {"name": LIBRARY_SDK_NAME}},
    }
    event = normalize(record)
    assert (event.source, event.kind) == ("library", "sms_success")
    assert event.record["application"] == {"app_id": APP_ID, "sdk": {"name": LIBRARY_SDK_NAME}}


def test_pinpoint_record_gaps_filled_and_maps_coerced() -> None:
    record = {
        "event_type": "custom.purchase",
        "event_timestamp": ARRIVAL - 1000,
        "attributes": {"plan": "premium", "seats": 5, "trial": False, "note": None, "tags": ["a", "b"]},
        "metrics": {"amount": 19, "ratio": 0.5, "label": "x", "flag": True, "nothing": None},
        "client_context": {"custom": {"endpoint": {"ChannelType": "SMS"}}},
    }
    event = normalize(record)
    out = event.record
    assert (event.source, event.kind, event.dt) == ("app", "custom", "2025-11-22")
    assert out["arrival_timestamp"] == ARRIVAL
    assert out["event_version"] == "3.1"
    assert out["awsAccountId"] == ACCOUNT
    assert out["application"] == {"app_id": APP_ID, "sdk": {}}
    assert out["attributes"] == {
        "plan": "premium",
        "seats": "5",
        "trial": "false",
        "note": "null",
        "tags": '["a","b"]',
        "dropped_metrics": "label,flag,nothing",
    }
    assert out["metrics"] == {"amount": 19.0, "ratio": 0.5}
    assert out["client_context"] == {"custom": {"endpoint": '{"ChannelType":"SMS"}'}}


def test_pinpoint_record_with_non_object_structs_keeps_them_as_attributes() -> None:
    event = normalize({"event_type": "custom.x", "session": "s-1", "attributes": [1], "metrics": 3})
    assert "session" not in event.record
    assert event.record["attributes"] == {"invalid_session": "s-1", "invalid_attributes": "[1]", "invalid_metrics": "3"}
    assert event.record["metrics"] == {}
