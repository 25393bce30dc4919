"""pinpoint_runtime.campaigns.steps.pages: hooks, rendering, custom channels, one outcome per endpoint."""

from __future__ import annotations

import io
import json
from typing import Any

from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    FILTERED,
    RENDER_FAILURE,
    SUCCESS,
    UNSUPPORTED_CHANNEL,
    Outcome,
)
from pinpoint_runtime.campaigns.request import CampaignRequest
from pinpoint_runtime.campaigns.steps.invoker import FunctionInvoker
from pinpoint_runtime.campaigns.steps.pages import BatchSender
from tests.runtime.campaigns.test_request import request


class FakeLambda:
    """Lambda invoke for hooks and channels: functions are Python callables; errors as Lambda reports them."""

    def __init__(self, functions: dict[str, Any]) -> None:
        self.functions = functions
        self.calls: list[tuple[str, dict]] = []

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict:
        event = json.loads(Payload)
        self.calls.append((FunctionName, event))
        try:
            result = self.functions[FunctionName](event)
        except Exception as error:  # noqa: BLE001
            body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(body)}
        return {"Payload": io.BytesIO(json.dumps(result).encode())}


class FakeRenderer:
    def render(self, channel: str, endpoint: dict, *, endpoint_id: str | None = None) -> dict:
        assert endpoint_id is not None
        name = ((endpoint.get("User") or {}).get("UserAttributes") or {}).get("FirstName", [""])[0]
        if name == "BROKEN":
            raise ValueError("the template needs a value for FirstName")
        return {"SMS": {"Body": f"Hi {name}"}, "EMAIL": {"Subject": "Offer"}, "CUSTOM": {"Data": "{}"}}[channel]


class FakeDelivery:
    def __init__(self) -> None:
        self.delivered: list[str] = []

    def deliver(self, context, items, *, deadline=None):
        out = []
        for endpoint_id, endpoint, _rendered in items:
            self.delivered.append(endpoint_id)
            out.append(Outcome(endpoint_id, endpoint["ChannelType"], SUCCESS, message_id=f"m-{endpoint_id}"))
        return out


class FakeLedger:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def claim(self, key: str, *, channel: str | None = None) -> bool:
        if key in self.items:
            return False
        self.items[key] = "SENDING"
        return True

    def complete(self, key: str, status: str, message_id: str | None = None, *, reason: str | None = None) -> None:
        self.items[key] = status

    def get(self, key: str) -> dict | None:
        return {"status": self.items[key]} if key in self.items else None


class FakeWriter:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def put_events(self, request: dict) -> dict:
        batch = request["EventsRequest"]["BatchItem"]
        assert sum(len(v["Events"]) for v in batch.values()) <= 100
        for endpoint_id, item in batch.items():
            for event in item["Events"].values():
                self.events.append({"endpoint": endpoint_id, **event})
        return {}


def endpoints(n: int) -> list[dict]:
    out = []
    for i in range(n):
        channel = ("SMS", "EMAIL", "CUSTOM", "PUSH")[i % 4]
        endpoint: dict[str, Any] = {"Id": f"e{i}", "ChannelType": channel, "Address": f"a{i}"}
        if i % 5 == 0:
            endpoint["User"] = {
                "UserId": f"u{i}",
                "UserAttributes": {"FirstName": ["BROKEN" if i % 25 == 0 else "Ann"]},
            }
        out.append(endpoint)
    return out


def hook_drop_multiples_of_7(event: dict) -> dict:
    assert len(event["Endpoints"]) <= 50 and event["CampaignId"] == "camp1"
    return {
        i: {**e, "Attributes": {**(e.get("Attributes") or {}), "Offer": ["10%"]}}
        for i, e in event["Endpoints"].items()
        if int(i[1:]) % 7
    }


def channel_inbox(event: dict) -> dict:
    assert len(event["Endpoints"]) <= 50 and event["Data"] == "{}"
    return {
        "Results": {
            i: {"Status": "SUCCESS"} if int(i[1:]) % 3 else {"Status": "FAILURE", "Reason": "no inbox"}
            for i in event["Endpoints"]
        }
    }


def sender(functions: dict[str, Any], *, hooks=("hook",), channels=None, ledger=None, writer=None, req=None):
    client = FakeLambda(functions)
    invoker = FunctionInvoker(client=client, sleep=lambda s: None)
    batch_sender = BatchSender(
        CampaignRequest.parse(req or request()),
        renderer=FakeRenderer(),
        delivery=FakeDelivery(),
        invoker=invoker,
        hooks=hooks,
        channels=channels if channels is not None else {"inbox": "inbox"},
        ledger=ledger if ledger is not None else FakeLedger(),
        event_writer=writer,
    )
    return batch_sender, client


