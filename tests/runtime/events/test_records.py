"""Tests of pinpoint_runtime.events.records: source detection, parsing, unknown and malformed records."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.events.event_types import EVENT_KINDS
from pinpoint_runtime.events.records import MalformedRecord
from tests.runtime.events.record_samples import (
    ACCOUNT,
    ARRIVAL,
    SAMPLES_DIR,
    assert_lake_record,
    normalize,
)

# ------------------------------------------------------------------------------------------- sample records

SAMPLE_EXPECTATIONS = [
    # file, line, event_type, source, kind, dt
    ("ses_events.jsonl", 0, "_email.send", "ses", "email_send", "2017-08-05"),
    ("ses_events.jsonl", 1, "_email.delivered", "ses", "email_delivered", "2017-08-05"),
    ("ses_events.jsonl", 2, "_email.hardbounce", "ses", "email_hardbounce", "2017-08-05"),
    ("ses_events.jsonl", 3, "_email.complaint", "ses", "email_complaint", "2017-08-05"),
    ("ses_events.jsonl", 4, "_email.open", "ses", "email_open", "2017-08-05"),
    ("ses_events.jsonl", 5, "_email.click", "ses", "email_click", "2017-08-05"),
    ("sms_v2_events.jsonl", 0, "_SMS.SUCCESS", "sms", "sms_success", "2023-06-17"),
    ("pinpoint_legacy_events.jsonl", 0, "_SMS.SUCCESS", "app", "sms_success", "2019-03-20"),
    ("pinpoint_legacy_events.jsonl", 1, "_campaign.send", "app", "campaign_send", "2019-07-02"),
    ("pinpoint_legacy_events.jsonl", 2, "_journey.send", "app", "journey_send", "2019-11-05"),
    ("pinpoint_legacy_events.jsonl", 3, "_email.send", "app", "email_send", "2019-08-01"),
]


def test_every_sample_record_has_an_expectation() -> None:
    found = {
        (path.name, index)
        for path in SAMPLES_DIR.glob("*.jsonl")
        for index, line in enumerate(path.read_text(encoding="utf-8").splitlines())
        if line.strip()
    }
    assert found == {(name, index) for name, index, *_ in SAMPLE_EXPECTATIONS}


@pytest.mark.parametrize(("file_name", "index", "event_type", "source", "kind", "dt"), SAMPLE_EXPECTATIONS)
def test_sample_record_partitions(file_name: str, index: int, event_type: str, source: str, kind: str, dt: str):
    line = (SAMPLES_DIR / file_name).read_text(encoding="utf-8").splitlines()[index]
    event = normalize(line.encode("utf-8") + b"\n")
    assert (event.record["event_type"], event.source, event.kind, event.dt) == (event_type, source, kind, dt)
    assert event.partition_keys == {"source": source, "kind": kind, "dt": dt}
    assert event.record["event_version"] == "3.1"
    assert_lake_record(event)


def test_dict_input_is_not_modified() -> None:
    record = {"event_type": "custom.x", "attributes": {"n": 1}, "metrics": {"m": "bad"}}
    before = copy.deepcopy(record)
    normalize(record)
    assert record == before


# ------------------------------------------------------------------------------------------- unknown / malformed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"hello": "world"}, "missing event type"),
        ({"event_type": "", "x": 1}, "missing event type"),
        ({"event_type": "   "}, "missing event type"),
        ({"event_type": 42}, "missing event type"),
        ({"eventType": None, "mail": {}}, "missing event type"),
        ({"eventType": "Bounce"}, "unrecognised source"),
        ({"eventType": "TEXT_SUCCESSFUL", "messageId": "m"}, "unrecognised source"),
        ({"eventType": "Bounce", "mail": "not an object"}, "unrecognised source"),
    ],
)
def test_unrecognised_records_are_kept_as_unknown(raw: dict, reason: str) -> None:
    text = json.dumps(raw)
    event = normalize(text.encode("utf-8"))
    assert (event.source, event.kind, event.dt) == ("unknown", "unknown", "2025-11-22")
    assert event.record["event_type"] == "_unknown"
    assert event.record["event_timestamp"] == ARRIVAL
    assert event.record["arrival_timestamp"] == ARRIVAL
    assert event.record["attributes"] == {"raw_record": text, "reason": reason}
    assert event.record["client"] == {"client_id": ACCOUNT}
    assert_lake_record(event)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'{"event_type": "_email.send"',
        b"[1, 2, 3]",
        b'"a string"',
        b"42",
        b"null",
        b"\xff\xfe{}",
        b'{"a": "\xc3\x28"}',
        b'{"metrics": {"m": NaN}}',
        b'{"m": 1e400}',
        b"[" * 70 + b"]" * 70,
        b'{"a":' * 70 + b"1" + b"}" * 70,
        "{'single': 'quotes'}",
        12345,
    ],
)
def test_malformed_records_raise(raw: Any) -> None:
    with pytest.raises(MalformedRecord):
        normalize(raw)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}, b"bytes"])
def test_dict_input_that_is_not_json_raises(value: Any) -> None:
    with pytest.raises(MalformedRecord):
        normalize({"event_type": "custom.x", "metrics": {"m": value}})


def test_json_with_bom_and_trailing_newline_is_accepted() -> None:
    event = normalize("\ufeff" + json.dumps({"event_type": "custom.x"}) + "\n")
    assert event.record["event_type"] == "custom.x"


# ------------------------------------------------------------------------------------------- properties

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
known_types = st.sampled_from(
    [
        *sorted(EVENT_KINDS),
        "Send",
        "Delivery",
        "Bounce",
        "Complaint",
        "Open",
        "Click",
        "Reject",
        "Rendering Failure",
        "DeliveryDelay",
        "Subscription",
        "TEXT_SUCCESSFUL",
        "TEXT_BLOCKED",
        "MEDIA_QUEUED",
        "VOICE_ANSWERED",
        "custom.x",
        "",
        "  ",
    ]
)
maybe_typed = known_types | json_values
mail_values = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": st.text(max_size=30) | st.just("2017-08-05T00:40:02.012Z") | json_values,
        "source": st.text(max_size=40) | json_values,
        "sendingAccountId": json_values,
        "messageId": json_values,
        "destination": json_values,
        "headers": json_values,
        "commonHeaders": st.dictionaries(st.sampled_from(["from", "to", "subject", "date"]), json_values) | json_values,
        "tags": st.dictionaries(st.text(max_size=20), json_values, max_size=4) | json_values,
    },
)
shaped_dicts = st.fixed_dictionaries(
    {},
    optional={
        "event_type": maybe_typed,
        "eventType": maybe_typed,
        "notificationType": maybe_typed,
        "mail": mail_values | json_values,
        "messageId": json_values,
        "destinationPhoneNumber": json_values,
        "eventTimestamp": st.integers() | json_values,
        "event_timestamp": st.integers() | json_values,
        "attributes": json_values,
        "metrics": st.dictionaries(st.text(max_size=8), json_values, max_size=4) | json_values,
        "application": st.fixed_dictionaries({}, optional={"app_id": json_values, "sdk": json_values}) | json_values,
        "client_context": st.fixed_dictionaries({}, optional={"custom": json_values}) | json_values,
        "context": json_values,
        "totalMessagePrice": json_values,
        "bounce": st.fixed_dictionaries({}, optional={"bounceType": json_values, "timestamp": json_values})
        | json_values,
        "click": st.fixed_dictionaries({}, optional={"linkTags": json_values, "link": json_values}) | json_values,
        "extra": json_values,
    },
)
ses_dicts = st.fixed_dictionaries(
    {"eventType": maybe_typed, "mail": mail_values},
    optional={
        "bounce": st.fixed_dictionaries({"bounceType": json_values | st.just("Permanent")}) | json_values,
        "click": st.fixed_dictionaries({"linkTags": json_values, "link": json_values}) | json_values,
        "open": st.dictionaries(st.sampled_from(["timestamp", "ipAddress", "userAgent"]), json_values),
        "deliveryDelay": st.dictionaries(st.sampled_from(["expirationTime", "delayedRecipients"]), json_values),
        "subscription": json_values,
        "failure": json_values,
        "Mail": json_values,
    },
)
sms_dicts = st.fixed_dictionaries(
    {"eventType": maybe_typed, "messageId": json_values, "originationPhoneNumber": json_values},
    optional={
        "eventTimestamp": st.integers() | json_values,
        "messageStatus": json_values | st.just("OPTED_OUT"),
        "messageType": json_values | st.sampled_from(["PROMOTIONAL", "TRANSACTIONAL"]),
        "context": st.dictionaries(st.text(max_size=12) | st.just("endpoint_id"), json_values) | json_values,
        "totalMessagePrice": json_values,
        "totalCarrierFee": st.floats(allow_nan=False, allow_infinity=False) | st.integers() | json_values,
        "isFinal": json_values,
    },
)
event_dicts = shaped_dicts | ses_dicts | sms_dicts
arrivals = st.integers(min_value=0, max_value=4_102_444_800_000)  # 1970 .. 2100
property_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(value=json_values, arrival=arrivals)
def test_property_any_json_value_is_normalised_or_malformed(value: Any, arrival: int) -> None:
    raw = json.dumps(value).encode("utf-8")
    if not isinstance(value, dict):
        with pytest.raises(MalformedRecord):
            normalize(raw, arrival)
        return
    assert_lake_record(normalize(raw, arrival))


@property_settings
@given(raw=st.binary(max_size=200), arrival=arrivals)
def test_property_arbitrary_bytes_never_crash(raw: bytes, arrival: int) -> None:
    try:
        event = normalize(raw, arrival)
    except MalformedRecord:
        return
    assert_lake_record(event)


@property_settings
@given(record=event_dicts, arrival=arrivals)
def test_property_event_shaped_dicts_always_normalise(record: dict[str, Any], arrival: int) -> None:
    before = copy.deepcopy(record)
    from_dict = normalize(record, arrival)
    from_bytes = normalize(json.dumps(record).encode("utf-8"), arrival)
    assert record == before
    for event in (from_dict, from_bytes):
        assert_lake_record(event)
    assert (from_dict.source, from_dict.kind, from_dict.dt) == (from_bytes.source, from_bytes.kind, from_bytes.dt)
    if from_dict.source == "unknown":
        assert json.loads(from_dict.record["attributes"]["raw_record"]) == record
