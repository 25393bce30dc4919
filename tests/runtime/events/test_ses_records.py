"""Tests of pinpoint_runtime.events.ses_records: SES event-publishing records -> ``_email.*`` records."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pinpoint_runtime.events.ses_tags import SES_TAG_ENCODED_PREFIX, encode_ses_tag_value
from tests.runtime.events.record_samples import (
    APP_ID,
    ARRIVAL,
    assert_lake_record,
    mail_event,
    ms,
    normalize,
    sample,
)


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


def test_ses_unparseable_body_timestamp_falls_back_to_mail_and_is_kept_raw() -> None:
    event = normalize(ses_record("Open", "open", {"timestamp": "yesterday"}))
    assert event.record["event_timestamp"] == ms("2017-08-05T00:40:02.012")
    assert mail_event(event)["open"] == {"timestamp": None, "timestamp_raw": "yesterday"}


def test_encoded_id_tags_reach_the_lake_decoded() -> None:
    tags = {"campaign_id": [encode_ses_tag_value("Spring sale 2026")], "treatment_id": ["0"],
            "endpoint_id": [encode_ses_tag_value("user.42@example.com")],
            "partner_tag": [SES_TAG_ENCODED_PREFIX + "dXNlcg"]}  # fmt: skip
    event = normalize(ses_record("Send", "send", {}, tags=tags))
    assert event.record["client"]["client_id"] == "user.42@example.com"
    assert event.record["attributes"]["campaign_id"] == "Spring sale 2026"
    assert event.record["attributes"]["partner_tag"] == SES_TAG_ENCODED_PREFIX + "dXNlcg"  # not ours: as sent
