"""A 1,000-endpoint campaign through the whole engine, handlers called directly in the order the workflow calls
them: planner → (per page) batch sender → attribute-lookup hook → rendering → SMS (faked End User Messaging API),
EMAIL (moto SES v2) and the in-app inbox channel → reporter. Every endpoint must end with exactly one outcome, and
a retried page must not send anything twice."""

from __future__ import annotations

import importlib
import io
import json
from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

import pinpoint_runtime.core.aws_clients as aws_clients
from pinpoint_runtime.audience.store import EndpointStore
from tests.support.sms_voice_fake import FakeSmsVoiceV2

REGION = "us-east-1"
BUCKET = "campaign-work-bucket"
APP = "app-1"
MESSAGE = {
    "SMSMessage": {
        "Body": "Hi {{User.UserAttributes.FirstName}}, {{Attributes.Offer}} off today",
        "MessageType": "PROMOTIONAL",
    },
    "EmailMessage": {
        "Title": "{{User.UserAttributes.FirstName}}, your offer",
        "HtmlBody": "<p>{{Attributes.Offer}}</p>",
        "Body": "{{Attributes.Offer}}",
        "FromAddress": "news@example.com",
    },
    "CustomMessage": {"Data": '{"title": "Offer {{Attributes.Offer}}"}'},
}


class Context:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:test"
    aws_request_id = "req"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


class InProcessLambda:
    """boto3 Lambda ``invoke`` for the hook and channel functions: their handler modules, in process."""

    def __init__(self, functions: dict[str, str]) -> None:
        self.functions = functions
        self.calls: Counter = Counter()

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.calls[FunctionName] += 1
        module = importlib.import_module(f"{self.functions[FunctionName]}.handler")
        result = module.handler(json.loads(Payload), Context())
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


