"""Tests of pinpoint_runtime.sms.opt_out: registry (moto DynamoDB), may_send, and the keyword processor.

The SMS API is tests/sms_voice_fake.FakeSmsVoiceV2 (validates every request against botocore's model, keeps
opt-out lists, enforces the 30-day removal rule); EventBridge is moto (entries recorded on the way); the lake is a
real EventStreamWriter whose Firehose client records the batches, which are then run through the normaliser.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pinpoint_runtime.events.records import normalize_record
from pinpoint_runtime.events.stream import EventStreamWriter
from pinpoint_runtime.sms import opt_out
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keywords import KeywordAction, KeywordEngine, KeywordRule, ProgramInfo
from pinpoint_runtime.sms.opt_out import (
    DETAIL_TYPE_OPT_IN,
    DETAIL_TYPE_OPT_OUT,
    EVENT_SOURCE,
    OptOutError,
    OptOutProcessor,
    OptOutRegistry,
    OptOutState,
    RegistryConflictError,
)
from pinpoint_runtime.sms.sender import SmsSender, SmsSendError
from tests.support.sms_voice_fake import FakeSmsVoiceV2

TABLE = "opt-out-registry"
LIST = "two-way-opt-outs"
BUS = "opt-out-events"
CUSTOMER = "+14255550182"
OTHER_CUSTOMER = "+14255550199"
OUR_NUMBER = "+12125550101"
START_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENGINE = KeywordEngine(
    ProgramInfo("Example Shop Alerts", "1-800-555-0199", "up to 4 msgs/month"),
    custom_rules=(KeywordRule("HOURS", KeywordAction.AUTO_RESPONSE, "Open 9am-5pm, Mon-Fri."),),
)


class Clock:
    """Shared clock of the processor and the SMS fake (so both see the same 30 days pass)."""

    def __init__(self) -> None:
        self.now = START_TIME

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingEvents:
    """The moto EventBridge client, recording every PutEvents entry; ``fail_next`` makes calls fail first."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.entries: list[dict[str, Any]] = []
        self.failures = 0

    def put_events(self, **params: Any) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "InternalException", "Message": "boom"}}, "PutEvents")
        response = self._client.put_events(**params)
        self.entries.extend(params["Entries"])
        return response