def test_a_page_goes_through_hooks_rendering_and_every_channel_with_one_outcome_per_endpoint():
    writer = FakeWriter()
    batch_sender, client = sender({"hook": hook_drop_multiples_of_7, "inbox": channel_inbox}, writer=writer)
    page = endpoints(230)
    result = batch_sender.send_page(page)
    by_id = {o.endpoint_id: o for o in result.outcomes}
    assert len(result.outcomes) == len(by_id) == 230
    hook_calls = [event for name, event in client.calls if name == "hook"]
    assert [len(e["Endpoints"]) for e in hook_calls] == [50, 50, 50, 50, 30]
    for i in range(230):
        outcome = by_id[f"e{i}"]
        if i % 7 == 0:
            assert outcome.status == FILTERED, i
        elif i % 4 == 3:
            assert outcome.status == UNSUPPORTED_CHANNEL, i  # PUSH: no message for it
        elif i % 25 == 0:
            assert outcome.status == RENDER_FAILURE and "FirstName" in outcome.reason, i
        elif i % 4 == 2:
            assert outcome.status == (SUCCESS if i % 3 else FAILURE), i
        else:
            assert outcome.status == SUCCESS and outcome.message_id == f"m-e{i}", i
    # the delivery recorded its own events; the runner recorded every other outcome as _campaign.send
    recorded = {e["endpoint"] for e in writer.events}
    assert recorded == {o.endpoint_id for o in result.outcomes if not o.message_id}
    assert {e["EventType"] for e in writer.events} == {"_campaign.send"}
    assert all(e["Attributes"]["campaign_id"] == "camp1" for e in writer.events)


def test_a_failing_hook_fails_its_batch_after_three_attempts_and_never_sends():
    calls = []

    def broken(event):
        calls.append(1)
        raise RuntimeError("attribute table unavailable")

    batch_sender, _ = sender({"hook": broken, "inbox": channel_inbox})
    outcomes = batch_sender.send_batch({f"e{i}": {"ChannelType": "SMS"} for i in range(10)})
    assert len(calls) == 3 and batch_sender.delivery.delivered == []
    assert {o.status for o in outcomes} == {FAILURE}
    assert "attribute table unavailable" in outcomes[0].reason and "after 3 attempts" in outcomes[0].reason


def test_a_hook_may_not_add_endpoints():
    batch_sender, _ = sender({"hook": lambda event: {"intruder": {"ChannelType": "SMS"}}, "inbox": channel_inbox})
    outcomes = batch_sender.send_batch({"e1": {"ChannelType": "SMS"}})
    assert [(o.endpoint_id, o.status) for o in outcomes] == [("e1", FAILURE)] and "intruder" in outcomes[0].reason


def test_a_retried_page_never_sends_a_custom_message_twice():
    ledger = FakeLedger()
    delivered = []

    def inbox(event):
        delivered.extend(event["Endpoints"])
        return None  # a Pinpoint-era channel: no answer means delivered

    first, _ = sender({"inbox": inbox}, hooks=(), ledger=ledger)
    page = {f"c{i}": {"ChannelType": "CUSTOM"} for i in range(5)}
    assert {o.status for o in first.send_batch(page)} == {SUCCESS}
    again, _ = sender({"inbox": inbox}, hooks=(), ledger=ledger)
    assert {o.status for o in again.send_batch(page)} == {DUPLICATE}
    assert sorted(delivered) == sorted(page)  # each endpoint once


def test_custom_endpoints_without_a_chosen_channel_fail_with_a_reason():
    batch_sender, _ = sender({"a": channel_inbox, "b": channel_inbox}, hooks=(), channels={"a": "a", "b": "b"})
    (outcome,) = batch_sender.send_batch({"c1": {"ChannelType": "CUSTOM"}})
    assert outcome.status == FAILURE and "no custom channel chosen" in outcome.reason
    named, _ = sender(
        {"a": channel_inbox, "b": channel_inbox},
        hooks=(),
        channels={"a": "a", "b": "b"},
        req=request(custom_channel="b"),
    )
    (outcome,) = named.send_batch({"c1": {"ChannelType": "CUSTOM"}})
    assert outcome.status == SUCCESS
