"""pinpoint_runtime.campaigns.runner: requests, segment sources, pages, hooks, custom channels, one outcome per
endpoint, the client (now and scheduled)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.campaigns.payloads import (
    DUPLICATE,
    FAILURE,
    FILTERED,
    RENDER_FAILURE,
    SUCCESS,
    UNSUPPORTED_CHANNEL,
    Outcome,
)
from pinpoint_runtime.campaigns.runner import (
    BatchSender,
    CampaignRequest,
    CampaignRequestError,
    CampaignRunnerClient,
    FunctionInvoker,
    HookFailed,
    RunnerSettings,
    SegmentSourceError,
    page_step,
    plan_step,
    read_segment,
    summary_step,
)

MESSAGE = {
    "SMSMessage": {"Body": "Hi {{User.UserAttributes.FirstName}}", "MessageType": "PROMOTIONAL"},
    "EmailMessage": {"Title": "Offer", "HtmlBody": "<p>Hi</p>", "FromAddress": "news@example.com"},
    "CustomMessage": {"Data": '{"kind": "inbox"}'},
}


def request(**overrides: Any) -> dict[str, Any]:
    return {
        "application_id": "app",
        "campaign_id": "camp1",
        "treatment_id": "0",
        "message_configuration": MESSAGE,
        "segment": {"segment_id": "seg"},
        **overrides,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "JSON object"),
        (request(application_id=""), "application_id"),
        (request(campaign_id="a b"), "campaign_id"),
        (request(message_configuration={"Foo": {}}), "message_configuration"),
        (request(segment={}), "segment"),
        (request(segment={"s3_url": "https://x"}), "s3_url"),
        (request(substitutions={"a": "b"}), "substitutions"),
        (request(custom_endpoint_types="CUSTOM"), "custom_endpoint_types"),
    ],
)
def test_a_bad_request_names_the_field(data, field):
    with pytest.raises(CampaignRequestError, match=field):
        CampaignRequest.parse(data)


# ------------------------------------------------------------------------------------------------ segments


class FakeStore:
    def __init__(self, endpoints: dict[str, dict]) -> None:
        self.endpoints = endpoints

    def segment_endpoint_ids(self, *, ApplicationId: str, SegmentId: str):
        yield from self.endpoints
        yield "deleted-since"  # a member whose endpoint no longer exists

    def batch_get_endpoints(self, *, ApplicationId: str, EndpointIds: list[str]) -> dict[str, dict]:
        assert len(EndpointIds) <= 100
        return {i: self.endpoints[i] for i in EndpointIds if i in self.endpoints}


class MemoryS3:
    def __init__(self, objects: dict[str, bytes] | None = None) -> None:
        self.objects = dict(objects or {})

    def get_object(self, *, Bucket: str, Key: str) -> dict:
        if f"{Bucket}/{Key}" not in self.objects:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[f"{Bucket}/{Key}"])}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict:
        self.objects[f"{Bucket}/{Key}"] = Body
        return {}

    def get_paginator(self, name: str) -> Any:
        objects = self.objects

        class Paginator:
            def paginate(self, *, Bucket: str, Prefix: str):
                keys = sorted(k.split("/", 1)[1] for k in objects if k.startswith(f"{Bucket}/{Prefix}"))
                yield {"Contents": [{"Key": k} for k in keys]}

        return Paginator()


def test_segments_come_from_the_store_an_endpoint_list_or_an_import_csv():
    store = FakeStore({f"e{i}": {"ChannelType": "SMS", "Address": f"+1202555{i:04d}"} for i in range(250)})
    from_store = list(read_segment(CampaignRequest.parse(request()), s3=None, store=store))
    assert [e["Id"] for e in from_store] == [f"e{i}" for i in range(250)]  # the deleted member is skipped
    lines = (
        b"\n".join(
            json.dumps({"Id": f"x{i}", "ChannelType": "EMAIL", "Address": f"u{i}@example.com"}).encode()
            for i in range(3)
        )
        + b"\n\n"
    )
    csv = b"ChannelType,Address,FirstName\nSMS,+12025550100,Ann\nSMS,not-a-number,Bob\n"
    s3 = MemoryS3({"b/list.jsonl": lines, "b/import.csv": csv, "b/bad.jsonl": b'{"Id": "a"}\nnot json\n'})
    listed = list(
        read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/list.jsonl"})), s3=s3, store=None)
    )
    assert [e["Id"] for e in listed] == ["x0", "x1", "x2"]
    imported = list(
        read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/import.csv"})), s3=s3, store=None)
    )
    assert len(imported) == 1 and imported[0]["Address"] == "+12025550100"  # the invalid row is not a recipient
    with pytest.raises(SegmentSourceError, match="line 2"):
        list(read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/bad.jsonl"})), s3=s3, store=None))
    with pytest.raises(SegmentSourceError, match="NoSuchKey"):
        list(
            read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/missing.jsonl"})), s3=s3, store=None)
        )


def test_plan_writes_pages_and_skips_repeated_endpoints():
    lines = b"".join(
        json.dumps({"Id": f"e{i % 120}", "ChannelType": "SMS", "Address": "+12025550100"}).encode() + b"\n"
        for i in range(130)
    )
    s3 = MemoryS3({"b/list.jsonl": lines})
    settings = RunnerSettings(work_bucket="w", page_size=50)
    run = plan_step(
        {"request": request(segment={"s3_url": "s3://b/list.jsonl"}), "run_id": "run-1"},
        s3=s3,
        store=None,
        settings=settings,
    )
    assert (run["endpoints"], run["pages"], run["duplicate_ids_skipped"]) == (120, 3, 10)
    assert run["request"]["activity_id"] == "run-1" and run["request"]["scheduled_time"]
    manifest = json.loads(s3.objects["w/campaign-work/run-1/manifest.json"])
    assert [p["count"] for p in manifest] == [50, 50, 20]


# ------------------------------------------------------------------------------------------------ pages


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


def test_the_invoker_bounds_attempts_and_does_not_retry_an_undecodable_answer():
    class NotJson:
        calls = 0

        def invoke(self, **kwargs):
            NotJson.calls += 1
            return {"Payload": io.BytesIO(b"<html>")}

    with pytest.raises(HookFailed, match="not JSON"):
        FunctionInvoker(client=NotJson(), sleep=lambda s: None).invoke("f", {})
    assert NotJson.calls == 1


def test_pages_and_summary_add_up_and_a_missing_page_fails_the_summary():
    s3 = MemoryS3()
    settings = RunnerSettings(work_bucket="w")
    page = endpoints(40)
    s3.put_object(
        Bucket="w",
        Key="campaign-work/r/pages/000000.jsonl",
        Body=b"".join(json.dumps(e).encode() + b"\n" for e in page),
    )
    run = {
        "run_id": "r",
        "request": {**request(), "activity_id": "r", "scheduled_time": "t"},
        "endpoints": 40,
        "pages": 1,
        "manifest_key": "m",
    }
    result = page_step(
        {"run": run, "page": {"index": 0, "key": "campaign-work/r/pages/000000.jsonl"}},
        s3=s3,
        settings=settings,
        sender_factory=lambda req: sender({"hook": hook_drop_multiples_of_7, "inbox": channel_inbox})[0],
    )
    assert result == {"index": 0, "endpoints": 40, "outcomes": 40}
    summary = summary_step({"run": run}, s3=s3, settings=settings)
    assert summary["endpoints"] == 40 and sum(summary["counts"].values()) == 40 and summary["sent"] > 0
    assert json.loads(s3.objects["w/campaign-results/r/summary.json"])["status"] == "SUCCEEDED"
    with pytest.raises(RuntimeError, match="pages without results"):
        summary_step({"run": {**run, "pages": 2, "endpoints": 80}}, s3=s3, settings=settings)


# ------------------------------------------------------------------------------------------------ client


@pytest.mark.usefixtures("fake_aws_credentials")
def test_the_client_starts_now_or_schedules_and_reads_the_summary():
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="runner",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )["stateMachineArn"]
        scheduler = boto3.client("scheduler", region_name="us-east-1")
        scheduler.create_schedule_group(Name="campaigns")
        client = CampaignRunnerClient(
            arn,
            scheduler_role_arn="arn:aws:iam::123456789012:role/s",
            schedule_group="campaigns",
            sfn=sfn,
            scheduler=scheduler,
        )
        started = client.start(request())
        described = sfn.describe_execution(executionArn=started["executionArn"])
        assert json.loads(described["input"])["request"]["campaign_id"] == "camp1"
        assert client.summary(started["executionArn"])["status"] in ("RUNNING", "SUCCEEDED")
        at = datetime.now(UTC) + timedelta(hours=2)
        scheduled = client.start(request(), at=at, name="spring-sale")
        schedule = scheduler.get_schedule(Name="spring-sale", GroupName="campaigns")
        assert scheduled["scheduleArn"] == schedule["Arn"]
        assert schedule["ScheduleExpression"] == at.strftime("at(%Y-%m-%dT%H:%M:%S)")
        assert schedule["Target"]["Arn"] == arn and schedule["ActionAfterCompletion"] == "DELETE"
        with pytest.raises(CampaignRequestError, match="future"):
            client.start(request(), at=datetime.now(UTC) - timedelta(minutes=1))
        with pytest.raises(CampaignRequestError, match="timezone"):
            client.start(request(), at=datetime.now() + timedelta(hours=1))
        with pytest.raises(CampaignRequestError, match="segment"):
            client.start(request(segment={}))


@pytest.mark.usefixtures("fake_aws_credentials")
def test_the_command_line_starts_a_run_and_reads_its_summary(tmp_path, capsys):
    from pinpoint_constructs.cli import main

    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="runner",
            roleArn="arn:aws:iam::123456789012:role/r",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        )["stateMachineArn"]
        path = tmp_path / "request.json"
        path.write_text(json.dumps(request()))
        assert main(["campaign", "start", "--state-machine-arn", arn, "--request", str(path), "--name", "r1"]) == 0
        execution_arn = json.loads(capsys.readouterr().out)["executionArn"]
        assert execution_arn.endswith(":r1")
        assert main(["campaign", "summary", execution_arn]) == 0
        assert json.loads(capsys.readouterr().out)["executionArn"] == execution_arn
        path.write_text(json.dumps(request(segment={})))
        assert main(["campaign", "start", "--state-machine-arn", arn, "--request", str(path)]) == 1
        assert "segment" in capsys.readouterr().err
