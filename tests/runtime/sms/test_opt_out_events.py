"""Tests of pinpoint_runtime.sms.opt_out_events: the EventBridge entry and lake record of an opt-out or opt-in (the
processor's end-to-end event tests are in test_opt_out_processor.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keyword_rules import KeywordAction, KeywordRule
from pinpoint_runtime.sms.opt_out_events import (
    DETAIL_TYPE_OPT_IN,
    LAKE_EVENT_OPT_IN,
    OptOutChange,
    event_bridge_entry,
    lake_record,
    put_event,
)
from pinpoint_runtime.sms.opt_out_registry import OptOutError, OptOutState
from tests.support.opt_out_world import CUSTOMER, LIST, OUR_NUMBER, START_TIME

CHANGE = OptOutChange(
    inbound=InboundSms(CUSTOMER, OUR_NUMBER, None, "START", "in-1", None),
    rule=KeywordRule("START", KeywordAction.OPT_IN, "Welcome back."),
    state=OptOutState.OPTED_IN,
    previous_state=OptOutState.OPTED_OUT,
    at=START_TIME,
    opt_out_list_name=LIST,
    on_opt_out_list=False,
    replied=None,
)


def test_opt_in_entry_without_a_known_confirmation() -> None:
    entry = event_bridge_entry(CHANGE, "bus")
    assert (entry["DetailType"], entry["EventBusName"], entry["Time"]) == (DETAIL_TYPE_OPT_IN, "bus", START_TIME)
    detail = json.loads(entry["Detail"])
    assert "confirmation_sent" not in detail
    assert (detail["state"], detail["previous_state"], detail["action"]) == ("OPTED_IN", "OPTED_OUT", "OPT_IN")


def test_lake_record_without_an_account_id() -> None:
    record = lake_record(CHANGE, arrival=START_TIME)
    assert record["event_type"] == LAKE_EVENT_OPT_IN and "awsAccountId" not in record
    assert record["event_timestamp"] == record["arrival_timestamp"] == int(START_TIME.timestamp() * 1000)
    assert record["attributes"]["on_opt_out_list"] == "false"
    assert lake_record(CHANGE, arrival=START_TIME, account_id="123456789012")["awsAccountId"] == "123456789012"


class FailingEvents:
    def put_events(self, **params: Any) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]}


def test_a_failed_entry_raises_a_retryable_error_with_the_masked_number() -> None:
    with pytest.raises(OptOutError) as raised:
        put_event(FailingEvents(), event_bridge_entry(CHANGE, "bus"), CUSTOMER)
    assert raised.value.retryable and raised.value.code == "ThrottlingException"
    assert CUSTOMER not in str(raised.value) and "+*********82" in str(raised.value)
