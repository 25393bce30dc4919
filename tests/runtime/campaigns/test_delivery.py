"""Tests of pinpoint_runtime.campaigns.delivery (with its checks, SMS and email parts): SMS delivery through the faked
End User Messaging API (tests/support/sms_voice_fake.py, every request checked against botocore's model) with the
opt-out
registry on a moto table, email through SES v2 on moto, idempotency across retried batches, throttling, deadlines,
and ``_campaign.send`` events through a real EventStreamWriter."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.campaigns.delivery import CampaignDelivery
from pinpoint_runtime.campaigns.ledger import InMemoryLedger, SendLedger
from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    OPT_OUT,
    SUCCESS,
    THROTTLED,
    UNSUPPORTED_CHANNEL,
    CampaignContext,
)
from pinpoint_runtime.events.records import normalize_record
from pinpoint_runtime.events.stream import EventStreamWriter
from pinpoint_runtime.sms.opt_out import OptOutError, OptOutRegistry, OptOutState
from pinpoint_runtime.sms.rate_limiter import RateLimitedSmsSender, count_message_parts
from pinpoint_runtime.sms.sender import SmsSender
from tests.support.campaigns import CONTEXT, FROM, LEDGER, REGISTRY
from tests.support.sms_voice_fake import FakeSmsVoiceV2

ADDRESSES = ("+14255550101", "+14255550102", "+14255550103", "ana@example.net", "bo@example.net")


class SimClock:
    """Monotonic clock and sleep of the rate limiters: sleeping advances time, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingSes:
    """The moto SES v2 client, recording SendEmail requests; ``fail`` lists error codes for the next calls."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: list[dict[str, Any]] = []
        self.fail: list[tuple[str, str]] = []

    def send_email(self, **params: Any) -> dict[str, Any]:
        if self.fail:
            code, message = self.fail.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")
        response = self._client.send_email(**params)
        self.requests.append(params)
        return response


class RecordingFirehose:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.calls = 0

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.calls += 1
        self.records.extend(json.loads(record["Data"]) for record in Records)
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": str(i)} for i in range(len(Records))]}


class CountingWriter(EventStreamWriter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requests: list[dict[str, Any]] = []

    def put_events(self, request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return super().put_events(request)


class World:
    """A delivery wired to moto DynamoDB/SES, the faked SMS API, a simulated clock and a recording lake."""

    def __init__(
        self,
        aws: dict[str, Any],
        *,
        mps: float = 10.0,
        email_rate: float = 5.0,
        registry: bool = True,
        max_attempts: int = 5,
        max_workers: int = 1,
    ) -> None:
        self.clock = SimClock()
        self.sms = FakeSmsVoiceV2()
        self.phone = self.sms.add_phone_number("+12065550100")
        sender = SmsSender(
            origination_identity=self.phone["PhoneNumberArn"], configuration_set_name="campaigns", client=self.sms
        )
        self.rate_limited = RateLimitedSmsSender(
            sender, parts_per_second=mps, max_attempts=max_attempts, clock=self.clock, sleep=self.clock.sleep
        )
        self.ses = RecordingSes(aws["sesv2"])
        self.ses_v1 = aws["ses"]
        self.ledger = SendLedger(LEDGER, client=aws["dynamodb"])
        self.registry = OptOutRegistry(REGISTRY, client=aws["dynamodb"])
        self.firehose = RecordingFirehose()
        self.writer = CountingWriter("lake", firehose_client=self.firehose, account_id="123456789012")
        self.delivery = CampaignDelivery(
            ledger=self.ledger,
            sms_sender=self.rate_limited,
            opt_out_registry=self.registry if registry else None,
            ses_client=self.ses,
            email_configuration_set="campaign-email",
            default_from_address=FROM,
            email_messages_per_second=email_rate,
            event_writer=self.writer,
            max_attempts=max_attempts,
            max_workers=max_workers,
            clock=self.clock,
            sleep=self.clock.sleep,
        )

    def emails_sent(self) -> int:
        return int(self.ses_v1.get_send_quota()["SentLast24Hours"])


def sms_item(endpoint_id: str, number: str, body: str = "Hello from the shop", **endpoint: Any) -> tuple:
    return (
        endpoint_id,
        {"ChannelType": "SMS", "Address": number, **endpoint},
        {"Body": body, "MessageType": endpoint.pop("message_type", "PROMOTIONAL")},
    )


def email_item(endpoint_id: str, address: str, **endpoint: Any) -> tuple:
    return (
        endpoint_id,
        {"ChannelType": "EMAIL", "Address": address, **endpoint},
        {"Subject": "Spring sale", "HtmlBody": "<p>Sale</p>", "TextBody": "Sale", "FromAddress": FROM},
    )


def statuses(outcomes: list[Any]) -> dict[str, str]:
    return {outcome.endpoint_id: outcome.status for outcome in outcomes}


# --------------------------------------------------------------------------------------------- SMS + email


def test_mixed_batch_gets_one_outcome_per_endpoint(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.registry.record("+14255550103", OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    world.sms.end_user_opt_out("+14255550104")
    items = [
        sms_item("sms-ok", "+14255550101"),
        email_item("email-ok", "ana@example.net"),
        sms_item("all-out", "+14255550102", OptOut="ALL"),
        email_item("inactive", "bo@example.net", EndpointStatus="INACTIVE"),
        sms_item("registry-out", "+14255550103"),
        sms_item("service-out", "+14255550104"),
        sms_item("bad-number", "555-0100"),
        email_item("bad-email", "not-an-address"),
        ("custom", {"ChannelType": "CUSTOM", "Address": "x"}, {"Data": "{}"}),
    ]
    outcomes = world.delivery.deliver(CONTEXT, items)
    assert [outcome.endpoint_id for outcome in outcomes] == [item[0] for item in items]
    assert statuses(outcomes) == {
        "sms-ok": SUCCESS,
        "email-ok": SUCCESS,
        "all-out": OPT_OUT,
        "inactive": FAILURE,
        "registry-out": OPT_OUT,
        "service-out": OPT_OUT,
        "bad-number": FAILURE,
        "bad-email": FAILURE,
        "custom": UNSUPPORTED_CHANNEL,
    }
    # SMS: one message, with the configuration set and the ids in Context
    assert [sent["DestinationPhoneNumber"] for sent in world.sms.sent] == ["+14255550101"]
    sent = world.sms.sent[0]
    assert sent["ConfigurationSetName"] == "campaigns"
    assert sent["Context"] == {"campaign_id": "camp1", "treatment_id": "0", "endpoint_id": "sms-ok"}
    assert sent["MessageType"] == "PROMOTIONAL" and sent["OriginationIdentity"] == world.phone["PhoneNumberArn"]
    assert outcomes[0].message_id == sent["MessageId"]
    # email: one SendEmail, configuration set and the tags the lake normaliser maps
    assert world.emails_sent() == 1
    request = world.ses.requests[0]
    assert request["Destination"] == {"ToAddresses": ["ana@example.net"]}
    assert request["ConfigurationSetName"] == "campaign-email"
    assert {tag["Name"]: tag["Value"] for tag in request["EmailTags"]} == {
        "campaign_id": "camp1",
        "treatment_id": "0",
        "endpoint_id": "email-ok",
    }
    assert request["Content"]["Simple"]["Body"]["Html"]["Data"] == "<p>Sale</p>"
    # an endpoint id SES would not take as a tag value reaches the lake's client_id unchanged
    dotted = world.delivery.deliver(CONTEXT, [email_item("user.42@example.com", "bo@example.net")])
    assert statuses(dotted) == {"user.42@example.com": SUCCESS}
    tags = {tag["Name"]: [tag["Value"]] for tag in world.ses.requests[-1]["EmailTags"]}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v[0]) for v in tags.values())
    from pinpoint_runtime.events.records import normalize_record

    ses_event = {"eventType": "Send", "send": {}, "mail": {"timestamp": "2026-11-22T10:00:00.000Z",
                 "messageId": "m-1", "sendingAccountId": "123456789012", "tags": tags}}  # fmt: skip
    normalized = normalize_record(ses_event, arrival_timestamp_ms=1795378597000, application_id="app1",
                                  account_id="123456789012")  # fmt: skip
    assert normalized.record["client"]["client_id"] == "user.42@example.com"
    # ledger: every send attempt recorded with its outcome; local rejections are not
    recorded = {item[0]: world.ledger.get(CONTEXT.idempotency_key(item[0])) for item in items}
    assert {k: (v or {}).get("status") for k, v in recorded.items()} == {
        "sms-ok": SUCCESS,
        "email-ok": SUCCESS,
        "all-out": None,
        "inactive": None,
        "registry-out": OPT_OUT,
        "service-out": OPT_OUT,
        "bad-number": None,
        "bad-email": None,
        "custom": None,
    }


def test_a_retried_batch_sends_nothing_twice(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.registry.record("+14255550103", OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    items = [
        sms_item("a", "+14255550101"),
        sms_item("b", "+14255550102"),
        sms_item("c", "+14255550103"),
        email_item("d", "ana@example.net"),
        sms_item("e", "+14255550105", OptOut="ALL"),
    ]
    first = world.delivery.deliver(CONTEXT, items)
    second = world.delivery.deliver(CONTEXT, items)
    assert statuses(first) == {"a": SUCCESS, "b": SUCCESS, "c": OPT_OUT, "d": SUCCESS, "e": OPT_OUT}
    assert statuses(second) == {"a": DUPLICATE, "b": DUPLICATE, "c": DUPLICATE, "d": DUPLICATE, "e": OPT_OUT}
    assert [o.message_id for o in second[:2]] == [o.message_id for o in first[:2]]
    assert "status SUCCESS" in second[0].reason and "status OPT_OUT" in second[2].reason
    assert [o.earlier_status for o in second] == [SUCCESS, SUCCESS, OPT_OUT, SUCCESS, None]
    assert second[0].to_dict()["earlier_status"] == SUCCESS and "earlier_status" not in first[0].to_dict()
    assert len(world.sms.sent) == 2 and world.emails_sent() == 1
    # another treatment of the same campaign is a different message: it is sent
    other = world.delivery.deliver(CampaignContext("app1", "camp1", treatment_id="1"), items[:1])
    assert statuses(other) == {"a": SUCCESS} and len(world.sms.sent) == 3


def test_a_send_claimed_but_never_completed_is_not_resent(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.ledger.claim(CONTEXT.idempotency_key("a"), channel="SMS")  # an attempt that crashed mid-send
    [outcome] = world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])
    assert outcome.status == FAILURE and "at most once" in outcome.reason and "crashed" in outcome.reason
    assert world.sms.sent == []


def test_the_same_endpoint_twice_in_one_batch_is_sent_once_even_concurrently(aws: dict[str, Any]) -> None:
    world = World(aws, max_workers=4, mps=1000)
    items = [sms_item("a", "+14255550101")] * 6 + [sms_item(f"x{i}", f"+1425555020{i}") for i in range(4)]
    outcomes = world.delivery.deliver(CONTEXT, items)
    a = [o for o in outcomes if o.endpoint_id == "a"]
    assert len(outcomes) == 10 and sorted(o.status for o in a).count(SUCCESS) == 1
    assert all(o.status in (DUPLICATE, FAILURE) for o in a if o.status != SUCCESS)
    assert sorted(s["DestinationPhoneNumber"] for s in world.sms.sent).count("+14255550101") == 1
    assert len(world.sms.sent) == 5


# --------------------------------------------------------------------------------------------- throttling


def test_sms_throttling_is_retried_with_backoff(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.sms.fail_next("send_text_message", "ThrottlingException", times=2)
    [outcome] = world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])
    assert outcome.status == SUCCESS
    assert len(world.sms.calls_to("send_text_message")) == 3 and len(world.sms.sent) == 1
    assert len([s for s in world.clock.sleeps if s > 0]) >= 1  # backoff waited (and slots were re-booked)


def test_sms_still_throttled_is_released_and_sent_by_the_retry(aws: dict[str, Any]) -> None:
    world = World(aws, max_attempts=3)
    world.sms.fail_next("send_text_message", "ThrottlingException", times=3)
    [first] = world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])
    assert first.status == THROTTLED and world.sms.sent == []
    assert world.ledger.get(CONTEXT.idempotency_key("a")) is None  # released: not attempted
    [second] = world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])
    assert second.status == SUCCESS and len(world.sms.sent) == 1


def test_sends_past_the_deadline_are_throttled_not_attempted(aws: dict[str, Any]) -> None:
    world = World(aws, mps=1.0)
    items = [sms_item(f"e{i}", f"+1425555010{i}") for i in range(5)]
    outcomes = world.delivery.deliver(CONTEXT, items, deadline=world.clock() + 2.5)
    assert [o.status for o in outcomes] == [SUCCESS, SUCCESS, SUCCESS, THROTTLED, THROTTLED]
    assert "not attempted" in outcomes[3].reason
    assert len(world.sms.sent) == 3
    retry = world.delivery.deliver(CONTEXT, items)
    assert [o.status for o in retry] == [DUPLICATE, DUPLICATE, DUPLICATE, SUCCESS, SUCCESS]
    assert len(world.sms.sent) == 5


def test_sms_parts_are_paced_at_the_configured_rate(aws: dict[str, Any]) -> None:
    world = World(aws, mps=4.0)
    starts: list[float] = []
    original = world.sms.send_text_message

    def timed(**params: Any) -> dict[str, Any]:
        starts.append(world.clock())
        return original(**params)

    world.sms.send_text_message = timed  # type: ignore[method-assign]
    bodies = ["short", "x" * 200, "y" * 400, "ж" * 100, "z"]  # 1, 2, 3, 2 and 1 parts
    items = [sms_item(f"e{i}", f"+1425555010{i}", body) for i, body in enumerate(bodies)]
    assert {o.status for o in world.delivery.deliver(CONTEXT, items)} == {SUCCESS}
    parts = [count_message_parts(body).parts for body in bodies]
    assert parts == [1, 2, 3, 2, 1]
    for i in range(1, len(starts)):
        assert starts[i] - starts[i - 1] >= parts[i - 1] / 4.0 - 1e-9


def test_email_throttling_is_retried_and_errors_name_codes_only(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.ses.fail = [("TooManyRequestsException", "slow down"), ("LimitExceededException", "slow down")]
    [ok] = world.delivery.deliver(CONTEXT, [email_item("a", "ana@example.net")])
    assert ok.status == SUCCESS and world.emails_sent() == 1 and len(world.clock.sleeps) >= 2
    world.ses.fail = [("MessageRejected", "Email address is not verified: bo@example.net")]
    [rejected] = world.delivery.deliver(CONTEXT, [email_item("b", "bo@example.net")])
    assert rejected.status == FAILURE and rejected.reason == "SendEmail failed: MessageRejected"
    assert world.ledger.get(CONTEXT.idempotency_key("b"))["status"] == FAILURE


def test_email_is_paced_at_the_configured_rate(aws: dict[str, Any]) -> None:
    world = World(aws, email_rate=2.0)
    start = world.clock()
    items = [email_item(f"e{i}", f"user{i}@example.net") for i in range(5)]
    assert {o.status for o in world.delivery.deliver(CONTEXT, items)} == {SUCCESS}
    assert world.clock() - start == pytest.approx(2.0)  # 5 messages at 2/s: starts at 0, .5, 1, 1.5, 2


# --------------------------------------------------------------------------------------------- opt-outs


def test_registry_policy_distinguishes_message_types(aws: dict[str, Any]) -> None:
    world = World(aws)
    world.registry.record("+14255550101", OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    promo = sms_item("p", "+14255550101")
    transactional = (
        "t",
        {"ChannelType": "SMS", "Address": "+14255550101"},
        {"Body": "Your code is 1234", "MessageType": "TRANSACTIONAL"},
    )
    assert statuses(world.delivery.deliver(CONTEXT, [promo, transactional])) == {"p": OPT_OUT, "t": SUCCESS}


def test_registry_errors_fail_closed_and_release_the_claim(aws: dict[str, Any]) -> None:
    world = World(aws)

    class Broken:
        def may_send(self, number: str, message_type: str) -> bool:
            raise OptOutError("registry down", code="ProvisionedThroughputExceededException", retryable=True)

    world.delivery.opt_out_registry = Broken()
    [outcome] = world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])
    assert outcome.status == FAILURE and "ProvisionedThroughputExceededException" in outcome.reason
    assert world.sms.sent == [] and world.ledger.get(CONTEXT.idempotency_key("a")) is None


def test_no_registry_means_no_registry_check(aws: dict[str, Any]) -> None:
    world = World(aws, registry=False)
    world.registry.record("+14255550101", OptOutState.OPTED_OUT, keyword="STOP", origination="+12065550100")
    assert statuses(world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])) == {"a": SUCCESS}


# --------------------------------------------------------------------------------------------- events and logs


def test_every_outcome_becomes_a_campaign_send_event_in_calls_of_at_most_100(aws: dict[str, Any]) -> None:
    world = World(aws)
    items = [sms_item(f"in{i}", f"+1425555{i:04d}", EndpointStatus="INACTIVE") for i in range(120)]
    items.append(sms_item("ok", "+14255550101"))
    outcomes = world.delivery.deliver(CONTEXT, items)
    assert len(world.writer.requests) == 2
    assert [sum(len(e["Events"]) for e in r["EventsRequest"]["BatchItem"].values()) for r in world.writer.requests] == [
        100,
        21,
    ]
    records = world.firehose.records
    assert len(records) == 121 and world.delivery.events_not_written == 0
    by_client = {record["client"]["client_id"]: record for record in records}
    ok = by_client["ok"]
    assert ok["event_type"] == "_campaign.send" and ok["application"]["app_id"] == "app1"
    assert ok["attributes"] == {
        "campaign_id": "camp1",
        "treatment_id": "0",
        "campaign_activity_id": "act1",
        "delivery_type": "SMS",
        "campaign_send_status": "SUCCESS",
        "message_id": outcomes[-1].message_id,
    }
    assert by_client["in7"]["attributes"]["campaign_send_status"] == FAILURE
    normalized = normalize_record(ok, arrival_timestamp_ms=1, application_id="app1", account_id="123456789012")
    assert normalized.record["event_type"] == "_campaign.send" and normalized.record["client"]["client_id"] == "ok"


def test_event_failures_are_counted_not_raised(aws: dict[str, Any]) -> None:
    world = World(aws)

    class Down:
        def put_events(self, request: Any) -> Any:
            raise RuntimeError("firehose down")

    world.delivery.event_writer = Down()
    assert statuses(world.delivery.deliver(CONTEXT, [sms_item("a", "+14255550101")])) == {"a": SUCCESS}
    assert world.delivery.events_not_written == 1


def test_addresses_never_appear_in_reasons_or_logs(aws: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pinpoint_runtime")
    world = World(aws, max_attempts=1)
    world.sms.fail_next("send_text_message", "ValidationException")
    world.ses.fail = [("MessageRejected", "Address blacklisted: ana@example.net")]
    world.sms.end_user_opt_out("+14255550103")
    items = [
        sms_item("a", "+14255550101"),
        email_item("b", "ana@example.net"),
        sms_item("c", "+14255550103"),
        sms_item("d", "+1425555010x"),
        email_item("e", "bo@example.net", OptOut="ALL"),
    ]
    outcomes = world.delivery.deliver(CONTEXT, items)
    assert [o.status for o in outcomes] == [FAILURE, FAILURE, OPT_OUT, FAILURE, OPT_OUT]
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("pinpoint_runtime"))
    assert "campaign delivery: campaign camp1" in ours
    text = ours + " ".join(o.reason or "" for o in outcomes) + json.dumps(world.firehose.records)
    for address in (*ADDRESSES, "+1425555010x"):
        assert address not in text


# --------------------------------------------------------------------------------------------- property


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(["ok", "all", "inactive", "bad", "throttle"])
        ),
        max_size=12,
    ),
    retries=st.integers(min_value=1, max_value=3),
)
def test_property_one_outcome_each_and_never_two_sends(plan: list[tuple[str, str]], retries: int) -> None:
    clock = SimClock()
    fake = FakeSmsVoiceV2()
    sender = RateLimitedSmsSender(
        SmsSender(client=fake), parts_per_second=50, max_attempts=2, clock=clock, sleep=clock.sleep
    )
    delivery = CampaignDelivery(ledger=InMemoryLedger(), sms_sender=sender, clock=clock, sleep=clock.sleep)
    numbers = {"a": "+14255550101", "b": "+14255550102", "c": "+14255550103", "d": "+14255550104", "e": "+14255550105"}
    items = []
    for endpoint_id, kind in plan:
        extra = {"OptOut": "ALL"} if kind == "all" else {"EndpointStatus": "INACTIVE"} if kind == "inactive" else {}
        number = "bad" if kind == "bad" else numbers[endpoint_id]
        items.append(sms_item(endpoint_id, number, **extra))
        if kind == "throttle":
            fake.fail_next("send_text_message", "ThrottlingException", times=2)
    for _ in range(retries):
        outcomes = delivery.deliver(CONTEXT, items)
        assert [o.endpoint_id for o in outcomes] == [item[0] for item in items]
    sent = [s["Context"]["endpoint_id"] for s in fake.sent]
    assert len(sent) == len(set(sent))
