"""Tests of pinpoint_runtime.sms.opt_out_processor: what STOP, START, HELP and custom keywords do.

The SMS API is tests/support/sms_voice_fake.FakeSmsVoiceV2 (validates every request against botocore's model, keeps
opt-out lists, enforces the 30-day removal rule); EventBridge is moto (entries recorded on the way); the lake is a
real EventStreamWriter whose Firehose client records the batches, which are then run through the normaliser.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from pinpoint_runtime.events.records import normalize_record
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keyword_rules import KeywordAction
from pinpoint_runtime.sms.opt_out_events import DETAIL_TYPE_OPT_IN, DETAIL_TYPE_OPT_OUT, EVENT_SOURCE
from pinpoint_runtime.sms.opt_out_processor import OptOutProcessor
from pinpoint_runtime.sms.opt_out_registry import OptOutError, OptOutState
from pinpoint_runtime.sms.sender import SmsSender, SmsSendError
from tests.support.opt_out_world import (
    BUS,
    CUSTOMER,
    ENGINE,
    LIST,
    OUR_NUMBER,
    TABLE,
    World,
)

pytestmark = pytest.mark.usefixtures("opt_out_environment")

# --------------------------------------------------------------------------------------------- processor


def test_a_message_that_is_not_a_keyword_passes_on_untouched(world: World, dynamodb: Any) -> None:
    for body in ("stop by tomorrow?", "WEEKEND", "", "See you at 5 🎉"):
        outcome = world.handle(body)
        assert (outcome.handled, outcome.action, outcome.replied) == (False, None, False)
    assert world.sms.calls == [] and world.events.entries == [] and world.firehose.records == []
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


def test_stop_records_replies_lists_and_publishes(world: World) -> None:
    outcome = world.handle("  Stop!! ")
    assert (outcome.handled, outcome.action, outcome.replied, outcome.state) == (
        True,
        KeywordAction.OPT_OUT,
        True,
        OptOutState.OPTED_OUT,
    )
    assert outcome.keyword == "STOP" and outcome.reply_message_id
    # registry
    status = world.registry.status(CUSTOMER)
    assert status.state is OptOutState.OPTED_OUT and status.keyword == "STOP" and status.on_opt_out_list is True
    assert status.origination == OUR_NUMBER and status.message_id == "inbound-0001"
    assert len(world.registry.history(CUSTOMER)) == 1
    # the confirmation went out before the number was listed (the service refuses sends to listed numbers)
    assert world.operations() == ["send_text_message", "put_opted_out_number"]
    assert world.sent_bodies() == [ENGINE.stop_reply]
    sent = world.sms.sent[0]
    assert sent["OriginationIdentity"] == world.phone["PhoneNumberId"] and sent["MessageType"] == "TRANSACTIONAL"
    assert sent["Context"] == {"keyword": "STOP", "inbound_message_id": "inbound-0001"}
    assert world.sms.opted_out_numbers(LIST) == {CUSTOMER}
    # EventBridge
    (entry,) = world.events.entries
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (EVENT_SOURCE, DETAIL_TYPE_OPT_OUT, BUS)
    detail = json.loads(entry["Detail"])
    assert detail == {
        "phone_number": CUSTOMER,
        "state": "OPTED_OUT",
        "previous_state": None,
        "keyword": "STOP",
        "action": "OPT_OUT",
        "origination_number": OUR_NUMBER,
        "inbound_message_id": "inbound-0001",
        "opt_out_list_name": LIST,
        "on_opt_out_list": True,
        "occurred_at": "2026-03-02T09:00:00.000000Z",
        "confirmation_sent": True,
    }
    assert "Stop!!" not in entry["Detail"]  # never the body
    # lake
    (record,) = world.firehose.records
    normalized = normalize_record(
        record, arrival_timestamp_ms=record["arrival_timestamp"], application_id="x", account_id="123456789012"
    )
    assert (normalized.source, normalized.kind, normalized.dt) == ("library", "sms_optout", "2026-03-02")
    assert normalized.record["attributes"]["record_status"] == "OPTED_OUT"
    assert normalized.record["attributes"]["destination_phone_number"] == CUSTOMER
    assert normalized.record["attributes"]["origination_phone_number"] == OUR_NUMBER
    assert normalized.record["application"]["app_id"] == "app-1"


def test_stopall_blocks_transactional_messages(world: World) -> None:
    outcome = world.handle("STOPALL")
    assert outcome.state is OptOutState.OPTED_OUT_ALL and outcome.replied
    assert world.sent_bodies() == [ENGINE.stop_all_reply]
    assert world.registry.may_send(CUSTOMER, "TRANSACTIONAL") is False
    assert json.loads(world.events.entries[0]["Detail"])["state"] == "OPTED_OUT_ALL"
    assert world.sms.opted_out_numbers(LIST) == {CUSTOMER}


def test_stop_is_not_delayed_by_a_failed_confirmation(world: World) -> None:
    world.sms.fail_next("send_text_message", "ThrottlingException")
    outcome = world.handle("STOP")
    assert outcome.handled and not outcome.replied and outcome.note == "reply failed: ThrottlingException"
    assert world.sms.opted_out_numbers(LIST) == {CUSTOMER}
    assert world.registry.state(CUSTOMER) is OptOutState.OPTED_OUT
    assert json.loads(world.events.entries[0]["Detail"])["confirmation_sent"] is False


def test_failed_list_update_raises_and_a_retry_completes_without_duplicates(world: World) -> None:
    world.sms.fail_next("put_opted_out_number", "ThrottlingException")
    inbound = world.inbound("STOP")
    with pytest.raises(OptOutError) as raised:
        world.processor.handle(inbound)
    assert raised.value.retryable and raised.value.code == "ThrottlingException"
    assert CUSTOMER not in str(raised.value)
    assert world.registry.state(CUSTOMER) is OptOutState.OPTED_OUT  # recorded before anything else
    outcome = world.processor.handle(inbound)  # SQS redelivers the same message
    assert outcome.handled
    assert world.sms.opted_out_numbers(LIST) == {CUSTOMER}
    assert len(world.registry.history(CUSTOMER)) == 1
    # confirmations are at-least-once: the number was not listed yet, so the retry confirmed again
    assert world.sent_bodies() == [ENGINE.stop_reply, ENGINE.stop_reply]
    world.processor.handle(inbound)  # once listed, a further redelivery cannot send a third one
    assert world.sent_bodies() == [ENGINE.stop_reply, ENGINE.stop_reply]
    assert len(world.registry.history(CUSTOMER)) == 1


def test_repeated_stop_messages(world: World) -> None:
    world.handle("STOP")
    second = world.handle("stop")  # a new message: recorded again, its confirmation cannot reach a listed number
    assert second.handled and not second.replied and "opt-out list" in second.note
    assert len(world.registry.history(CUSTOMER)) == 2
    assert json.loads(world.events.entries[1]["Detail"])["previous_state"] == "OPTED_OUT"


def test_start_after_stop_removes_the_number_and_confirms(world: World) -> None:
    world.handle("STOP")
    world.clock.advance(days=2)
    outcome = world.handle("Start")
    assert (outcome.handled, outcome.action, outcome.state, outcome.replied) == (
        True,
        KeywordAction.OPT_IN,
        OptOutState.OPTED_IN,
        True,
    )
    assert world.sms.opted_out_numbers(LIST) == set()
    assert world.sent_bodies() == [ENGINE.stop_reply, ENGINE.start_reply]
    status = world.registry.status(CUSTOMER)
    assert status.state is OptOutState.OPTED_IN and status.on_opt_out_list is False
    assert status.last_list_removal_at == world.clock.now
    assert world.registry.may_send(CUSTOMER, "PROMOTIONAL") is True
    entry = world.events.entries[-1]
    assert entry["DetailType"] == DETAIL_TYPE_OPT_IN
    assert json.loads(entry["Detail"])["previous_state"] == "OPTED_OUT"
    assert world.firehose.records[-1]["event_type"] == "_SMS.OPTIN"
    normalized = normalize_record(
        world.firehose.records[-1], arrival_timestamp_ms=1, application_id="x", account_id="1"
    )
    assert normalized.kind == "sms_optin"
    assert world.operations() == [
        "send_text_message",
        "put_opted_out_number",
        "delete_opted_out_number",
        "send_text_message",
    ]


def test_30_day_rule_skips_the_removal_and_a_later_start_completes_it(world: World) -> None:
    world.handle("STOP")
    world.clock.advance(days=1)
    world.handle("START")  # removal 1
    world.clock.advance(days=5)
    world.handle("STOP")
    world.clock.advance(days=5)
    outcome = world.handle("UNSTOP")  # 10 days after removal 1: the service would refuse
    assert outcome.handled and outcome.state is OptOutState.OPTED_IN and not outcome.replied
    assert "less than 30 days ago" in outcome.note and "2026-04-02" in outcome.note
    assert world.operations().count("delete_opted_out_number") == 1  # no doomed API call
    assert world.sms.opted_out_numbers(LIST) == {CUSTOMER}
    status = world.registry.status(CUSTOMER)
    assert status.state is OptOutState.OPTED_IN and status.on_opt_out_list is True
    assert json.loads(world.events.entries[-1]["Detail"])["on_opt_out_list"] is True
    # 30 days after the first removal, START (even YES) removes it: the number counted as still listed
    world.clock.advance(days=21)
    outcome = world.handle("yes")
    assert outcome.handled and outcome.replied and outcome.note is None
    assert world.operations().count("delete_opted_out_number") == 2
    assert world.sms.opted_out_numbers(LIST) == set()
    assert world.registry.status(CUSTOMER).on_opt_out_list is False


def test_service_refusal_of_the_removal_is_recorded(world: World) -> None:
    """The service's own 30-day check (e.g. a removal made outside this code) is handled, not raised."""
    world.handle("STOP")
    world.sms.fail_next("delete_opted_out_number", "ValidationException", reason="PHONE_NUMBER_CANNOT_BE_OPTED_IN")
    outcome = world.handle("START")
    assert outcome.handled and not outcome.replied
    assert "refused" in outcome.note and "PHONE_NUMBER_CANNOT_BE_OPTED_IN" in outcome.note
    assert world.registry.status(CUSTOMER).on_opt_out_list is True