class RecordingFirehose:
    """A Firehose client that accepts every record and keeps them."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.records.extend(json.loads(record["Data"]) for record in Records)
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": str(i)} for i in range(len(Records))]}


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    for name in (
        "OPT_OUT_REGISTRY_TABLE",
        "OPT_OUT_LIST_NAME",
        "OPT_OUT_EVENT_BUS_NAME",
        "KEYWORD_CONFIG",
        "PINPOINT_EVENT_STREAM_NAME",
        "SMS_ORIGINATION_IDENTITY",
        "SMS_CONFIGURATION_SET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(opt_out, "_default_registry", None)
    monkeypatch.setattr(opt_out, "_PROCESSORS", {})


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "phone_number", "KeyType": "HASH"},
                {"AttributeName": "record", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "phone_number", "AttributeType": "S"},
                {"AttributeName": "record", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


@pytest.fixture
def registry(dynamodb: Any) -> OptOutRegistry:
    return OptOutRegistry(TABLE, client=dynamodb)


class World:
    """Everything one processor test needs."""

    def __init__(self, dynamodb: Any) -> None:
        self.clock = Clock()
        self.sms = FakeSmsVoiceV2(clock=self.clock)
        self.sms.add_opt_out_list(LIST)
        self.phone = self.sms.add_phone_number(
            OUR_NUMBER,
            opt_out_list_name=LIST,
            two_way_enabled=True,
            two_way_channel_arn="arn:aws:sns:us-east-1:123456789012:inbound",
            self_managed_opt_outs_enabled=True,
        )
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name=BUS)
        self.events = RecordingEvents(events)
        self.firehose = RecordingFirehose()
        self.registry = OptOutRegistry(TABLE, client=dynamodb)
        self.sender = SmsSender(client=self.sms, origination_identity=self.phone["PhoneNumberId"])
        self.processor = OptOutProcessor(
            engine=ENGINE,
            registry=self.registry,
            sms_client=self.sms,
            sender=self.sender,
            opt_out_list_name=LIST,
            events_client=self.events,
            event_bus_name=BUS,
            event_writer=EventStreamWriter(
                "lake", firehose_client=self.firehose, application_id="app-1", account_id="123456789012"
            ),
            clock=self.clock,
        )
        self._ids = 0

    def inbound(self, body: str, number: str = CUSTOMER, message_id: str | None = None) -> InboundSms:
        self._ids += 1
        return InboundSms(
            origination_number=number,
            destination_number=OUR_NUMBER,
            message_keyword=None,
            message_body=body,
            inbound_message_id=message_id or f"inbound-{self._ids:04d}",
            previous_published_message_id=None,
        )

    def handle(self, body: str, number: str = CUSTOMER, message_id: str | None = None) -> opt_out.KeywordOutcome:
        return self.processor.handle(self.inbound(body, number, message_id))

    def sent_bodies(self, number: str = CUSTOMER) -> list[str]:
        return [message["MessageBody"] for message in self.sms.sent if message["DestinationPhoneNumber"] == number]

    def operations(self) -> list[str]:
        return [call.operation for call in self.sms.calls]


@pytest.fixture
def world(dynamodb: Any) -> World:
    return World(dynamodb)


# --------------------------------------------------------------------------------------------- registry


def test_unknown_number_is_opted_in(registry: OptOutRegistry) -> None:
    assert registry.status(CUSTOMER) is None
    assert registry.state(CUSTOMER) is OptOutState.OPTED_IN
    assert registry.history(CUSTOMER) == []


def test_record_keeps_state_and_an_append_only_history(registry: OptOutRegistry, dynamodb: Any) -> None:
    t0 = START_TIME
    assert registry.record(
        CUSTOMER,
        OptOutState.OPTED_OUT,
        keyword="STOP",
        origination=OUR_NUMBER,
        at=t0,
        message_id="m1",
        on_opt_out_list=True,
    )
    assert registry.record(
        CUSTOMER,
        "OPTED_IN",
        keyword="START",
        origination=OUR_NUMBER,
        at=t0 + timedelta(days=31),
        message_id="m2",
        on_opt_out_list=False,
        list_removal_at=t0 + timedelta(days=31),
    )
    assert registry.record(
        CUSTOMER,
        OptOutState.OPTED_OUT_ALL,
        keyword="STOPALL",
        origination=OUR_NUMBER,
        at=t0 + timedelta(days=40),
        message_id="m3",
    )
    status = registry.status(CUSTOMER)
    assert status.state is OptOutState.OPTED_OUT_ALL and status.keyword == "STOPALL" and status.version == 3
    assert status.last_list_removal_at == t0 + timedelta(days=31)  # carried over
    assert status.on_opt_out_list is False  # carried over until told otherwise
    assert status.updated_at == t0 + timedelta(days=40)
    history = registry.history(CUSTOMER)
    assert [(h["previous_state"], h["state"], h["keyword"], h["action"]) for h in history] == [
        ("NONE", "OPTED_OUT", "STOP", "OPT_OUT"),
        ("OPTED_OUT", "OPTED_IN", "START", "OPT_IN"),
        ("OPTED_IN", "OPTED_OUT_ALL", "STOPALL", "OPT_OUT_ALL"),
    ]
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[0]["updated_at"] == "2026-03-02T09:00:00.000000Z"
    assert all(h["origination"] == OUR_NUMBER and h["phone_number"] == CUSTOMER for h in history)
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted(item["record"]["S"].split("#")[0] for item in items) == ["HISTORY", "HISTORY", "HISTORY", "STATE"]
    assert registry.history(OTHER_CUSTOMER) == []


def test_repeated_message_is_recorded_once(registry: OptOutRegistry) -> None:
    kwargs = {"keyword": "STOP", "origination": OUR_NUMBER, "message_id": "m1"}
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, **kwargs) is True
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, **kwargs) is False
    assert len(registry.history(CUSTOMER)) == 1
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER, message_id="m2")
    assert len(registry.history(CUSTOMER)) == 2  # a new STOP message is a new history entry


def test_history_is_paginated(registry: OptOutRegistry) -> None:
    for i in range(30):
        registry.record(
            CUSTOMER,
            OptOutState.OPTED_OUT if i % 2 else OptOutState.OPTED_IN,
            keyword="K",
            origination=OUR_NUMBER,
            at=START_TIME + timedelta(minutes=i),
        )
    original_query = registry.client.query
    pages: list[int] = []

    def small_pages(**request: Any) -> dict[str, Any]:
        response = original_query(**request, Limit=7)
        pages.append(len(response["Items"]))
        return response

    registry.client.query = small_pages  # type: ignore[method-assign]
    history = registry.history(CUSTOMER)
    assert len(pages) >= 5 and len(history) == 30
    assert [h["version"] for h in history] == list(range(1, 31))


class InterleavingClient:
    """DynamoDB client wrapper: before each of the first ``races`` transactions, another writer updates the number."""

    def __init__(self, client: Any, competitor: OptOutRegistry, races: int) -> None:
        self._client = client
        self._competitor = competitor
        self.races = races
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **params: Any) -> Any:
        self.transactions += 1
        if self.races:
            self.races -= 1
            self._competitor.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER)
        return self._client.transact_write_items(**params)


def test_concurrent_updates_lose_no_history(dynamodb: Any) -> None:
    competitor = OptOutRegistry(TABLE, client=dynamodb)
    racing = InterleavingClient(dynamodb, competitor, races=2)
    registry = OptOutRegistry(TABLE, client=racing)
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT_ALL, keyword="STOPALL", origination=OUR_NUMBER)
    assert racing.transactions == 3  # lost twice, re-read, won
    history = registry.history(CUSTOMER)
    assert [h["state"] for h in history].count("OPTED_OUT") == 2
    assert history[-1]["state"] == "OPTED_OUT_ALL" and history[-1]["previous_state"] == "OPTED_OUT"
    assert registry.status(CUSTOMER).version == 3 and registry.state(CUSTOMER) is OptOutState.OPTED_OUT_ALL


def test_gives_up_after_max_attempts(dynamodb: Any) -> None:
    competitor = OptOutRegistry(TABLE, client=dynamodb)
    registry = OptOutRegistry(TABLE, client=InterleavingClient(dynamodb, competitor, races=10), max_attempts=3)
    with pytest.raises(RegistryConflictError) as raised:
        registry.record(CUSTOMER, OptOutState.OPTED_IN, keyword="START", origination=OUR_NUMBER)
    assert raised.value.retryable and CUSTOMER not in str(raised.value) and "+*********82" in str(raised.value)
    assert [h["state"] for h in registry.history(CUSTOMER)] == ["OPTED_OUT"] * 3


def test_registry_errors_are_wrapped_without_the_number(dynamodb: Any) -> None:
    registry = OptOutRegistry("no-such-table", client=dynamodb)
    with pytest.raises(OptOutError) as raised:
        registry.state(CUSTOMER)
    assert raised.value.code == "ResourceNotFoundException" and not raised.value.retryable
    assert CUSTOMER not in str(raised.value)


@pytest.mark.parametrize("number", ["4255550182", "+0425", "+1425555018212345678", "", None, "+1 425 555 0182"])
def test_registry_rejects_non_e164_numbers(registry: OptOutRegistry, number: Any) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        registry.state(number)
    with pytest.raises(ValueError):
        registry.record(number, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER)


def test_registry_needs_a_table_name() -> None:
    with pytest.raises(ValueError, match="OPT_OUT_REGISTRY_TABLE"):
        OptOutRegistry()


# --------------------------------------------------------------------------------------------- may_send


@pytest.mark.parametrize(
    ("state", "promotional", "transactional"),
    [
        (None, True, True),
        (OptOutState.OPTED_IN, True, True),
        (OptOutState.OPTED_OUT, False, True),
        (OptOutState.OPTED_OUT_ALL, False, False),
    ],
)
def test_may_send_matrix(
    registry: OptOutRegistry, state: OptOutState | None, promotional: bool, transactional: bool
) -> None:
    if state is not None:
        registry.record(CUSTOMER, state, keyword="X", origination=OUR_NUMBER)
    assert registry.may_send(CUSTOMER, "PROMOTIONAL") is promotional
    assert registry.may_send(CUSTOMER, "TRANSACTIONAL") is transactional
    assert registry.may_send(OTHER_CUSTOMER, "PROMOTIONAL") is True


def test_may_send_rejects_unknown_message_types(registry: OptOutRegistry) -> None:
    with pytest.raises(ValueError, match="TRANSACTIONAL, PROMOTIONAL"):
        registry.may_send(CUSTOMER, "MARKETING")


def test_module_level_may_send_uses_the_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="OPT_OUT_REGISTRY_TABLE"):
        opt_out.may_send(CUSTOMER, "PROMOTIONAL")
    monkeypatch.setenv("OPT_OUT_REGISTRY_TABLE", TABLE)
    OptOutRegistry(TABLE, client=dynamodb).record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=None)
    assert opt_out.may_send(CUSTOMER, "PROMOTIONAL") is False
    assert opt_out.may_send(CUSTOMER, "TRANSACTIONAL") is True
    assert opt_out.default_registry() is opt_out.default_registry()


def test_may_send_plugs_into_the_sender(world: World) -> None:
    world.registry.record(CUSTOMER, OptOutState.OPTED_OUT_ALL, keyword="STOPALL", origination=OUR_NUMBER)
    from pinpoint_runtime.sms.sender import RecipientOptedOut

    guarded = SmsSender(
        client=world.sms, origination_identity=world.phone["PhoneNumberId"], may_send=world.registry.may_send
    )
    with pytest.raises(RecipientOptedOut):
        guarded.send_text(CUSTOMER, "Your code is 123456", message_type="TRANSACTIONAL")
    assert guarded.send_text(OTHER_CUSTOMER, "Sale today", message_type="PROMOTIONAL")
    assert world.sms.calls_to("send_text_message")[0]["DestinationPhoneNumber"] == OTHER_CUSTOMER


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
