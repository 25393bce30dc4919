"""Tests of pinpoint_runtime.audience.store.EndpointStore (moto DynamoDB, botocore Stubber, botocore's Pinpoint
model)."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from pinpoint_runtime.audience.store import EndpointStore, EndpointStoreError, EndpointValidationError, NotFoundError
from tests.support.endpoint_store_table import APP, NOW, TABLE, Sleeps, assert_matches_model, get, output_shape, sms

pytestmark = pytest.mark.usefixtures("endpoint_store_environment")


class FakeWriter:
    """Stands in for EventStreamWriter.put_events: records the request, answers in Pinpoint's shape."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def put_events(self, request: dict) -> dict:
        self.requests.append(request)
        results = {
            endpoint_id: {
                "EndpointItemResponse": {"StatusCode": 202, "Message": "Accepted"},
                "EventsItemResponse": {
                    event_id: {"StatusCode": 202, "Message": "Accepted"} for event_id in entry["Events"]
                },
            }
            for endpoint_id, entry in request["EventsRequest"]["BatchItem"].items()
        }
        return {"EventsResponse": {"Results": results}}


# ------------------------------------------------------------------------------------------ shapes


def test_update_and_get_endpoint_answer_with_pinpoint_shapes(store) -> None:
    response = store.update_endpoint(
        ApplicationId=APP,
        EndpointId="ep-1",
        EndpointRequest=sms(
            Attributes={"plan": ["gold"]},
            Metrics={"score": 3},
            User={"UserId": "user-1", "UserAttributes": {"name": ["Ann"]}},
            Location={"Country": "US", "Latitude": 47.6, "Longitude": -122.3},
            Demographic={"Platform": "ios", "Locale": "en_US"},
        ),
    )
    assert_matches_model(response, output_shape("UpdateEndpoint"))
    assert response["MessageBody"]["Message"] == "Accepted" and len(response["MessageBody"]["RequestID"]) == 36
    got = store.get_endpoint(ApplicationId=APP, EndpointId="ep-1")
    assert_matches_model(got, output_shape("GetEndpoint"))
    endpoint = got["EndpointResponse"]
    assert endpoint["ApplicationId"] == APP and endpoint["Id"] == "ep-1"
    assert endpoint["OptOut"] == "NONE" and endpoint["EndpointStatus"] == "ACTIVE"
    assert endpoint["CreationDate"] == endpoint["EffectiveDate"] == "2023-11-14T22:13:20.123Z"
    assert endpoint["RequestId"] == response["MessageBody"]["RequestID"]
    assert endpoint["Metrics"] == {"score": 3.0} and endpoint["Location"]["Latitude"] == 47.6
    assert_matches_model(store.get_user_endpoints(ApplicationId=APP, UserId="user-1"), output_shape("GetUserEndpoints"))


def test_missing_endpoint_raises_not_found(store) -> None:
    with pytest.raises(NotFoundError, match="Resource not found") as raised:
        store.get_endpoint(ApplicationId=APP, EndpointId="nope")
    assert isinstance(raised.value, LookupError)
    with pytest.raises(NotFoundError):
        store.delete_endpoint(ApplicationId=APP, EndpointId="nope")


def test_table_name_from_environment(monkeypatch, dynamodb) -> None:
    with pytest.raises(EndpointStoreError, match="ENDPOINT_STORE_TABLE"):
        EndpointStore(client=dynamodb)
    monkeypatch.setenv("ENDPOINT_STORE_TABLE", TABLE)
    assert EndpointStore(client=dynamodb).table_name == TABLE


# ------------------------------------------------------------------------------------------ users