def test_start_from_a_number_the_list_does_not_hold(world: World) -> None:
    world.registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER)
    outcome = world.handle("START")  # e.g. the list was cleaned up by hand
    assert outcome.handled and outcome.replied
    assert world.registry.status(CUSTOMER).on_opt_out_list is False
    assert world.registry.status(CUSTOMER).last_list_removal_at is None  # nothing was removed


def test_unexpected_removal_errors_raise(world: World) -> None:
    world.handle("STOP")
    world.sms.fail_next("delete_opted_out_number", "AccessDeniedException")
    with pytest.raises(OptOutError) as raised:
        world.handle("START")
    assert raised.value.code == "AccessDeniedException" and not raised.value.retryable
    assert world.registry.state(CUSTOMER) is OptOutState.OPTED_OUT  # nothing recorded


def test_opt_in_keyword_from_a_subscribed_number_passes_on(world: World, dynamodb: Any) -> None:
    outcome = world.handle("YES")  # answering "Reply YES to confirm your appointment"
    assert (outcome.handled, outcome.action, outcome.replied) == (False, KeywordAction.OPT_IN, False)
    assert outcome.note == "not opted out; message passed on"
    assert world.sms.calls == [] and world.events.entries == []
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


def test_retried_opt_in_resumes_after_the_removal(world: World) -> None:
    world.handle("STOP")
    world.clock.advance(days=1)
    world.events.failures = 1
    inbound = world.inbound("START")
    with pytest.raises(OptOutError, match="PutEvents"):
        world.processor.handle(inbound)
    assert world.registry.state(CUSTOMER) is OptOutState.OPTED_IN
    assert world.sent_bodies() == [ENGINE.stop_reply]  # no confirmation before the event was out
    outcome = world.processor.handle(inbound)
    assert outcome.handled and outcome.replied
    assert world.operations().count("delete_opted_out_number") == 1
    assert len(world.registry.history(CUSTOMER)) == 2
    assert world.sent_bodies() == [ENGINE.stop_reply, ENGINE.start_reply]
    assert [e["DetailType"] for e in world.events.entries] == [DETAIL_TYPE_OPT_OUT, DETAIL_TYPE_OPT_IN]


