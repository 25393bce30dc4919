"""Tests of pinpoint_runtime.sms.opt_out_list: the opt-out list calls under the 30-day rule (the flows through the
SMS fake are in test_opt_out_processor.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pinpoint_runtime.sms.opt_out_list import LIST_REMOVAL_INTERVAL, put_on_opt_out_list, remove_from_opt_out_list
from pinpoint_runtime.sms.opt_out_registry import OptOutError, OptOutState, OptOutStatus
from tests.support.opt_out_world import CUSTOMER, LIST, START_TIME


class NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected call {name}")


class Refusing:
    def put_opted_out_number(self, **params: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutOptedOutNumber")


def status(last_removal: Any) -> OptOutStatus:
    return OptOutStatus(
        phone_number=CUSTOMER,
        state=OptOutState.OPTED_OUT,
        keyword="STOP",
        updated_at=START_TIME,
        origination=None,
        action="OPT_OUT",
        message_id="in-1",
        on_opt_out_list=True,
        last_list_removal_at=last_removal,
        version=1,
    )


def test_a_removal_within_30_days_is_skipped_without_a_call() -> None:
    now = START_TIME + LIST_REMOVAL_INTERVAL - timedelta(seconds=1)
    on_list, removed_at, note = remove_from_opt_out_list(NoCalls(), LIST, CUSTOMER, status(START_TIME), now)
    assert (on_list, removed_at) == (True, None)
    assert (
        note
        == "removed from the opt-out list less than 30 days ago; removal possible after 2026-04-01T09:00:00.000000Z"
    )


def test_a_failed_put_names_the_masked_number_only() -> None:
    with pytest.raises(OptOutError) as raised:
        put_on_opt_out_list(Refusing(), LIST, CUSTOMER)
    assert raised.value.code == "AccessDeniedException" and not raised.value.retryable
    assert CUSTOMER not in str(raised.value) and LIST in str(raised.value)
