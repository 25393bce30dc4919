"""Tests of pinpoint_runtime.sms.inbound: the inbound two-way SMS parser (examples and properties)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.phone import mask_phone_number
from pinpoint_runtime.sms.inbound import (
    MAX_BODY_CHARACTERS,
    InboundSms,
    MalformedInboundMessage,
    parse_inbound_message,
    parse_sqs_record,
)
from tests.conftest import TEST_DATA

PAYLOADS = TEST_DATA / "payloads"
SAMPLE_TEXT = (PAYLOADS / "two_way_inbound_sns_message.json").read_text()
SAMPLE = json.loads(SAMPLE_TEXT)
TOPIC = "arn:aws:sns:us-east-1:123456789012:two-way"


def sns_envelope(message: str) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": TOPIC,
            "Message": message,
            "Timestamp": "2025-11-20T10:00:00.000Z",
            "SignatureVersion": "1",
        }
    )


def sqs_record(body: str, message_id: str = "059f36b4-87a3-44ab-83d2-661975830a7d") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763632800000"},
        "messageAttributes": {},
        "md5OfBody": "7b270e59b47ff90a553787216d55d91d",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inbound",
        "awsRegion": "us-east-1",
    }


EXPECTED = InboundSms(
    origination_number="+14255550182",
    destination_number="+12125550101",
    message_keyword="JOIN",
    message_body="EXAMPLE",
    inbound_message_id="cae173d2-66b9-564c-8309-21f858e9fb84",
    previous_published_message_id="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)


# ------------------------------------------------------------------------------------------- examples


def test_aws_sample_parses_from_text_bytes_and_dict() -> None:
    assert parse_inbound_message(SAMPLE_TEXT) == EXPECTED
    assert parse_inbound_message(SAMPLE_TEXT.encode()) == EXPECTED
    assert parse_inbound_message(SAMPLE) == EXPECTED


def test_to_payload_is_the_aws_shape() -> None:
    assert EXPECTED.to_payload() == SAMPLE


def test_sqs_record_with_sns_envelope() -> None:
    assert parse_sqs_record(sqs_record(sns_envelope(SAMPLE_TEXT))) == EXPECTED


def test_sqs_record_with_raw_message_delivery() -> None:
    assert parse_sqs_record(sqs_record(SAMPLE_TEXT)) == EXPECTED


def test_optional_fields_may_be_absent_null_or_empty_and_body_may_be_empty() -> None:
    message = {**SAMPLE, "messageKeyword": None, "messageBody": ""}
    del message["previousPublishedMessageId"]
    inbound = parse_inbound_message(message)
    assert (inbound.message_keyword, inbound.previous_published_message_id, inbound.message_body) == (None, None, "")
    assert parse_inbound_message({**SAMPLE, "messageKeyword": ""}).message_keyword is None


def test_unknown_fields_are_ignored_and_short_code_destination_accepted() -> None:
    inbound = parse_inbound_message({**SAMPLE, "destinationNumber": "12345", "newField": {"x": 1}})
    assert inbound.destination_number == "12345"


def test_body_of_exactly_1600_characters_is_accepted_1601_is_not() -> None:
    assert len(parse_inbound_message({**SAMPLE, "messageBody": "é" * 1600}).message_body) == 1600
    with pytest.raises(MalformedInboundMessage, match="longer than 1600"):
        parse_inbound_message({**SAMPLE, "messageBody": "a" * 1601})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"originationNumber": None}, "originationNumber is missing"),
        ({"originationNumber": "14255550182"}, "originationNumber is not an E.164 number"),
        ({"originationNumber": "+1425555018212345"}, "originationNumber is not an E.164 number"),
        ({"originationNumber": "+١٤٢٥٥٥٥٠١٨٢"}, "originationNumber is not an E.164 number"),  # Arabic-Indic digits
        ({"originationNumber": 14255550182}, "originationNumber is not a string"),
        ({"destinationNumber": "+0123"}, "destinationNumber is not a phone number"),
        ({"destinationNumber": ""}, "destinationNumber is missing"),
        ({"messageBody": None}, "messageBody is missing"),
        ({"messageBody": ["hi"]}, "messageBody is not a string"),
        ({"inboundMessageId": ""}, "inboundMessageId is missing"),
        ({"inboundMessageId": "   "}, "inboundMessageId is not a valid id"),
        ({"inboundMessageId": "x" * 1025}, "inboundMessageId is not a valid id"),
        ({"messageKeyword": 5}, "messageKeyword is not a string"),
        ({"messageKeyword": "K" * 31}, "messageKeyword is longer than 30"),
        ({"previousPublishedMessageId": {"id": 1}}, "previousPublishedMessageId is not a string"),
    ],
)
def test_invalid_fields_are_rejected_with_a_fixed_reason(change: dict[str, Any], reason: str) -> None:
    message = {**SAMPLE, **change}
    with pytest.raises(MalformedInboundMessage) as raised:
        parse_inbound_message(message)
    assert raised.value.reason.startswith(reason)
    assert str(raised.value) == raised.value.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "record body is missing or empty"),
        ("{not json", "record body is not valid JSON"),
        ("[1, 2]", "record body is not a JSON object"),
        ('{"Type": "SubscriptionConfirmation", "Message": "x"}', "SNS message is not a Notification"),
        ('{"Type": "Notification", "Message": {"a": 1}}', "SNS Message is missing or not a string"),
        (sns_envelope("not json"), "message is not valid JSON"),
        (sns_envelope('"a string"'), "message is not a JSON object"),
        ('{"originationNumber": NaN}', "record body is not valid JSON"),
    ],
)
def test_malformed_records(body: str, reason: str) -> None:
    with pytest.raises(MalformedInboundMessage) as raised:
        parse_sqs_record(sqs_record(body))
    assert raised.value.reason == reason


def test_record_that_is_not_an_object_or_has_no_body() -> None:
    with pytest.raises(MalformedInboundMessage, match="record is not an object"):
        parse_sqs_record(["body"])  # type: ignore[arg-type]
    with pytest.raises(MalformedInboundMessage, match="record body is missing"):
        parse_sqs_record({"messageId": "m"})


def test_message_larger_than_256_kib_is_rejected_without_parsing() -> None:
    with pytest.raises(MalformedInboundMessage, match="larger than 256 KiB"):
        parse_inbound_message(json.dumps({**SAMPLE, "padding": "x" * 256 * 1024}))


def test_repr_and_log_fields_hide_numbers_and_body() -> None:
    inbound = parse_inbound_message({**SAMPLE, "messageBody": "my secret PIN 4821"})
    for text in (repr(inbound), json.dumps(inbound.log_fields())):
        assert "4255550182" not in text and "2125550101" not in text and "secret" not in text
    assert inbound.log_fields() == {
        "inbound_message_id": "cae173d2-66b9-564c-8309-21f858e9fb84",
        "from": "+*********82",
        "to": "+*********01",
        "keyword": "JOIN",
        "body_length": 18,
    }


@pytest.mark.parametrize(
    ("number", "masked"),
    [("+12125550101", "+*********01"), ("12345", "***45"), ("+123", "+***"), ("", "<none>"), (None, "<none>")],
)
def test_mask_phone_number(number: Any, masked: str) -> None:
    assert mask_phone_number(number) == masked


# ------------------------------------------------------------------------------------------- properties

e164 = st.from_regex(r"\A\+[1-9][0-9]{1,14}\Z")
service_numbers = st.from_regex(r"\A\+?[1-9][0-9]{1,18}\Z")
ids = st.text(min_size=1, max_size=80).filter(lambda text: text.strip() != "")
bodies = st.text(max_size=MAX_BODY_CHARACTERS)
messages = st.builds(
    InboundSms,
    origination_number=e164,
    destination_number=service_numbers,
    message_keyword=st.none() | st.text(min_size=1, max_size=30),
    message_body=bodies,
    inbound_message_id=ids,
    previous_published_message_id=st.none() | st.text(min_size=1, max_size=80),
)


@given(messages)
def test_round_trip_through_sns_envelope_and_raw_delivery(inbound: InboundSms) -> None:
    message = json.dumps(inbound.to_payload())
    assert parse_inbound_message(message) == inbound
    assert parse_sqs_record(sqs_record(sns_envelope(message))) == inbound
    assert parse_sqs_record(sqs_record(message)) == inbound


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=3),
    max_leaves=10,
)
field_names = st.sampled_from(
    [
        "originationNumber",
        "destinationNumber",
        "messageKeyword",
        "messageBody",
        "inboundMessageId",
        "previousPublishedMessageId",
    ]
)


@given(field_names, json_values, bodies)
@settings(max_examples=300)
def test_any_field_value_either_parses_or_fails_with_a_reason_free_of_content(
    field: str, value: Any, body: str
) -> None:
    message = {**SAMPLE, "messageBody": body, field: value}
    try:
        inbound = parse_inbound_message(json.dumps(message))
    except MalformedInboundMessage as error:
        assert error.reason.split(" ", 1)[0] in {
            "originationNumber",
            "destinationNumber",
            "messageKeyword",
            "messageBody",
            "inboundMessageId",
            "previousPublishedMessageId",
        }
        if len(body) >= 8:
            assert body not in error.reason
        return
    optional = field in ("messageKeyword", "previousPublishedMessageId")
    assert inbound.to_payload()[field] == (None if optional and value == "" else value)


@given(st.text(max_size=400) | st.binary(max_size=400).map(lambda raw: raw.decode("latin-1")))
@settings(max_examples=300)
def test_arbitrary_bodies_never_raise_anything_but_malformed(body: str) -> None:
    for text in (body, sns_envelope(body)):
        try:
            parse_sqs_record(sqs_record(text))
        except MalformedInboundMessage as error:
            assert len(error.reason) < 80


@given(json_values)
def test_arbitrary_json_documents_never_raise_anything_but_malformed(document: Any) -> None:
    try:
        inbound = parse_sqs_record(sqs_record(json.dumps(document)))
    except MalformedInboundMessage as error:
        assert error.reason and len(error.reason) < 80
    else:  # only a document carrying every required field can parse
        assert isinstance(document, dict) and inbound.to_payload()["originationNumber"] == document["originationNumber"]