def test_help_and_auto_response(world: World, dynamodb: Any) -> None:
    help_outcome = world.handle("help?")
    auto_outcome = world.handle("Hours")
    assert (help_outcome.handled, help_outcome.action, help_outcome.replied) == (True, KeywordAction.HELP, True)
    assert (auto_outcome.handled, auto_outcome.action, auto_outcome.replied) == (
        True,
        KeywordAction.AUTO_RESPONSE,
        True,
    )
    assert world.sent_bodies() == [ENGINE.help_reply, "Open 9am-5pm, Mon-Fri."]
    assert "1-800-555-0199" in world.sent_bodies()[0] and "Msg & data rates may apply" in world.sent_bodies()[0]
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0 and world.events.entries == []


def test_help_from_an_opted_out_number_is_noted(world: World) -> None:
    world.handle("STOP")
    outcome = world.handle("HELP")
    assert outcome.handled and not outcome.replied and "opt-out list" in outcome.note


def test_throttled_help_reply_raises_for_a_retry(world: World) -> None:
    world.sms.fail_next("send_text_message", "ThrottlingException")
    with pytest.raises(SmsSendError) as raised:
        world.handle("HELP")
    assert raised.value.retryable


def test_no_clear_text_number_or_body_in_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pinpoint_runtime")
    world.handle(" sToP!! ")
    world.clock.advance(days=1)
    world.handle("StArT")
    world.handle("StArT")  # passes on
    world.handle("HeLp")
    world.clock.advance(days=1)
    world.handle("sToP!!")
    world.handle("StArT")  # 30-day rule: warning
    ours = [record for record in caplog.records if record.name.startswith("pinpoint_runtime")]
    text = "\n".join(record.getMessage() for record in ours)
    assert len(ours) >= 6 and any(record.levelno == logging.WARNING for record in ours)
    assert "+*********82" in text
    assert CUSTOMER not in text and CUSTOMER[1:] not in text
    assert "sToP!!" not in text and "StArT" not in text and "HeLp" not in text