def test_the_per_user_limit_looks_users_up_side_by_side_and_names_the_same_item(dynamodb) -> None:
    import threading

    store = EndpointStore(TABLE, client=dynamodb, clock=lambda: NOW, sleep=Sleeps(), user_lookup_threads=4)
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": [
        {"Id": f"full-{i}", **sms(f"+120655502{i:02d}", User={"UserId": "full"})} for i in range(10)]})  # fmt: skip
    real_query = dynamodb.query
    two_at_once = threading.Barrier(2, timeout=10)  # breaks (and the test fails) unless two queries overlap
    threads: set[str] = set()
    lookups = itertools.count()

    def query(**kwargs: Any) -> dict:
        threads.add(threading.current_thread().name)
        if kwargs.get("IndexName") and next(lookups) < 2:  # the first two user lookups meet at the barrier
            two_at_once.wait()
        return real_query(**kwargs)

    store.client.query = query
    items = [{"Id": f"ep-{i}", **sms(f"+120655501{i:02d}", User={"UserId": f"u{i}"})} for i in range(20)]
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
    assert len(threads) >= 2 and all(name.startswith("user-lookup") for name in threads)
    # over the limit: the item named is the first offending one in batch order, whatever order the lookups end in
    over = [*items[:5], {"Id": "full-new", **sms("+12065550399", User={"UserId": "full"})}, *items[5:]]
    for _ in range(3):
        with pytest.raises(EndpointValidationError) as raised:
            store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": over})
        assert raised.value.field == "EndpointBatchRequest.Item[5].User.UserId"


