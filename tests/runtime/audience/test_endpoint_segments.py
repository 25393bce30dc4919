"""Static segments of the endpoint store (pinpoint_runtime.audience.endpoint_segments): membership kept on
update, left on delete, written with a batch (moto DynamoDB)."""

from __future__ import annotations

import pytest

from pinpoint_runtime.audience.store import EndpointValidationError
from tests.support.endpoint_store_table import APP, TABLE, sms

pytestmark = pytest.mark.usefixtures("endpoint_store_environment")


def test_update_keeps_segment_membership(store) -> None:
    store.update_endpoint(ApplicationId=APP, EndpointId="ep", EndpointRequest=sms())
    store.add_to_segment(ApplicationId=APP, SegmentId="vip", EndpointIds=["ep"])
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": [{"Id": "ep", "OptOut": "ALL"}]})
    store.delete_endpoint(ApplicationId=APP, EndpointId="ep")
    assert list(store.segment_endpoint_ids(ApplicationId=APP, SegmentId="vip")) == []


def test_a_batch_written_into_a_segment_makes_members_in_the_same_batch_writes(store, dynamodb) -> None:
    store.update_endpoint(ApplicationId=APP, EndpointId="ep-0", EndpointRequest=sms("+12065550100"))
    store.add_to_segment(ApplicationId=APP, SegmentId="old", EndpointIds=["ep-0"])
    calls: list[str] = []
    for operation in ("batch_get_item", "batch_write_item", "update_item", "put_item", "query"):
        real = getattr(dynamodb, operation)
        setattr(store.client, operation,
                lambda real=real, operation=operation, **kw: calls.append(operation) or real(**kw))  # fmt: skip
    items = [{"Id": f"ep-{i}", **sms(f"+120655501{i:02d}")} for i in range(60)]
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items}, add_to_segment="spring")
    # one read to merge, then 60 endpoints + 60 memberships in 25-item batch writes; nothing per endpoint
    assert calls == ["batch_get_item"] + ["batch_write_item"] * 5
    assert sorted(store.segment_endpoint_ids(ApplicationId=APP, SegmentId="spring")) == sorted(i["Id"] for i in items)
    assert list(store.segment_endpoint_ids(ApplicationId=APP, SegmentId="old")) == ["ep-0"]  # earlier ones kept
    stored = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"APP#{APP}#ENDPOINT#ep-0"}, "sk": {"S": "ENDPOINT"}})
    assert set(stored["Item"]["segments"]["SS"]) == {"old", "spring"}
    store.delete_endpoint(ApplicationId=APP, EndpointId="ep-1")  # membership leaves with the endpoint
    assert "ep-1" not in set(store.segment_endpoint_ids(ApplicationId=APP, SegmentId="spring"))
    with pytest.raises(EndpointValidationError, match="add_to_segment"):
        store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items[:1]}, add_to_segment="")