def test_processor_configuration_errors(world: World) -> None:
    guarded = SmsSender(client=world.sms, may_send=world.registry.may_send)
    common = {"engine": ENGINE, "registry": world.registry, "sms_client": world.sms}
    with pytest.raises(ValueError, match="must not have a may_send policy"):
        OptOutProcessor(**common, sender=guarded, opt_out_list_name=LIST)
    with pytest.raises(ValueError, match="go together"):
        OptOutProcessor(**common, sender=world.sender, opt_out_list_name=LIST, event_bus_name=BUS)
    with pytest.raises(ValueError, match="opt_out_list_name"):
        OptOutProcessor(**common, sender=world.sender, opt_out_list_name="")


def test_from_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError) as raised:
        OptOutProcessor.from_environment()
    assert "OPT_OUT_LIST_NAME, OPT_OUT_REGISTRY_TABLE, KEYWORD_CONFIG" in str(raised.value)
    monkeypatch.setenv("OPT_OUT_LIST_NAME", LIST)
    monkeypatch.setenv("OPT_OUT_REGISTRY_TABLE", TABLE)
    monkeypatch.setenv("KEYWORD_CONFIG", json.dumps(ENGINE.to_config()))
    monkeypatch.setenv("OPT_OUT_EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("SMS_ORIGINATION_IDENTITY", "pool-0123456789abcdef")
    processor = OptOutProcessor.from_environment()
    assert processor.engine == ENGINE and processor.registry.table_name == TABLE
    assert processor.opt_out_list_name == LIST and processor.event_bus_name == BUS
    assert processor.events_client is not None and processor.event_writer is None
    assert processor.sender.origination_identity == "pool-0123456789abcdef" and processor.sender.may_send is None
    assert OptOutProcessor.from_environment() is processor  # one processor (and clients) per process
    monkeypatch.setenv("PINPOINT_EVENT_STREAM_NAME", "lake")
    with_lake = OptOutProcessor.from_environment()
    assert with_lake is not processor and with_lake.event_writer.delivery_stream_name == "lake"
    # the environment's processor works end to end against moto's DynamoDB (no SMS call for a passing message)
    assert with_lake.handle(InboundSms(CUSTOMER, OUR_NUMBER, None, "hello", "id-1", None)).handled is False
