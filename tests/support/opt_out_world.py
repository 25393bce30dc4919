"""The world of the opt-out tests (tests/runtime/sms and tests/functions): a registry table, the SMS fake with an
opt-out list and a two-way number, EventBridge (moto, entries recorded), a recording lake, and one processor.

The SMS API is tests/support/sms_voice_fake.FakeSmsVoiceV2 (validates every request against botocore's model, keeps
opt-out lists, enforces the 30-day removal rule).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from pinpoint_runtime.events.stream import EventStreamWriter
from pinpoint_runtime.sms.inbound import InboundSms
from pinpoint_runtime.sms.keyword_rules import KeywordAction, KeywordRule, ProgramInfo
from pinpoint_runtime.sms.keywords import KeywordEngine
from pinpoint_runtime.sms.opt_out_processor import KeywordOutcome, OptOutProcessor
from pinpoint_runtime.sms.opt_out_registry import OptOutRegistry
from pinpoint_runtime.sms.sender import SmsSender
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

    def handle(self, body: str, number: str = CUSTOMER, message_id: str | None = None) -> KeywordOutcome:
        return self.processor.handle(self.inbound(body, number, message_id))

    def sent_bodies(self, number: str = CUSTOMER) -> list[str]:
        return [message["MessageBody"] for message in self.sms.sent if message["DestinationPhoneNumber"] == number]

    def operations(self) -> list[str]:
        return [call.operation for call in self.sms.calls]


def create_registry_table(client: Any, table_name: str = TABLE) -> None:
    """The opt-out registry's key schema (partition ``phone_number``, sort ``record``)."""
    client.create_table(
        TableName=table_name,
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
