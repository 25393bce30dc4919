"""Tests of pinpoint_runtime.sms.opt_out_registry: states, the append-only history, concurrency, the send policy
(moto DynamoDB)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pinpoint_runtime.sms.opt_out_registry import OptOutError, OptOutRegistry, OptOutState, RegistryConflictError
from tests.support.opt_out_world import (
    CUSTOMER,
    OTHER_CUSTOMER,
    OUR_NUMBER,
    START_TIME,
    TABLE,
)

pytestmark = pytest.mark.usefixtures("opt_out_environment")

# --------------------------------------------------------------------------------------------- registry


def test_unknown_number_is_opted_in(registry: OptOutRegistry) -> None:
    assert registry.status(CUSTOMER) is None
    assert registry.state(CUSTOMER) is OptOutState.OPTED_IN
    assert registry.history(CUSTOMER) == []


def test_record_keeps_state_and_an_append_only_history(registry: OptOutRegistry, dynamodb: Any) -> None:
    t0 = START_TIME
    assert registry.record(
        CUSTOMER,
        OptOutState.OPTED_OUT,
        keyword="STOP",
        origination=OUR_NUMBER,
        at=t0,
        message_id="m1",
        on_opt_out_list=True,
    )
    assert registry.record(
        CUSTOMER,
        "OPTED_IN",
        keyword="START",
        origination=OUR_NUMBER,
        at=t0 + timedelta(days=31),
        message_id="m2",
        on_opt_out_list=False,
        list_removal_at=t0 + timedelta(days=31),
    )
    assert registry.record(
        CUSTOMER,
        OptOutState.OPTED_OUT_ALL,
        keyword="STOPALL",
        origination=OUR_NUMBER,
        at=t0 + timedelta(days=40),
        message_id="m3",
    )
    status = registry.status(CUSTOMER)
    assert status.state is OptOutState.OPTED_OUT_ALL and status.keyword == "STOPALL" and status.version == 3
    assert status.last_list_removal_at == t0 + timedelta(days=31)  # carried over
    assert status.on_opt_out_list is False  # carried over until told otherwise
    assert status.updated_at == t0 + timedelta(days=40)
    history = registry.history(CUSTOMER)
    assert [(h["previous_state"], h["state"], h["keyword"], h["action"]) for h in history] == [
        ("NONE", "OPTED_OUT", "STOP", "OPT_OUT"),
        ("OPTED_OUT", "OPTED_IN", "START", "OPT_IN"),
        ("OPTED_IN", "OPTED_OUT_ALL", "STOPALL", "OPT_OUT_ALL"),
    ]
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[0]["updated_at"] == "2026-03-02T09:00:00.000000Z"
    assert all(h["origination"] == OUR_NUMBER and h["phone_number"] == CUSTOMER for h in history)
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted(item["record"]["S"].split("#")[0] for item in items) == ["HISTORY", "HISTORY", "HISTORY", "STATE"]
    assert registry.history(OTHER_CUSTOMER) == []


def test_repeated_message_is_recorded_once(registry: OptOutRegistry) -> None:
    kwargs = {"keyword": "STOP", "origination": OUR_NUMBER, "message_id": "m1"}
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, **kwargs) is True
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, **kwargs) is False
    assert len(registry.history(CUSTOMER)) == 1
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER, message_id="m2")
    assert len(registry.history(CUSTOMER)) == 2  # a new STOP message is a new history entry


def test_history_is_paginated(registry: OptOutRegistry) -> None:
    for i in range(30):
        registry.record(
            CUSTOMER,
            OptOutState.OPTED_OUT if i % 2 else OptOutState.OPTED_IN,
            keyword="K",
            origination=OUR_NUMBER,
            at=START_TIME + timedelta(minutes=i),
        )
    original_query = registry.client.query
    pages: list[int] = []

    def small_pages(**request: Any) -> dict[str, Any]:
        response = original_query(**request, Limit=7)
        pages.append(len(response["Items"]))
        return response

    registry.client.query = small_pages  # type: ignore[method-assign]
    history = registry.history(CUSTOMER)
    assert len(pages) >= 5 and len(history) == 30
    assert [h["version"] for h in history] == list(range(1, 31))


class InterleavingClient:
    """DynamoDB client wrapper: before each of the first ``races`` transactions, another writer updates the number."""

    def __init__(self, client: Any, competitor: OptOutRegistry, races: int) -> None:
        self._client = client
        self._competitor = competitor
        self.races = races
        self.transactions = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **params: Any) -> Any:
        self.transactions += 1
        if self.races:
            self.races -= 1
            self._competitor.record(CUSTOMER, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER)
        return self._client.transact_write_items(**params)


def test_concurrent_updates_lose_no_history(dynamodb: Any) -> None:
    competitor = OptOutRegistry(TABLE, client=dynamodb)
    racing = InterleavingClient(dynamodb, competitor, races=2)
    registry = OptOutRegistry(TABLE, client=racing)
    assert registry.record(CUSTOMER, OptOutState.OPTED_OUT_ALL, keyword="STOPALL", origination=OUR_NUMBER)
    assert racing.transactions == 3  # lost twice, re-read, won
    history = registry.history(CUSTOMER)
    assert [h["state"] for h in history].count("OPTED_OUT") == 2
    assert history[-1]["state"] == "OPTED_OUT_ALL" and history[-1]["previous_state"] == "OPTED_OUT"
    assert registry.status(CUSTOMER).version == 3 and registry.state(CUSTOMER) is OptOutState.OPTED_OUT_ALL


def test_gives_up_after_max_attempts(dynamodb: Any) -> None:
    competitor = OptOutRegistry(TABLE, client=dynamodb)
    registry = OptOutRegistry(TABLE, client=InterleavingClient(dynamodb, competitor, races=10), max_attempts=3)
    with pytest.raises(RegistryConflictError) as raised:
        registry.record(CUSTOMER, OptOutState.OPTED_IN, keyword="START", origination=OUR_NUMBER)
    assert raised.value.retryable and CUSTOMER not in str(raised.value) and "+*********82" in str(raised.value)
    assert [h["state"] for h in registry.history(CUSTOMER)] == ["OPTED_OUT"] * 3


def test_registry_errors_are_wrapped_without_the_number(dynamodb: Any) -> None:
    registry = OptOutRegistry("no-such-table", client=dynamodb)
    with pytest.raises(OptOutError) as raised:
        registry.state(CUSTOMER)
    assert raised.value.code == "ResourceNotFoundException" and not raised.value.retryable
    assert CUSTOMER not in str(raised.value)


@pytest.mark.parametrize("number", ["4255550182", "+0425", "+1425555018212345678", "", None, "+1 425 555 0182"])
def test_registry_rejects_non_e164_numbers(registry: OptOutRegistry, number: Any) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        registry.state(number)
    with pytest.raises(ValueError):
        registry.record(number, OptOutState.OPTED_OUT, keyword="STOP", origination=OUR_NUMBER)


def test_registry_needs_a_table_name() -> None:
    with pytest.raises(ValueError, match="OPT_OUT_REGISTRY_TABLE"):
        OptOutRegistry()


# --------------------------------------------------------------------------------------------- may_send


@pytest.mark.parametrize(
    ("state", "promotional", "transactional"),
    [
        (None, True, True),
        (OptOutState.OPTED_IN, True, True),
        (OptOutState.OPTED_OUT, False, True),
        (OptOutState.OPTED_OUT_ALL, False, False),
    ],
)
def test_may_send_matrix(
    registry: OptOutRegistry, state: OptOutState | None, promotional: bool, transactional: bool
) -> None:
    if state is not None:
        registry.record(CUSTOMER, state, keyword="X", origination=OUR_NUMBER)
    assert registry.may_send(CUSTOMER, "PROMOTIONAL") is promotional
    assert registry.may_send(CUSTOMER, "TRANSACTIONAL") is transactional
    assert registry.may_send(OTHER_CUSTOMER, "PROMOTIONAL") is True


def test_may_send_rejects_unknown_message_types(registry: OptOutRegistry) -> None:
    with pytest.raises(ValueError, match="TRANSACTIONAL, PROMOTIONAL"):
        registry.may_send(CUSTOMER, "MARKETING")
