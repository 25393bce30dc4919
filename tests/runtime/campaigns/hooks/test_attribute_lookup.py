"""The ATTRIBUTE_LOOKUP hook on moto DynamoDB; answers checked with the runner's parse_hook_response."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from pinpoint_runtime.campaigns.hooks.attribute_lookup import (
    AttributeLookup,
    AttributeLookupSettings,
    to_attribute_values,
)
from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError, KeyType
from pinpoint_runtime.campaigns.payloads import parse_hook_response
from pinpoint_runtime.core.environment import SettingsError
from tests.support.campaign_hook_events import HOOK_EVENT, bare_endpoints, event, make_table


def test_attribute_values_become_pinpoint_string_lists() -> None:
    assert to_attribute_values("gold") == ["gold"]
    assert to_attribute_values(Decimal(5)) == ["5"]
    assert to_attribute_values(Decimal("2.50")) == ["2.50"]
    assert to_attribute_values(True) == ["true"]
    assert to_attribute_values(["a", Decimal(1)]) == ["a", "1"]
    assert to_attribute_values({"b", "a"}) == ["a", "b"]
    assert to_attribute_values({"k": Decimal(1)}) == ['{"k":"1"}']


def test_lookup_by_endpoint_id_merges_attributes_and_passes_unknown_endpoints(aws: None) -> None:
    table = make_table()
    table.put_item(Item={"id": "ep-1", "Offer": "20% off", "Score": Decimal(7), "Tags": ["x", "y"]})
    table.put_item(Item={"id": "bare-1", "Offer": "free shipping"})
    endpoints = {**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()}
    payload = event(endpoints)

    answer = parse_hook_response(AttributeLookup("lookup").apply(payload), payload["Endpoints"])

    assert set(answer) == {"ep-1", "ep-2", "bare-1", "bare-2"}
    assert answer["ep-1"]["Attributes"] == {"Tier": ["gold"], "Offer": ["20% off"], "Score": ["7"], "Tags": ["x", "y"]}
    assert answer["ep-1"]["User"] == HOOK_EVENT["Endpoints"]["ep-1"]["User"]  # the rest of the endpoint is kept
    assert answer["bare-1"]["Attributes"] == {"Offer": ["free shipping"]}  # created where there was none
    assert answer["ep-2"] == HOOK_EVENT["Endpoints"]["ep-2"] and answer["bare-2"] == {}


def test_lookup_by_user_id_with_projection_and_drop_missing(aws: None) -> None:
    table = make_table()
    table.put_item(Item={"id": "user-2", "Offer": "bogo", "Secret": "not for messages"})
    payload = event({**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()})

    kept = AttributeLookup("lookup", key_type="USER_ID", attribute_names=["Offer"]).apply(payload)
    assert kept["ep-2"]["Attributes"] == {"Offer": ["bogo"]}  # only the projected attribute
    assert "Attributes" not in kept["bare-1"] and set(kept) == {"ep-1", "ep-2", "bare-1", "bare-2"}

    dropped = AttributeLookup("lookup", key_type="USER_ID", drop_missing=True).apply(payload)
    assert set(dropped) == {"ep-2"}  # no item for user-1, no user on the bare endpoints


def test_lookup_retries_unprocessed_keys_then_gives_up() -> None:
    class Flaky:
        def __init__(self, unprocessed_rounds: int) -> None:
            self.calls = 0
            self.unprocessed_rounds = unprocessed_rounds

        def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            self.calls += 1
            keys = RequestItems["t"]["Keys"]
            if self.calls <= self.unprocessed_rounds:
                return {"Responses": {"t": []}, "UnprocessedKeys": {"t": {"Keys": keys}}}
            return {"Responses": {"t": [{"id": k["id"], "Offer": {"S": "o"}} for k in keys]}}

    waits: list[float] = []
    flaky = Flaky(2)
    out = AttributeLookup("t", dynamodb_client=flaky, sleep=waits.append).apply(event())
    assert flaky.calls == 3 and len(waits) == 2 and out["ep-2"]["Attributes"] == {"Offer": ["o"]}
    with pytest.raises(RuntimeError, match="unprocessed"):
        AttributeLookup("t", dynamodb_client=Flaky(10), sleep=lambda s: None, max_attempts=3).apply(event())


def test_lookup_tolerates_a_payload_without_endpoints(aws: None) -> None:
    make_table()
    assert AttributeLookup("lookup").apply({"CampaignId": "c"}) == {}
    with pytest.raises(HookConfigurationError):
        AttributeLookup("lookup", key_type="EMAIL")


def test_lookup_settings_round_trip_through_the_environment() -> None:
    settings = AttributeLookupSettings(
        table_name="t", key_type=KeyType.USER_ID, attribute_names=("Offer", "Tier"), drop_missing=True
    )
    environment = settings.to_environment()
    assert environment == {
        "LOOKUP_TABLE_NAME": "t",
        "LOOKUP_KEY_TYPE": "USER_ID",
        "LOOKUP_PARTITION_KEY": "id",
        "LOOKUP_ATTRIBUTE_NAMES": "Offer,Tier",
        "LOOKUP_DROP_MISSING": "true",
    }
    assert AttributeLookupSettings.from_environment(environment) == settings
    defaults = AttributeLookupSettings.from_environment({"LOOKUP_TABLE_NAME": "t", "LOOKUP_ATTRIBUTE_NAMES": ""})
    assert defaults.attribute_names == () and defaults.key_type is KeyType.ENDPOINT_ID
    lookup = AttributeLookup.from_settings(defaults)
    assert lookup.attribute_names is None and lookup.drop_missing is False
    with pytest.raises(SettingsError, match="LOOKUP_TABLE_NAME is not set"):
        AttributeLookupSettings.from_environment({})
    with pytest.raises(SettingsError, match="LOOKUP_KEY_TYPE is invalid"):
        AttributeLookupSettings.from_environment({"LOOKUP_TABLE_NAME": "t", "LOOKUP_KEY_TYPE": "EMAIL"})
