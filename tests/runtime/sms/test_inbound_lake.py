"""Tests of pinpoint_runtime.sms.inbound_lake: the lake event of an inbound SMS (the written and normalised event:
tests/functions/test_two_way_inbound.py)."""

from __future__ import annotations

from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.inbound_lake import inbound_lake_event

CUSTOMER = "+14255550182"
OUR_NUMBER = "+12125550101"


def test_lake_event_without_sqs_timestamp_uses_now() -> None:
    inbound = InboundSms(CUSTOMER, OUR_NUMBER, None, "", "in-9", None)
    lake_event = inbound_lake_event(inbound, {"attributes": {}}, now=1_700_000_000.0)
    assert lake_event["event_timestamp"] == 1_700_000_000_000
    assert lake_event["attributes"] == {
        "origination_phone_number": CUSTOMER,
        "destination_phone_number": OUR_NUMBER,
        "inbound_message_id": "in-9",
    }
