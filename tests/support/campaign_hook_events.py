"""Payloads and tables of the built-in campaign hook tests (tests/runtime/campaigns/hooks)."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from pinpoint_runtime.campaigns.payloads import CampaignContext, hook_event
from tests.conftest import REPO

HOOK_EVENT: dict[str, Any] = json.loads((REPO / "tests/data/payloads/campaign_hook_event.json").read_text())
CONTEXT = CampaignContext(
    application_id="app-1", campaign_id="camp-1", treatment_id="0", scheduled_time="2026-11-01T10:00:00.000Z"
)


def event(endpoints: dict[str, Any] | None = None, *, campaign: str = "camp-1", treatment: str = "0") -> dict:
    context = CampaignContext(application_id="app-1", campaign_id=campaign, treatment_id=treatment)
    return hook_event(context, copy.deepcopy(HOOK_EVENT["Endpoints"]) if endpoints is None else endpoints)


def bare_endpoints() -> dict[str, Any]:
    """Endpoints without Attributes, User or Demographic (the reference's hooks crashed on these)."""
    return {"bare-1": {"ChannelType": "SMS", "Address": "+12065550102"}, "bare-2": {}}


def make_table(name: str = "lookup", key: str = "id") -> Any:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return boto3.resource("dynamodb", region_name="us-east-1").Table(name)


def put_templates(s3: Any, bucket: str, documents: dict[str, Any]) -> None:
    s3.create_bucket(Bucket=bucket)
    for key, document in documents.items():
        s3.put_object(Bucket=bucket, Key=key, Body=document if isinstance(document, bytes) else json.dumps(document))


def make_cap_table() -> Any:
    return make_table("counters")
