"""Tests of pinpoint_runtime.audience.store.EndpointStore (moto DynamoDB, botocore Stubber, botocore's Pinpoint
model)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pinpoint_runtime.audience.store import (
    EndpointStore,
    EndpointStoreError,
    EndpointValidationError,
    NotFoundError,
)

TABLE = "endpoint-store-test"
APP = "app0123456789abcdef"
NOW = 1_700_000_000.123
PINPOINT = botocore.session.get_session().get_service_model("pinpoint")


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, fake_aws_credentials: None) -> None:
    monkeypatch.delenv("ENDPOINT_STORE_TABLE", raising=False)


def create_table(client: Any) -> None:
    """The table exactly as the construct defines it."""
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "user_key", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_user",
                "KeySchema": [
                    {"AttributeName": "user_key", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield client


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def store(dynamodb) -> EndpointStore:
    return EndpointStore(TABLE, client=dynamodb, clock=lambda: NOW, sleep=Sleeps())


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


def sms(number: str = "+12065550100", **extra: Any) -> dict[str, Any]:
    return {"ChannelType": "SMS", "Address": number, **extra}


def get(store: EndpointStore, endpoint_id: str) -> dict[str, Any]:
    return store.get_endpoint(ApplicationId=APP, EndpointId=endpoint_id)["EndpointResponse"]


def assert_matches_model(value: Any, shape: Any) -> None:
    """Every key of ``value`` is a member of the botocore shape, recursively, with a matching JSON type."""
    kinds = {
        "string": str,
        "integer": int,
        "double": float,
        "boolean": bool,
        "list": list,
        "map": dict,
        "structure": dict,
    }
    assert isinstance(value, kinds[shape.type_name]), (shape.name, value)
    if shape.type_name == "structure":
        for key, item in value.items():
            assert key in shape.members, f"{key} is not a member of {shape.name}"
            assert_matches_model(item, shape.members[key])
    elif shape.type_name == "map":
        for item in value.values():
            assert_matches_model(item, shape.value)
    elif shape.type_name == "list":
        for item in value:
            assert_matches_model(item, shape.member)


def output_shape(operation: str) -> Any:
    return PINPOINT.operation_model(operation).output_shape


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


def test_items_follow_the_table_schema(store, dynamodb) -> None:
    store.update_endpoint(ApplicationId=APP, EndpointId="ep-1", EndpointRequest=sms(User={"UserId": "u1"}))
    store.update_endpoint(
        ApplicationId=APP, EndpointId="ep-2", EndpointRequest={"ChannelType": "EMAIL", "Address": "a@example.com"}
    )
    items = {item["pk"]["S"]: item for item in dynamodb.scan(TableName=TABLE)["Items"]}
    first = items[f"APP#{APP}#ENDPOINT#ep-1"]
    assert first["sk"] == {"S": "ENDPOINT"} and first["user_key"] == {"S": f"APP#{APP}#USER#u1"}
    assert first["endpoint"]["M"]["Address"] == {"S": "+12065550100"}
    assert "user_key" not in items[f"APP#{APP}#ENDPOINT#ep-2"]  # sparse GSI


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


# ------------------------------------------------------------------------------------------ batch


def test_batch_of_100_is_accepted(store) -> None:
    items = [{"Id": f"ep-{i}", **sms(f"+1206555{i:04d}")} for i in range(100)]
    response = store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
    assert_matches_model(response, output_shape("UpdateEndpointsBatch"))
    assert get(store, "ep-99")["Address"] == "+12065550099"


def test_batch_of_101_is_rejected_naming_the_field(store) -> None:
    items = [{"Id": f"ep-{i}", **sms()} for i in range(101)]
    with pytest.raises(EndpointValidationError) as raised:
        store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
    assert raised.value.field == "EndpointBatchRequest.Item" and "101" in str(raised.value)


def test_one_invalid_item_writes_nothing(store, dynamodb) -> None:
    items = [{"Id": f"ep-{i}", **sms()} for i in range(5)]
    items[3] = {"Id": "ep-3", **sms("+1 not a number 555")}
    with pytest.raises(EndpointValidationError) as raised:
        store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
    assert raised.value.field == "EndpointBatchRequest.Item[3].Address"
    assert "555" not in str(raised.value)  # the address is never echoed
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"Id": "ep", "ChannelType": "FAX", "Address": "x"}, "ChannelType"),
        ({"Id": "ep", "ChannelType": "SMS"}, "Address"),
        ({"ChannelType": "SMS", "Address": "+12065550100"}, "Id"),
        ({"Id": "a#b", **sms()}, "Id"),
        ({"Id": "ep", "ChannelType": "EMAIL", "Address": "not-an-email"}, "Address"),
        ({"Id": "ep", **sms(), "OptOut": "SOME"}, "OptOut"),
        ({"Id": "ep", **sms(), "Attributes": {"x" * 51: ["v"]}}, "Attributes"),
        ({"Id": "ep", **sms(), "Attributes": {"k": ["v" * 101]}}, "Attributes[k]"),
        ({"Id": "ep", **sms(), "Attributes": {"k": "v"}}, "Attributes[k]"),
        ({"Id": "ep", **sms(), "Metrics": {"m": "1"}}, "Metrics[m]"),
        ({"Id": "ep", **sms(), "Location": {"Latitude": 91}}, "Location.Latitude"),
        ({"Id": "ep", **sms(), "Location": {"Longitude": "east"}}, "Location.Longitude"),
        ({"Id": "ep", **sms(), "User": {"UserId": ""}}, "User.UserId"),
        ({"Id": "ep", **sms(), "User": {"UserId": "a#b"}}, "User.UserId"),
    ],
)
def test_validation_errors_name_the_field(store, item: dict, field: str) -> None:
    with pytest.raises(EndpointValidationError) as raised:
        store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": [item]})
    assert raised.value.field == f"EndpointBatchRequest.Item[0].{field}"
    assert field.split("[")[0] in str(raised.value)


@pytest.mark.parametrize(
    ("channel", "national", "e164"),
    [
        ("SMS", "(206) 555-0100", "+12065550100"),
        ("VOICE", "206.555.0100", "+12065550100"),
        ("SMS", "+44 20 8366 1177", "+442083661177"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(store, channel: str, national: str, e164: str) -> None:
    store.update_endpoint(
        ApplicationId=APP, EndpointId="ep", EndpointRequest={"ChannelType": channel, "Address": national}
    )
    assert get(store, "ep")["Address"] == e164


def test_default_country_reads_national_numbers(dynamodb) -> None:
    store = EndpointStore(TABLE, client=dynamodb, default_country="GB")
    store.update_endpoint(ApplicationId=APP, EndpointId="ep", EndpointRequest=sms("020 8366 1177"))
    assert get(store, "ep")["Address"] == "+442083661177"


# ------------------------------------------------------------------------------------------ merge


def test_update_endpoint_merges_like_pinpoint(dynamodb) -> None:
    clock = iter([NOW, NOW + 60])
    store = EndpointStore(TABLE, client=dynamodb, clock=lambda: next(clock))
    store.update_endpoint(
        ApplicationId=APP,
        EndpointId="ep",
        EndpointRequest=sms(
            Attributes={"a": ["1"], "b": ["2"]},
            Metrics={"x": 1, "y": 2},
            User={"UserId": "u1", "UserAttributes": {"n": ["Ann"], "m": ["x"]}},
            Demographic={"Platform": "ios", "Make": "Apple"},
        ),
    )
    store.update_endpoint(
        ApplicationId=APP,
        EndpointId="ep",
        EndpointRequest={
            "OptOut": "ALL",
            "Attributes": {"b": ["3"], "a": []},
            "Metrics": {"y": 5.5},
            "User": {"UserAttributes": {"m": ["y"]}},
            "Demographic": {"Platform": "android"},
        },
    )
    endpoint = get(store, "ep")
    assert endpoint["Address"] == "+12065550100" and endpoint["ChannelType"] == "SMS"
    assert endpoint["OptOut"] == "ALL"
    assert endpoint["Attributes"] == {"b": ["3"]}  # key by key, [] removes
    assert endpoint["Metrics"] == {"x": 1.0, "y": 5.5}
    assert endpoint["User"] == {"UserId": "u1", "UserAttributes": {"n": ["Ann"], "m": ["y"]}}
    assert endpoint["Demographic"] == {"Platform": "android"}  # structures are replaced as a whole
    assert endpoint["CreationDate"] == "2023-11-14T22:13:20.123Z"
    assert endpoint["EffectiveDate"] == "2023-11-14T22:14:20.123Z"


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


def test_get_user_endpoints_paginates(dynamodb, store) -> None:
    store.update_endpoints_batch(
        ApplicationId=APP,
        EndpointBatchRequest={"Item": [{"Id": f"ep-{i}", **sms(User={"UserId": "u1"})} for i in range(10)]},
    )
    real_query = dynamodb.query
    pages = []

    def small_pages(**kwargs: Any) -> dict:
        response = real_query(Limit=3, **kwargs)
        pages.append(response["Count"])
        return response

    dynamodb.query = small_pages
    assert len(store.get_user_endpoints(ApplicationId=APP, UserId="u1")["EndpointsResponse"]["Item"]) == 10
    assert len(pages) >= 4


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


# ------------------------------------------------------------------------------------------ property

_names = st.text(min_size=0, max_size=55)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=120),
    st.lists(st.text(max_size=110), max_size=3),
)
_string_lists = st.dictionaries(_names, st.one_of(st.lists(st.text(max_size=110), max_size=3), _values), max_size=3)
_request = st.fixed_dictionaries(
    {},
    optional={
        "ChannelType": st.sampled_from(["SMS", "EMAIL", "VOICE", "GCM", "CUSTOM", "FAX", ""]),
        "Address": st.one_of(
            st.sampled_from(["+12065550100", "(206) 555-0101", "a@example.com", "x@y", "token-123", ""]),
            st.text(max_size=30),
            st.integers(),
        ),
        "Attributes": st.one_of(_string_lists, _values),
        "Metrics": st.one_of(st.dictionaries(_names, _values, max_size=3), _values),
        "OptOut": st.sampled_from(["ALL", "NONE", "SOME", None]),
        "User": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"UserId": st.one_of(st.text(max_size=12), _values), "UserAttributes": _string_lists}
            ),
            _values,
        ),
        "Location": st.one_of(
            st.fixed_dictionaries({}, optional={"Latitude": _values, "Longitude": _values, "City": _values}),
            _values,
        ),
        "Demographic": st.one_of(st.dictionaries(st.sampled_from(["Platform", "Make", "Bogus"]), _values), _values),
        "EffectiveDate": st.one_of(st.just("2024-01-01T00:00:00.000Z"), _values),
    },
)
_counter = itertools.count()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=_request)
def test_random_requests_only_raise_validation_errors_and_round_trip(store, request: dict) -> None:
    endpoint_id = f"ep-{next(_counter)}"
    try:
        store.update_endpoint(ApplicationId=APP, EndpointId=endpoint_id, EndpointRequest=request)
    except EndpointValidationError as error:
        assert error.field.startswith("EndpointRequest")
        event("rejected")
        return
    event("stored")
    endpoint = get(store, endpoint_id)
    assert_matches_model(endpoint, PINPOINT.shape_for("EndpointResponse"))
    assert endpoint["ChannelType"] == request["ChannelType"]
    for key in ("Attributes", "Metrics"):
        expected = {k: v for k, v in (request.get(key) or {}).items() if v != []}
        if key == "Metrics":
            expected = {k: float(v) for k, v in expected.items()}
        assert endpoint.get(key, {}) == expected
    user = request.get("User") or {}
    if user.get("UserId"):
        assert endpoint["User"]["UserId"] == user["UserId"]
    if request.get("OptOut"):
        assert endpoint["OptOut"] == request["OptOut"]


def test_event_writer_defaults_to_the_stream_of_the_environment(monkeypatch) -> None:
    from pinpoint_runtime.audience.store import EndpointStore as Store
    from pinpoint_runtime.events.stream import EventStreamWriter

    monkeypatch.setenv("PINPOINT_EVENT_STREAM_NAME", "lake-stream")
    store = Store("endpoints")
    assert isinstance(store.event_writer, EventStreamWriter)
    assert store.event_writer.delivery_stream_name == "lake-stream"
    monkeypatch.delenv("PINPOINT_EVENT_STREAM_NAME")
    assert Store("endpoints").event_writer is None
