"""Payloads, answers and secrets of the built-in custom channel tests (tests/runtime/campaigns/channels)."""

from __future__ import annotations

import json
from typing import Any

import boto3

from pinpoint_runtime.campaigns.channels.connect_voice import client_token
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader
from pinpoint_runtime.campaigns.payloads import CampaignContext, custom_channel_event, parse_channel_response
from tests.conftest import REPO

CHANNEL_EVENT: dict[str, Any] = json.loads((REPO / "tests/data/payloads/custom_channel_event.json").read_text())
SIGNING_KEY = "s3cr3t-signing-key-for-tests"


def payload(*, treatment: str = "0", campaign: str = "camp-1", data: str = '{"title": "Sale"}') -> dict[str, Any]:
    endpoints = {
        "ep-sms": {
            "ChannelType": "SMS",
            "Address": "+12065550100",
            "User": {"UserId": "u-1"},
            "Attributes": {"Offer": ["20%"]},
        },
        "ep-voice": {"ChannelType": "VOICE", "Address": "+12065550101", "User": {"UserId": "u-2"}},
        "ep-bare": {"ChannelType": "CUSTOM"},  # no Address, Attributes or User
    }
    context = CampaignContext(
        application_id="app-1",
        campaign_id=campaign,
        treatment_id=treatment,
        activity_id="act-1",
        scheduled_time="2026-11-01T10:00:00.000Z",
    )
    return custom_channel_event(context, data, endpoints)


def results_of(answer: dict[str, Any], event: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """What the runner reads from a channel's answer (fails when an endpoint lacks a result)."""
    parsed = parse_channel_response(answer, list(event["Endpoints"]))
    assert set(parsed) == set(event["Endpoints"])
    return parsed


class StaticSecret(SecretReader):
    def __init__(self, value: str) -> None:
        super().__init__("static")
        self._cached = (float("inf"), value)


def expected_call(event: dict[str, Any], endpoint_id: str, address: str) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": address,
        "ContactFlowId": "flow-1",
        "InstanceId": "inst-1",
        "ClientToken": client_token(event, endpoint_id),
        "SourcePhoneNumber": "+12065550199",
        "Attributes": {
            "Message": event["Data"],
            "CampaignId": "camp-1",
            "TreatmentId": event["TreatmentId"],
            "EndpointId": endpoint_id,
        },
    }


def make_inbox() -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="inbox",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client
