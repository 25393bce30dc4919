"""Tests of pinpoint_runtime.events.records: SES / SMS v2 / Pinpoint records -> Pinpoint event-stream records."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.events.records import (
    EVENT_KINDS,
    KIND_VALUES,
    LIBRARY_SDK_NAME,
    SES_TAG_ENCODED_PREFIX,
    SOURCES,
    MalformedRecord,
    NormalizedEvent,
    decode_ses_tag_value,
    encode_ses_tag_value,
    kind_for,
    normalize_record,
    partition_date,
    to_epoch_ms,
)
from tests.conftest import SAMPLE_EVENTS_DIR

SAMPLES_DIR = SAMPLE_EVENTS_DIR
APP_ID = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
ACCOUNT = "111122223333"
ARRIVAL = 1_763_800_000_000  # 2025-11-22T08:26:40Z
DAY_MS = 86_400_000
KIND_RE = re.compile(r"^[a-z0-9_]+$")
DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalize(raw: Any, arrival: int = ARRIVAL) -> NormalizedEvent:
    return normalize_record(raw, arrival_timestamp_ms=arrival, application_id=APP_ID, account_id=ACCOUNT)


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def sample(file_name: str, index: int) -> dict[str, Any]:
    lines = (SAMPLES_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return json.loads(lines[index])


def mail_event(event: NormalizedEvent) -> dict[str, Any]:
    return event.record["facets"]["email_channel"]["mail_event"]


def assert_lake_record(event: NormalizedEvent) -> None:
    """Invariants every output record keeps (Glue column types and partition key formats)."""
    record = event.record
    assert event.source in SOURCES
    assert event.kind in KIND_VALUES and KIND_RE.match(event.kind)
    assert DT_RE.match(event.dt)
    assert isinstance(record["event_type"], str) and record["event_type"].strip()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in record["attributes"].items())
    assert all(isinstance(k, str) and type(v) is float for k, v in record["metrics"].items())
    assert isinstance(record["application"]["app_id"], str)
    json.dumps(record, allow_nan=False)  # valid JSON for Athena: no NaN/Infinity, only JSON types


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


def test_ses_bounce_becomes_hardbounce_with_snake_case_facets() -> None:
    event = normalize(sample("ses_events.jsonl", 2))
    record = event.record
    assert record["event_timestamp"] == ms("2017-08-05T00:41:02.669")
    assert record["arrival_timestamp"] == ARRIVAL
    assert record["attributes"] == {"feedback": "bounced", "configuration_set": "ConfigSet"}
    assert record["client"] == {"client_id": "123456789012"}
    assert record["awsAccountId"] == "123456789012"
    assert record["application"] == {"app_id": APP_ID, "sdk": {}}
    bounce = mail_event(event)["bounce"]
    assert bounce["bounce_type"] == "Permanent"
    assert bounce["bounce_sub_type"] == "General"
    assert bounce["reporting_mta"] == "dsn; mta.example.com"
    assert bounce["timestamp"] == ms("2017-08-05T00:41:02.669")
    assert bounce["bounced_recipients"] == [
        {
            "email_address": "recipient@example.com",
            "action": "failed",
            "status": "5.1.1",
            "diagnostic_code": "smtp; 550 5.1.1 user unknown",
        }
    ]


def test_ses_mail_becomes_pinpoint_mail_facet() -> None:
    mail = mail_event(normalize(sample("ses_events.jsonl", 0)))["mail"]
    assert mail["message_id"] == "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
    assert mail["message_send_timestamp"] == ms("2017-08-05T00:40:02.012")
    assert mail["from_address"] == "sender@example.com"
    assert mail["destination"] == ["recipient@example.com"]
    assert mail["headers_truncated"] is False
    assert mail["headers"][2] == {"name": "Subject", "value": "Message sent from Amazon SES"}
    assert mail["common_headers"]["from"] == "Sender Name <sender@example.com>"
    assert mail["common_headers"]["to"] == ["recipient@example.com"]
    assert mail["common_headers"]["subject"] == "Message sent from Amazon SES"


def test_ses_send_uses_mail_timestamp_and_empty_send_facet() -> None:
    event = normalize(sample("ses_events.jsonl", 0))
    assert event.record["event_timestamp"] == ms("2017-08-05T00:40:02.012")
    assert event.record["attributes"]["feedback"] == "received"
    assert mail_event(event)["send"] == {}


def test_ses_delivery_open_click_complaint_bodies() -> None:
    delivery = normalize(sample("ses_events.jsonl", 1))
    assert delivery.record["attributes"]["feedback"] == "delivered"
    assert mail_event(delivery)["delivery"] == {
        "timestamp": ms("2017-08-05T00:40:04"),
        "processing_time_millis": 1310,
        "recipients": ["recipient@example.com"],
        "smtp_response": "250 2.6.0 Message received",
        "reporting_mta": "mta.example.com",
    }
    complaint = mail_event(normalize(sample("ses_events.jsonl", 3)))["complaint"]
    assert complaint["complained_recipients"] == [{"email_address": "recipient@example.com"}]
    assert complaint["complaint_feedback_type"] == "abuse"
    opened = normalize(sample("ses_events.jsonl", 4))
    assert opened.record["attributes"]["feedback"] == "opened"
    assert mail_event(opened)["open"] == {
        "ip_address": "192.0.2.1",
        "timestamp": ms("2017-08-05T00:45:02"),
        "user_agent": "Mozilla/5.0",
    }
    clicked = normalize(sample("ses_events.jsonl", 5))
    assert clicked.record["attributes"]["feedback"] == "https://example.com/offer"
    assert mail_event(clicked)["click"]["link_tags"] == {"campaign": ["spring"]}
    assert mail_event(clicked)["click"]["link"] == "https://example.com/offer"


def ses_record(event_type: str, body_key: str | None = None, body: dict | None = None, **mail: Any) -> dict:
    record = copy.deepcopy(sample("ses_events.jsonl", 0))
    record.pop("send")
    record["eventType"] = event_type
    record["mail"].update(mail)
    if body_key is not None:
        record[body_key] = body or {}
    return record


@pytest.mark.parametrize(
    ("event_type", "body_key", "body", "expected_type", "expected_kind"),
    [
        (
            "Bounce",
            "bounce",
            {"bounceType": "Transient", "bounceSubType": "MailboxFull"},
            "_email.softbounce",
            "email_softbounce",
        ),
        ("Bounce", "bounce", {"bounceType": "Undetermined"}, "_email.softbounce", "email_softbounce"),
        ("Reject", "reject", {"reason": "Bad content"}, "_email.rejected", "email_rejected"),
        ("Subscription", "subscription", {"contactList": "news"}, "_email.unsubscribe", "email_unsubscribe"),
        (
            "Click",
            "click",
            {"link": "https://x.example/u", "linkTags": {"unsubscribeLinkTag": ["1"]}},
            "_email.unsubscribe",
            "email_unsubscribe",
        ),
        (
            "Rendering Failure",
            "failure",
            {"errorMessage": "no var", "templateName": "t1"},
            "_email.rendering_failure",
            "email_rendering_failure",
        ),
        (
            "DeliveryDelay",
            "deliveryDelay",
            {"delayType": "MailboxFull"},
            "_email.delivery_delay",
            "email_delivery_delay",
        ),
        ("BrandNewThing", None, None, "_email.brandnewthing", "custom"),
    ],
)
def test_ses_event_type_mapping(event_type, body_key, body, expected_type, expected_kind) -> None:
    event = normalize(ses_record(event_type, body_key, body))
    assert (event.record["event_type"], event.kind, event.source) == (expected_type, expected_kind, "ses")
    assert_lake_record(event)


def test_ses_rendering_failure_delivery_delay_and_subscription_facets() -> None:
    failure = normalize(ses_record("Rendering Failure", "failure", {"errorMessage": "boom", "templateName": "t1"}))
    assert mail_event(failure)["rendering_failure"] == {"error_message": "boom", "template_name": "t1"}
    delay = normalize(
        ses_record(
            "DeliveryDelay",
            "deliveryDelay",
            {
                "delayType": "TransientCommunicationFailure",
                "expirationTime": "2017-08-06T00:00:00Z",
                "reportingMTA": "mta",
                "timestamp": "2017-08-05T01:00:00Z",
            },
        )
    )
    assert mail_event(delay)["delivery_delay"] == {
        "delay_type": "TransientCommunicationFailure",
        "expiration_time": ms("2017-08-06T00:00:00"),
        "reporting_mta": "mta",
        "timestamp": ms("2017-08-05T01:00:00"),
    }
    assert delay.record["event_timestamp"] == ms("2017-08-05T01:00:00")
    subscription = normalize(
        ses_record(
            "Subscription",
            "subscription",
            {
                "contactList": "news",
                "timestamp": "2017-08-05T02:00:00Z",
                "newTopicPreferences": {"unsubscribeAll": True},
            },
        )
    )
    assert mail_event(subscription)["subscription"] == {
        "contact_list": "news",
        "timestamp": str(ms("2017-08-05T02:00:00")),
        "new_topic_preferences": '{"unsubscribe_all":true}',
    }


def test_ses_notification_type_and_v2_spelling_are_accepted() -> None:
    record = ses_record("Bounce", "bounce", {"bounceType": "Permanent"})
    record["notificationType"] = record.pop("eventType")
    assert normalize(record).record["event_type"] == "_email.hardbounce"
    assert normalize(ses_record("RENDERING_FAILURE")).record["event_type"] == "_email.rendering_failure"


def test_ses_tags_become_attributes_and_endpoint_id_becomes_client_id() -> None:
    tags = {
        "ses:configuration-set": ["Marketing"],
        "ses:source-ip": ["192.0.2.0"],
        "campaign_id": ["cmp-1"],
        "treatment_id": ["0"],
        "journey_id": ["j-9"],
        "endpoint_id": ["ep-42"],
        "feedback": ["spoofed"],
    }
    event = normalize(ses_record("Send", "send", {}, tags=tags))
    assert event.record["client"]["client_id"] == "ep-42"
    assert event.record["attributes"] == {
        "campaign_id": "cmp-1",
        "treatment_id": "0",
        "journey_id": "j-9",
        "configuration_set": "Marketing",
        "feedback": "received",  # the event's own feedback wins over a tag of the same name
    }


@settings(max_examples=400)
@given(st.text(max_size=120))
def test_ids_survive_ses_tags_exactly(identifier: str) -> None:
    value = encode_ses_tag_value(identifier)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value)  # what SES accepts as a message tag value
    if len(identifier.encode("utf-8", "surrogatepass")) <= 186:  # fits 256 characters once encoded
        assert decode_ses_tag_value(value) == identifier


@given(st.from_regex(r"[A-Za-z0-9_-]{1,256}", fullmatch=True))
def test_ids_that_are_valid_tag_values_are_written_as_they_are(identifier: str) -> None:
    expected = identifier if not identifier.startswith(SES_TAG_ENCODED_PREFIX) else encode_ses_tag_value(identifier)
    assert encode_ses_tag_value(identifier) == expected and decode_ses_tag_value(expected) == identifier


def test_an_id_too_long_to_encode_is_kept_lossily_and_bad_encodings_are_left_alone() -> None:
    long_id = "user." + "x" * 250
    assert encode_ses_tag_value(long_id) == ("user_" + "x" * 250)[:256]
    assert decode_ses_tag_value(SES_TAG_ENCODED_PREFIX + "%%%") == SES_TAG_ENCODED_PREFIX + "%%%"
    assert decode_ses_tag_value(SES_TAG_ENCODED_PREFIX + "_w") == SES_TAG_ENCODED_PREFIX + "_w"  # not UTF-8


def test_encoded_id_tags_reach_the_lake_decoded() -> None:
    tags = {"campaign_id": [encode_ses_tag_value("Spring sale 2026")], "treatment_id": ["0"],
            "endpoint_id": [encode_ses_tag_value("user.42@example.com")],
            "partner_tag": [SES_TAG_ENCODED_PREFIX + "dXNlcg"]}  # fmt: skip
    event = normalize(ses_record("Send", "send", {}, tags=tags))
    assert event.record["client"]["client_id"] == "user.42@example.com"
    assert event.record["attributes"]["campaign_id"] == "Spring sale 2026"
    assert event.record["attributes"]["partner_tag"] == SES_TAG_ENCODED_PREFIX + "dXNlcg"  # not ours: as sent


def test_ses_unparseable_body_timestamp_falls_back_to_mail_and_is_kept_raw() -> None:
    event = normalize(ses_record("Open", "open", {"timestamp": "yesterday"}))
    assert event.record["event_timestamp"] == ms("2017-08-05T00:40:02.012")
    assert mail_event(event)["open"] == {"timestamp": None, "timestamp_raw": "yesterday"}


# ------------------------------------------------------------------------------------------- SMS v2


def test_sms_successful_becomes_sms_success() -> None:
    event = normalize(sample("sms_v2_events.jsonl", 0))
    record = event.record
    assert record["event_timestamp"] == 1686975103470
    assert record["metrics"] == {"price_in_millicents_usd": 9582.0, "carrier_fee_in_millicents_usd": 0.0}
    attributes = record["attributes"]
    assert json.loads(attributes["customer_context"]) == {"account": "bar"}
    assert attributes["account"] == "bar"
    assert attributes["origination_phone_number"] == "+12065550152"
    assert attributes["destination_phone_number"] == "+14255550156"
    assert attributes["record_status"] == "SUCCESSFUL"
    assert attributes["message_type"] == "Promotional"
    assert attributes["number_of_message_parts"] == "1"
    assert attributes["is_final"] == "true"
    assert attributes["is_international_send"] == "false"
    assert attributes["mcc"] == "310" and attributes["mnc"] == "800"
    assert attributes["message_id"] == "862a8790-60c0-4430-9b2b-658bdexample"
    assert "channel" not in attributes
    assert record["client"] == {"client_id": ACCOUNT}
    assert record["awsAccountId"] == ACCOUNT


def sms_record(event_type: str, **fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(sample("sms_v2_events.jsonl", 0))
    record["eventType"] = event_type
    record.update(fields)
    return {key: value for key, value in record.items() if value is not None}


@pytest.mark.parametrize(
    ("sms_type", "expected_type", "expected_kind"),
    [
        ("TEXT_DELIVERED", "_SMS.SUCCESS", "sms_success"),
        ("TEXT_QUEUED", "_SMS.BUFFERED", "sms_buffered"),
        ("TEXT_PENDING", "_SMS.BUFFERED", "sms_buffered"),
        ("TEXT_SENT", "_SMS.BUFFERED", "sms_buffered"),
        ("TEXT_CARRIER_UNREACHABLE", "_SMS.FAILURE", "sms_failure"),
        ("TEXT_TTL_EXPIRED", "_SMS.FAILURE", "sms_failure"),
        ("TEXT_PROTECT_BLOCKED", "_SMS.FAILURE", "sms_failure"),
        ("MEDIA_SUCCESSFUL", "_SMS.SUCCESS", "sms_success"),
        ("MEDIA_SPAM", "_SMS.FAILURE", "sms_failure"),
        ("VOICE_COMPLETED", "_smsvoice.voice_completed", "custom"),
        ("RCS_DELIVERED", "_smsvoice.rcs_delivered", "custom"),
        ("TEXT_SOMETHING_NEW", "_smsvoice.text_something_new", "custom"),
    ],
)
def test_sms_event_type_mapping(sms_type: str, expected_type: str, expected_kind: str) -> None:
    event = normalize(sms_record(sms_type))
    assert (event.record["event_type"], event.kind, event.source) == (expected_type, expected_kind, "sms")
    assert event.record["attributes"].get("channel") == ("MMS" if sms_type.startswith("MEDIA_") else None)


def test_sms_opted_out_failure_has_record_status_opted_out() -> None:
    event = normalize(sms_record("TEXT_BLOCKED", messageStatus="DESTINATION_PHONE_NUMBER_OPTED_OUT"))
    assert event.record["event_type"] == "_SMS.FAILURE"
    assert event.record["attributes"]["record_status"] == "OPTED_OUT"


def test_sms_context_endpoint_and_tags_without_overwriting_sms_fields() -> None:
    context = {"endpoint_id": "ep-7", "campaign_id": "c-1", "message_id": "forged", "count": 3, "treatment_id": "0"}
    event = normalize(sms_record("TEXT_SUCCESSFUL", context=context, isoCountryCode="US"))
    attributes = event.record["attributes"]
    assert event.record["client"]["client_id"] == "ep-7"
    assert attributes["campaign_id"] == "c-1" and attributes["treatment_id"] == "0"
    assert attributes["message_id"] == "862a8790-60c0-4430-9b2b-658bdexample"
    assert "count" not in attributes
    assert attributes["iso_country_code"] == "US"
    assert json.loads(attributes["customer_context"]) == context


def test_sms_prices_only_when_numeric() -> None:
    buffered = normalize(sms_record("TEXT_QUEUED", totalMessagePrice=None, totalCarrierFee=None))
    assert buffered.record["metrics"] == {}
    odd = normalize(sms_record("TEXT_SUCCESSFUL", totalMessagePrice="0.01", totalCarrierFee=0.00225))
    assert odd.record["metrics"] == {"carrier_fee_in_millicents_usd": 225.0}


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


# ------------------------------------------------------------------------------------------- dt partition


@pytest.mark.parametrize(
    ("event_timestamp", "expected_dt"),
    [
        (ARRIVAL - 3 * DAY_MS, "2025-11-19"),  # late arrival: the event's own date
        (ARRIVAL + DAY_MS, "2025-11-23"),  # up to one day ahead is trusted
        (ARRIVAL + DAY_MS + 1, "2025-11-22"),  # future: arrival date
        (ms("2014-12-31T23:59:59"), "2025-11-22"),  # before 2015: arrival date
        (ms("2015-01-01T00:00:00"), "2015-01-01"),
        ("1763800000000", "2025-11-22"),  # not an int
        (True, "2025-11-22"),
        (None, "2025-11-22"),
    ],
)
def test_dt_from_event_timestamp_or_arrival(event_timestamp: Any, expected_dt: str) -> None:
    event = normalize({"event_type": "custom.x", "event_timestamp": event_timestamp})
    assert event.dt == expected_dt
    assert event.record["event_timestamp"] == event_timestamp  # the record keeps its own value


def test_partition_date_handles_day_boundaries_exactly() -> None:
    midnight = ms("2024-02-29T00:00:00")
    assert partition_date(midnight - 1, ARRIVAL) == "2024-02-28"
    assert partition_date(midnight, ARRIVAL) == "2024-02-29"


def test_to_epoch_ms() -> None:
    assert to_epoch_ms("2017-08-05T00:41:02.669Z") == 1501893662669
    assert to_epoch_ms("2017-08-05T02:41:02.669+02:00") == 1501893662669
    assert to_epoch_ms("2017-08-05T00:41:02.669") == 1501893662669
    assert to_epoch_ms(1501893662669) == 1501893662669
    assert to_epoch_ms("soon") is None
    assert to_epoch_ms(True) is None
    assert to_epoch_ms(None) is None


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
