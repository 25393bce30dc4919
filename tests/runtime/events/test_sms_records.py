"""Tests of pinpoint_runtime.events.sms_records: SMS v2 event records -> ``_SMS.*`` records."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.runtime.events.record_samples import (
    ACCOUNT,
    normalize,
    sample,
)

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