@pytest.fixture(scope="module")
def engine():
    """One world for the module (setting up 1,000 endpoints in moto is the slow part); each test runs its own
    campaign id, so their send ledgers do not meet."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
            monkeypatch.setenv(name, "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        aws_clients.client.cache_clear()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)

        def table(name: str, keys: list[str], gsi: bool = False) -> None:
            spec: dict[str, Any] = {
                "TableName": name,
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [
                    {"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
                ],
                "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
            }
            if gsi:
                spec["AttributeDefinitions"].append({"AttributeName": "user_key", "AttributeType": "S"})
                spec["GlobalSecondaryIndexes"] = [
                    {
                        "IndexName": "by_user",
                        "Projection": {"ProjectionType": "ALL"},
                        "KeySchema": [
                            {"AttributeName": "user_key", "KeyType": "HASH"},
                            {"AttributeName": "sk", "KeyType": "RANGE"},
                        ],
                    }
                ]
            dynamodb.create_table(**spec)

        table("endpoints", ["pk", "sk"], gsi=True)
        table("ledger", ["pk"])
        table("attributes", ["id"])
        table("inbox", ["pk", "sk"])
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity="example.com")
        sms = FakeSmsVoiceV2()
        phone = sms.add_phone_number("+12065550100")
        real_client = aws_clients.client.__wrapped__

        def client(name: str) -> Any:
            return sms if name == "pinpoint-sms-voice-v2" else real_client(name)

        monkeypatch.setattr(aws_clients, "client", client)
        functions = {"hook": "hook_attribute_lookup", "inbox": "channel_inapp_inbox"}
        lambdas = InProcessLambda(functions)
        from pinpoint_runtime.campaigns.steps.invoker import FunctionInvoker

        monkeypatch.setattr(FunctionInvoker, "client", property(lambda self: lambdas))
        for name, value in {
            "CAMPAIGN_WORK_BUCKET": BUCKET,
            "CAMPAIGN_PAGE_SIZE": "300",
            "ENDPOINT_STORE_TABLE": "endpoints",
            "CAMPAIGN_LEDGER_TABLE": "ledger",
            "CAMPAIGN_SMS_MPS": "2000",
            "CAMPAIGN_EMAIL_RATE": "2000",
            "CAMPAIGN_SMS_ORIGINATION_IDENTITY": phone["PhoneNumberArn"],
            "CAMPAIGN_EMAIL_IDENTITY": "example.com",
            "CAMPAIGN_HOOK_FUNCTIONS": json.dumps(["hook"]),
            "CAMPAIGN_CUSTOM_CHANNELS": json.dumps({"inbox": "inbox"}),
            "LOOKUP_TABLE_NAME": "attributes",
            "LOOKUP_KEY_TYPE": "USER_ID",
            "INBOX_TABLE_NAME": "inbox",
        }.items():
            monkeypatch.setenv(name, value)

        store = EndpointStore("endpoints", client=dynamodb)
        items = []
        for i in range(1000):
            channel = ("SMS", "EMAIL", "CUSTOM", "PUSH")[i % 4] if i % 10 else "SMS"
            address = {"SMS": f"+1206555{i:04d}", "EMAIL": f"user{i}@example.com"}.get(channel, f"device-{i}")
            item = {
                "Id": f"e{i}",
                "ChannelType": channel,
                "Address": address,
                "User": {"UserId": f"u{i}", "UserAttributes": {"FirstName": [f"Name{i}"]}},
            }
            if i % 97 == 5:
                item["OptOut"] = "ALL"
            items.append(item)
        for start in range(0, 1000, 100):
            store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items[start : start + 100]})
            store.add_to_segment(
                ApplicationId=APP, SegmentId="spring", EndpointIds=[e["Id"] for e in items[start : start + 100]]
            )
        for i in range(0, 1000, 3):
            dynamodb.put_item(TableName="attributes", Item={"id": {"S": f"u{i}"}, "Offer": {"S": "10%"}})
        yield {"s3": s3, "sms": sms, "dynamodb": dynamodb, "lambdas": lambdas}


def _run(engine: dict[str, Any], run_id: str, *, campaign_id: str, retry_pages: bool = False) -> dict[str, Any]:
    from campaign_batch_sender.handler import handler as send_page
    from campaign_planner.handler import handler as plan
    from campaign_reporter.handler import handler as report

    request = {
        "application_id": APP,
        "campaign_id": campaign_id,
        "treatment_id": "0",
        "message_configuration": MESSAGE,
        "segment": {"segment_id": "spring"},
    }
    run = plan({"request": request, "run_id": run_id, "started_at": "2026-11-22T10:00:00Z"}, Context())
    manifest = json.loads(engine["s3"].get_object(Bucket=BUCKET, Key=run["manifest_key"])["Body"].read())
    for page in manifest:
        result = send_page({"run": run, "page": page}, Context())
        assert result["outcomes"] == page["count"]
        if retry_pages:  # Step Functions retries a page (e.g. after a timeout): nothing may be sent twice
            send_page({"run": run, "page": page}, Context())
    return report({"outcome": "succeeded", "run": run}, Context())


def _expected_status(i: int) -> str:
    """What endpoint e<i> of the world comes to on its first send."""
    channel = ("SMS", "EMAIL", "CUSTOM", "PUSH")[i % 4] if i % 10 else "SMS"
    if channel == "PUSH":
        return "UNSUPPORTED_CHANNEL"
    if channel == "CUSTOM":
        return "SUCCESS"  # the custom channel decides about opt-outs itself (Pinpoint passed them on)
    return "OPT_OUT" if i % 97 == 5 else "SUCCESS"


def test_a_thousand_endpoints_each_end_with_exactly_one_outcome(engine):
    engine["sms"].sent.clear()
    calls_before = engine["lambdas"].calls["hook"]
    summary = _run(engine, "run-1", campaign_id="spring-sale")
    assert summary["endpoints"] == 1000 and sum(summary["counts"].values()) == 1000
    outcomes = []
    for obj in engine["s3"].list_objects_v2(Bucket=BUCKET, Prefix="campaign-work/run-1/outcomes/")["Contents"]:
        body = engine["s3"].get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read().decode()
        outcomes.extend(json.loads(line) for line in body.splitlines())
    by_id = Counter(o["endpoint_id"] for o in outcomes)
    assert len(by_id) == 1000 and set(by_id.values()) == {1}
    status = {o["endpoint_id"]: o["status"] for o in outcomes}
    for i in range(1000):
        assert status[f"e{i}"] == _expected_status(i), (i, [o for o in outcomes if o["endpoint_id"] == f"e{i}"])
    sms_sent = list(engine["sms"].sent)
    assert len(sms_sent) == sum(1 for o in outcomes if o["channel"] == "SMS" and o["status"] == "SUCCESS") > 250
    # the hook's attributes reached the rendered message; endpoints without them rendered with an empty value
    bodies = {m["DestinationPhoneNumber"]: m["MessageBody"] for m in sms_sent}
    assert bodies["+12065550000"] == "Hi Name0, 10% off today"
    assert bodies["+12065550004"] == "Hi Name4,  off today"
    assert all(m["Context"]["campaign_id"] == "spring-sale" for m in sms_sent)
    inbox = [i for i in engine["dynamodb"].scan(TableName="inbox")["Items"] if "spring-sale" in i["sk"]["S"]]
    assert len(inbox) == sum(1 for i in range(1000) if i % 10 and i % 4 == 2)
    assert engine["lambdas"].calls["hook"] - calls_before == 20  # 1000 endpoints / 50 per call


def test_a_retried_page_sends_nothing_twice(engine):
    engine["sms"].sent.clear()
    summary = _run(engine, "run-2", campaign_id="autumn-sale", retry_pages=True)
    numbers = [m["DestinationPhoneNumber"] for m in engine["sms"].sent]
    assert len(numbers) == len(set(numbers)) and numbers
    inbox = [i for i in engine["dynamodb"].scan(TableName="inbox")["Items"] if "autumn-sale" in i["sk"]["S"]]
    assert inbox and len(inbox) == sum(1 for i in range(1000) if i % 10 and i % 4 == 2)  # once each
    # the retry's outcomes replaced the first attempt's: what was sent shows as DUPLICATE, never a second send
    assert summary["counts"].get("DUPLICATE", 0) > 0 and summary["endpoints"] == 1000
    # ... and the summary says what those earlier attempts did: every message that left is counted as delivered
    earlier = summary["duplicates_by_earlier_status"]
    assert sum(earlier.values()) == summary["counts"]["DUPLICATE"] and earlier.get("SUCCESS", 0) > 0
    assert summary["delivered"] == sum(1 for i in range(1000) if _expected_status(i) == "SUCCESS")
    assert summary["delivered"] == summary["sent"] + earlier["SUCCESS"]
