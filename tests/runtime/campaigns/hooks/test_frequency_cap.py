"""The FREQUENCY_CAP hook on moto DynamoDB: at most N admissions per window, retries counted once, no lost race."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.campaigns.hooks.frequency_cap import FrequencyCap, FrequencyCapSettings
from pinpoint_runtime.core.environment import SettingsError
from tests.support.campaign_hook_events import bare_endpoints, event, make_cap_table


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_frequency_cap_admits_at_most_n_per_window_and_counts_retries_once(aws: None) -> None:
    make_cap_table()
    clock = Clock()
    cap = FrequencyCap("counters", max_messages=2, window_seconds=3600, clock=clock)

    assert set(cap.apply(event(campaign="a"))) == {"ep-1", "ep-2"}
    assert set(cap.apply(event(campaign="a"))) == {"ep-1", "ep-2"}  # the same send retried: not counted again
    clock.now += 10
    assert set(cap.apply(event(campaign="b"))) == {"ep-1", "ep-2"}
    clock.now += 10
    assert cap.apply(event(campaign="c")) == {}  # a third message within the hour: dropped
    assert set(cap.apply(event(campaign="b"))) == {"ep-1", "ep-2"}  # a retry of b is still the same send
    clock.now += 3600
    assert set(cap.apply(event(campaign="c"))) == {"ep-1", "ep-2"}  # a and b left the window

    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName="counters", Key={"id": {"S": "endpoint#ep-1"}}
    )["Item"]
    assert set(item["sends"]["M"]) == {"c#0#ep-1"}  # a and b were pruned on the write
    assert int(item["expires_at"]["N"]) == int(clock.now + 3600) + 1


def test_frequency_cap_by_user_counts_every_endpoint_and_falls_back_to_endpoint_ids(aws: None) -> None:
    make_cap_table()
    clock = Clock()
    cap = FrequencyCap("counters", max_messages=1, window_seconds=86400, key_type="USER_ID", clock=clock)
    endpoints = {
        "sms": {"ChannelType": "SMS", "User": {"UserId": "u-1"}},
        "email": {"ChannelType": "EMAIL", "User": {"UserId": "u-1"}},
        **bare_endpoints(),
    }
    answer = cap.apply(event(endpoints))
    assert set(answer) == {"sms", "bare-1", "bare-2"}  # the user's second endpoint is a second message
    assert answer["sms"] == endpoints["sms"]  # the hook filters, it does not change endpoints
    keys = {i["id"]["S"] for i in boto3.client("dynamodb", region_name="us-east-1").scan(TableName="counters")["Items"]}
    assert keys == {"user#u-1", "endpoint#bare-1", "endpoint#bare-2"}


def test_frequency_cap_concurrent_writer_cannot_take_the_last_slot(aws: None) -> None:
    make_cap_table()
    real = boto3.client("dynamodb", region_name="us-east-1")
    clock = Clock()

    class Racing:
        """Before this hook's first write, another batch admits the same subject (the last slot)."""

        def __init__(self) -> None:
            self.raced = False

        def get_item(self, **kwargs: Any) -> Any:
            return real.get_item(**kwargs)

        def update_item(self, **kwargs: Any) -> Any:
            if not self.raced:
                self.raced = True
                FrequencyCap("counters", max_messages=1, window_seconds=60, clock=clock).admit(
                    kwargs["Key"]["id"]["S"], "other#0#x"
                )
            return real.update_item(**kwargs)

    cap = FrequencyCap("counters", max_messages=1, window_seconds=60, dynamodb_client=Racing(), clock=clock)
    assert cap.admit("endpoint#ep-1", "mine#0#ep-1") is False  # re-read after the conflict: the slot is gone
    sends = real.get_item(TableName="counters", Key={"id": {"S": "endpoint#ep-1"}})["Item"]["sends"]["M"]
    assert set(sends) == {"other#0#x"}


def test_frequency_cap_settings_round_trip_through_the_environment() -> None:
    settings = FrequencyCapSettings(table_name="c", max_messages=3, window_seconds=604800.0, key_type=KeyType.USER_ID)
    environment = settings.to_environment()
    assert environment == {
        "CAP_TABLE_NAME": "c",
        "CAP_MAX_MESSAGES": "3",
        "CAP_WINDOW_SECONDS": "604800",
        "CAP_KEY_TYPE": "USER_ID",
        "CAP_PARTITION_KEY": "id",
    }
    assert FrequencyCapSettings.from_environment(environment) == settings
    cap = FrequencyCap.from_settings(settings)
    assert (cap.max_messages, cap.window_seconds, cap.key_type) == (3, 604800.0, KeyType.USER_ID)
    with pytest.raises(SettingsError, match="CAP_MAX_MESSAGES is not set"):
        FrequencyCapSettings.from_environment({"CAP_TABLE_NAME": "c", "CAP_WINDOW_SECONDS": "60"})
