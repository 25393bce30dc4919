"""The INAPP_INBOX channel on moto DynamoDB."""

from __future__ import annotations

from typing import Any

import pytest

from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError
from pinpoint_runtime.campaigns.channels.inapp_inbox import InAppInbox, InAppInboxSettings
from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.campaigns.payloads import (
    FAILURE,
    SUCCESS,
)
from tests.support.custom_channel_events import make_inbox, payload


def test_inbox_writes_one_message_per_user_idempotently(aws: None) -> None:
    client = make_inbox()
    inbox = InAppInbox("inbox", ttl_seconds=3600, clock=lambda: 1_800_000_000.0)
    event = payload()
    first = inbox.deliver(event)
    assert first == {
        "ep-sms": (SUCCESS, None),
        "ep-voice": (SUCCESS, None),
        "ep-bare": (FAILURE, "the endpoint has no User.UserId for the inbox"),
    }
    assert inbox.deliver(event) == first  # a retried batch: delivered, nothing written twice
    items = client.scan(TableName="inbox")["Items"]
    assert len(items) == 2
    item = next(i for i in items if i["pk"]["S"] == "u-1")
    assert item["sk"]["S"] == "2026-11-01T10:00:00.000Z#camp-1#0"
    assert item["message"]["S"] == '{"title": "Sale"}' and item["status"]["S"] == "UNREAD"
    assert item["endpoint_id"]["S"] == "ep-sms" and int(item["expires_at"]["N"]) == 1_800_000_000 + 3600

    # what the app does on load: newest first for the user
    loaded = client.query(
        TableName="inbox",
        KeyConditionExpression="pk = :u",
        ExpressionAttributeValues={":u": {"S": "u-1"}},
        ScanIndexForward=False,
    )["Items"]
    assert [i["campaign_id"]["S"] for i in loaded] == ["camp-1"]


def test_inbox_reports_dynamodb_errors_per_endpoint() -> None:
    class Failing:
        def put_item(self, **kwargs: Any) -> None:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")

    results = InAppInbox("inbox", dynamodb_client=Failing()).deliver(payload())
    assert results["ep-sms"] == (FAILURE, "DynamoDB ProvisionedThroughputExceededException")
    assert results["ep-bare"][0] == FAILURE and len(results) == 3


def test_inbox_settings_defaults_and_key_type() -> None:
    settings = InAppInboxSettings.from_environment({"INBOX_TABLE_NAME": "inbox"})
    assert settings.key_type is KeyType.USER_ID and settings.ttl_seconds == 30 * 24 * 3600
    inbox = InAppInbox.from_settings(InAppInboxSettings(table_name="inbox", key_type=KeyType.ENDPOINT_ID))
    assert inbox.key_type is KeyType.ENDPOINT_ID
    with pytest.raises(ChannelConfigurationError, match="USER_ID or ENDPOINT_ID"):
        InAppInbox("inbox", key_type="EMAIL")