def test_get_and_delete_user_endpoints_erases_segment_membership(store, dynamodb) -> None:
    for i in range(3):
        store.update_endpoint(
            ApplicationId=APP, EndpointId=f"ep-{i}", EndpointRequest=sms(f"+120655501{i:02d}", User={"UserId": "u1"})
        )
    store.update_endpoint(ApplicationId=APP, EndpointId="other", EndpointRequest=sms(User={"UserId": "u2"}))
    store.add_to_segment(ApplicationId=APP, SegmentId="vip", EndpointIds=["ep-0", "ep-1", "other"])
    found = store.get_user_endpoints(ApplicationId=APP, UserId="u1")["EndpointsResponse"]["Item"]
    assert sorted(endpoint["Id"] for endpoint in found) == ["ep-0", "ep-1", "ep-2"]

    deleted = store.delete_user_endpoints(ApplicationId=APP, UserId="u1")
    assert_matches_model(deleted, output_shape("DeleteUserEndpoints"))
    assert sorted(endpoint["Id"] for endpoint in deleted["EndpointsResponse"]["Item"]) == ["ep-0", "ep-1", "ep-2"]
    assert store.get_user_endpoints(ApplicationId=APP, UserId="u1") == {"EndpointsResponse": {"Item": []}}
    assert list(store.segment_endpoint_ids(ApplicationId=APP, SegmentId="vip")) == ["other"]
    remaining = {item["pk"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}
    assert remaining == {f"APP#{APP}#ENDPOINT#other", f"APP#{APP}#SEGMENT#vip"}


def test_eleventh_endpoint_for_a_user_is_rejected(store) -> None:
    items = [{"Id": f"ep-{i}", **sms(User={"UserId": "u1"})} for i in range(10)]
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
    store.update_endpoint(ApplicationId=APP, EndpointId="ep-3", EndpointRequest={"OptOut": "ALL"})  # still 10
    with pytest.raises(EndpointValidationError) as raised:
        store.update_endpoint(ApplicationId=APP, EndpointId="ep-10", EndpointRequest=sms(User={"UserId": "u1"}))
    assert raised.value.field == "EndpointRequest.User.UserId" and "limit is 10" in str(raised.value)
    with pytest.raises(NotFoundError):
        get(store, "ep-10")
    # moving an endpoint away frees a slot in the same batch
    batch = [{"Id": "ep-0", "User": {"UserId": "u2"}}, {"Id": "ep-10", **sms(User={"UserId": "u1"})}]
    store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": batch})
    assert len(store.get_user_endpoints(ApplicationId=APP, UserId="u1")["EndpointsResponse"]["Item"]) == 10


# ------------------------------------------------------------------------------------------ put_events

EVENT = {"EventType": "custom.purchase", "Timestamp": "2024-05-01T12:00:00.000Z", "Attributes": {"sku": "a1"}}


def test_put_events_updates_endpoint_and_forwards_events(dynamodb) -> None:
    writer = FakeWriter()
    store = EndpointStore(TABLE, client=dynamodb, event_writer=writer, clock=lambda: NOW)
    store.update_endpoint(ApplicationId=APP, EndpointId="ep-1", EndpointRequest=sms(Attributes={"a": ["1"]}))
    request = {
        "BatchItem": {
            "ep-1": {"Endpoint": {"Attributes": {"b": ["2"]}, "OptOut": "ALL"}, "Events": {"e1": EVENT}},
            "ep-new": {"Endpoint": {"ChannelType": "EMAIL", "Address": "bad"}, "Events": {"e2": EVENT}},
        }
    }
    response = store.put_events(ApplicationId=APP, EventsRequest=request)
    assert_matches_model(response, output_shape("PutEvents"))
    results = response["EventsResponse"]["Results"]
    assert results["ep-1"]["EndpointItemResponse"] == {"StatusCode": 202, "Message": "Accepted"}
    assert results["ep-new"]["EndpointItemResponse"]["StatusCode"] == 400
    assert "Address" in results["ep-new"]["EndpointItemResponse"]["Message"]
    assert results["ep-1"]["EventsItemResponse"]["e1"]["StatusCode"] == 202
    assert writer.requests == [{"ApplicationId": APP, "EventsRequest": request}]
    endpoint = get(store, "ep-1")
    assert endpoint["Attributes"] == {"a": ["1"], "b": ["2"]} and endpoint["OptOut"] == "ALL"
    with pytest.raises(NotFoundError):
        get(store, "ep-new")


def test_put_events_with_real_event_stream_writer(dynamodb) -> None:
    from pinpoint_runtime.events.stream import EventStreamWriter

    firehose = boto3.client("firehose", region_name="us-east-1")
    with Stubber(firehose) as stubber:
        stubber.add_response(
            "put_record_batch",
            {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r1"}]},
            {"DeliveryStreamName": "s", "Records": ANY},
        )
        writer = EventStreamWriter("s", firehose_client=firehose, account_id="111122223333")
        store = EndpointStore(TABLE, client=dynamodb, event_writer=writer)
        request = {"BatchItem": {"ep-1": {"Endpoint": sms(), "Events": {"e1": EVENT}}}}
        results = store.put_events(ApplicationId=APP, EventsRequest=request)["EventsResponse"]["Results"]
        stubber.assert_no_pending_responses()
    assert results["ep-1"]["EndpointItemResponse"]["StatusCode"] == 202
    assert results["ep-1"]["EventsItemResponse"]["e1"] == {"StatusCode": 202, "Message": "Accepted"}
    assert get(store, "ep-1")["Address"] == "+12065550100"


def test_put_events_without_writer(store) -> None:
    with pytest.raises(EndpointStoreError, match="event_writer"):
        store.put_events(
            ApplicationId=APP, EventsRequest={"BatchItem": {"ep": {"Endpoint": sms(), "Events": {"e": EVENT}}}}
        )
    with pytest.raises(NotFoundError):
        get(store, "ep")  # nothing written
    response = store.put_events(
        ApplicationId=APP, EventsRequest={"BatchItem": {"ep": {"Endpoint": sms(), "Events": {}}}}
    )
    assert response["EventsResponse"]["Results"]["ep"]["EndpointItemResponse"]["StatusCode"] == 202
    assert get(store, "ep")["ChannelType"] == "SMS"


def test_event_writer_defaults_to_the_stream_of_the_environment(monkeypatch) -> None:
    from pinpoint_runtime.audience.store import EndpointStore as Store
    from pinpoint_runtime.events.stream import EventStreamWriter

    monkeypatch.setenv("PINPOINT_EVENT_STREAM_NAME", "lake-stream")
    store = Store("endpoints")
    assert isinstance(store.event_writer, EventStreamWriter)
    assert store.event_writer.delivery_stream_name == "lake-stream"
    monkeypatch.delenv("PINPOINT_EVENT_STREAM_NAME")
    assert Store("endpoints").event_writer is None
