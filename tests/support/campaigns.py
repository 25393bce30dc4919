"""Shared by the campaign runtime tests (tests/runtime/campaigns): the delivery tests' ledger, registry and sender
names, one campaign context and the moto world they run in (the ``aws`` fixture of tests/runtime/campaigns/conftest.py);
the template tests' endpoint, renderers and template objects (the ``template_bucket`` fixture)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.campaigns.payloads import CampaignContext
from pinpoint_runtime.campaigns.template_store import clear_template_cache
from pinpoint_runtime.campaigns.templates import MessageRenderer
from tests.conftest import TEST_DATA

LEDGER = "send-ledger"
REGISTRY = "opt-out-registry"
FROM = "shop@example.com"
CONTEXT = CampaignContext(
    application_id="app1",
    campaign_id="camp1",
    treatment_id="0",
    activity_id="act1",
    message_configuration={"SMSMessage": {"Body": "x"}},
)


def delivery_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in ("SMS_ORIGINATION_IDENTITY", "SMS_CONFIGURATION_SET", "OPT_OUT_REGISTRY_TABLE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=LEDGER,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=LEDGER, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        dynamodb.create_table(
            TableName=REGISTRY,
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
        sesv2 = boto3.client("sesv2", region_name="us-east-1")
        sesv2.create_email_identity(EmailIdentity=FROM)
        yield {"dynamodb": dynamodb, "sesv2": sesv2, "ses": boto3.client("ses", region_name="us-east-1")}


PAYLOADS = Path("/work/shared/data/payloads")
HOOK_EVENT = TEST_DATA / "payloads" / "campaign_hook_event.json"

ENDPOINT = {
    "ChannelType": "SMS",
    "Address": "+12065550100",
    "EndpointStatus": "ACTIVE",
    "OptOut": "NONE",
    "Location": {"City": "Seattle", "Country": "US"},
    "Demographic": {"Platform": "android"},
    "Attributes": {"Offer": ["20% off", "free shipping"], "Colors": ["red", "blue"]},
    "Metrics": {"Sessions": 3.0},
    "User": {"UserId": "user-1", "UserAttributes": {"FirstName": ["Ana", "Ann"]}},
}


def sms(body: str, **kwargs: Any) -> MessageRenderer:
    return MessageRenderer({"SMSMessage": {"Body": body, "MessageType": "TRANSACTIONAL"}}, **kwargs)


def render_body(body: str, endpoint: dict[str, Any] | None = None, **kwargs: Any) -> str:
    return sms(body, **kwargs).render("SMS", ENDPOINT if endpoint is None else endpoint)["Body"]


def hook_event() -> dict[str, Any]:
    path = PAYLOADS / "campaign_hook_event.json"
    return json.loads((path if path.exists() else HOOK_EVENT).read_text())


def template_world() -> Iterator[Any]:
    clear_template_cache()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="templates")
        yield s3
    clear_template_cache()


def put_template(s3: Any, name: str, document: dict[str, Any]) -> None:
    s3.put_object(Bucket="templates", Key=f"t/{name}.json", Body=json.dumps(document).encode())
