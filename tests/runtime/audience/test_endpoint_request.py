"""The endpoint request rules and merge (pinpoint_runtime.audience.endpoint_request) through EndpointStore:
batch limits, validation errors naming the field, address normalisation, Pinpoint's merge, random requests
(moto DynamoDB, botocore's Pinpoint model)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.store import EndpointStore, EndpointValidationError
from tests.support.endpoint_store_table import APP, NOW, PINPOINT, TABLE, assert_matches_model, get, output_shape, sms

pytestmark = pytest.mark.usefixtures("endpoint_store_environment")


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
