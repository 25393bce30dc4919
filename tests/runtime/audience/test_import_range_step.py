"""The range step (pinpoint_runtime.audience.import_range_step): line types, store refusals."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pinpoint_runtime.audience.import_errors import ImportRetryableError
from pinpoint_runtime.audience.import_range_step import PhoneLineTypes, write_endpoints
from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.audience.store import EndpointValidationError


class FakePinpoint:
    def __init__(self, types: dict[str, str], throttles: int = 0) -> None:
        self.types, self.throttles, self.calls = types, throttles, 0

    def phone_number_validate(self, NumberValidateRequest: dict[str, str]) -> dict[str, Any]:
        self.calls += 1
        if self.throttles:
            self.throttles -= 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException"}}, "PhoneNumberValidate")
        return {"NumberValidateResponse": {"PhoneType": self.types[NumberValidateRequest["PhoneNumber"]]}}


def test_line_types_reject_invalid_and_disallowed_numbers_and_cache_lookups():
    client = FakePinpoint({"+1": "MOBILE", "+2": "LANDLINE", "+3": "INVALID"}, throttles=2)
    check = PhoneLineTypes(frozenset({"MOBILE"}), client=client, sleep=lambda s: None)
    item = {"Address": "+1"}
    assert check.check(item) is None and item["Attributes"]["PhoneType"] == ["MOBILE"]
    assert check.check({"Address": "+2"}) == "line type LANDLINE is not allowed (allowed: MOBILE)"
    assert "INVALID" in check.check({"Address": "+3"})
    assert check.check({"Address": "+1"}) is None
    assert client.calls == 2 + 3  # two throttled attempts, then one lookup per distinct number
    any_type = PhoneLineTypes(frozenset(), client=FakePinpoint({"+2": "LANDLINE"}))
    assert any_type.check({"Address": "+2"}) is None


def test_line_type_throttling_beyond_the_retries_asks_step_functions_to_retry():
    check = PhoneLineTypes(frozenset(), client=FakePinpoint({}, throttles=99), max_attempts=3, sleep=lambda s: None)
    with pytest.raises(ImportRetryableError, match="TooManyRequestsException"):
        check.check({"Address": "+1"})


class RefusingStore:
    """update_endpoints_batch like the EndpointStore: the whole batch is refused while one item is invalid."""

    def __init__(self, bad_ids: set[str]) -> None:
        self.bad_ids, self.batches = bad_ids, []

    def update_endpoints_batch(
        self, *, ApplicationId: str, EndpointBatchRequest: dict[str, Any], add_to_segment: str | None = None
    ) -> dict:
        items = EndpointBatchRequest["Item"]
        for index, item in enumerate(items):
            if item["Id"] in self.bad_ids:
                raise EndpointValidationError(f"EndpointBatchRequest.Item[{index}].User.UserId", "the limit is 10")
        self.batches.append([item["Id"] for item in items])
        return {}


def test_items_the_store_refuses_become_rejects_with_their_line_and_the_rest_is_written():
    entries = [(10 + i, {"Id": f"e{i}", "Address": f"+1202555{i:04d}", "User": {"UserId": "u"}}) for i in range(6)]
    store = RefusingStore({"e1", "e4"})
    written, refused = write_endpoints(store, "app", entries, strip_pii=True)
    assert [item["Id"] for item in written] == ["e0", "e2", "e3", "e5"] and store.batches == [["e0", "e2", "e3", "e5"]]
    assert [(r.line, r.field, r.reason) for r in refused] == [
        (11, "User.UserId", "the limit is 10"),
        (14, "User.UserId", "the limit is 10"),
    ]
    assert refused[0].row["Address"] == "***" and refused[0].row["User"]["UserId"] == "***"
    assert isinstance(refused[0], Rejected)


def test_an_error_that_names_no_item_is_not_swallowed():
    class Broken:
        def update_endpoints_batch(self, **kwargs: Any) -> dict:
            raise EndpointValidationError("ApplicationId", "must not be empty")

    with pytest.raises(EndpointValidationError):
        write_endpoints(Broken(), "app", [(2, {"Id": "e"})], strip_pii=True)
