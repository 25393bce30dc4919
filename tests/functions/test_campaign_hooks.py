"""The built-in campaign hook functions (lambda_src/hook_*): each handler reads its settings from the environment,
builds its hook once per process and answers Pinpoint's hook payload (moto DynamoDB/S3). The hooks themselves are
tested in tests/runtime/campaigns/hooks/."""

from __future__ import annotations

import copy

import boto3
import pytest

from hook_attribute_lookup import handler as lookup_handler
from hook_external_templates import handler as templates_handler
from hook_frequency_cap import handler as cap_handler
from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError
from pinpoint_runtime.campaigns.payloads import parse_hook_response
from tests.support.campaign_hook_events import HOOK_EVENT, make_cap_table, make_table, put_templates


def test_lookup_handler_reads_its_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    table = make_table("partner-table", key="pk")
    table.put_item(Item={"pk": "ep-1", "Offer": "vip"})
    monkeypatch.setenv("LOOKUP_TABLE_NAME", "partner-table")
    monkeypatch.setenv("LOOKUP_PARTITION_KEY", "pk")
    monkeypatch.setenv("LOOKUP_KEY_TYPE", "ENDPOINT_ID")
    lookup_handler.reset()
    answer = lookup_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert answer["ep-1"]["Attributes"]["Offer"] == ["vip"]
    assert parse_hook_response(answer, HOOK_EVENT["Endpoints"]).keys() == {"ep-1", "ep-2"}
    lookup_handler.reset()


def test_templates_handler_reads_its_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(s3, "bucket-1", {"pfx/13978104ce5d6017c72552257example.json": {"subject": "S", "body": "B"}})
    for name, value in {
        "TEMPLATE_BUCKET": "bucket-1",
        "TEMPLATE_PREFIX": "pfx/",
        "TEMPLATE_KEY_PATTERN": "{CampaignId}.json",
    }.items():
        monkeypatch.setenv(name, value)
    templates_handler.reset()
    answer = templates_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert {k: v["Attributes"]["subject"] for k, v in answer.items()} == {"ep-1": ["S"], "ep-2": ["S"]}
    assert answer["ep-2"]["Attributes"]["body"] == ["B"]
    templates_handler.reset()


def test_frequency_cap_handler_and_configuration(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    make_cap_table()
    monkeypatch.setenv("CAP_TABLE_NAME", "counters")
    monkeypatch.setenv("CAP_MAX_MESSAGES", "1")
    monkeypatch.setenv("CAP_WINDOW_SECONDS", "600")
    cap_handler.reset()
    first = cap_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    assert set(first) == {"ep-1", "ep-2"}
    other_campaign = {**copy.deepcopy(HOOK_EVENT), "CampaignId": "another"}
    assert cap_handler.handler(other_campaign, None) == {}
    cap_handler.reset()
    monkeypatch.setenv("CAP_MAX_MESSAGES", "0")
    with pytest.raises(HookConfigurationError):
        cap_handler.handler(copy.deepcopy(HOOK_EVENT), None)
    cap_handler.reset()
