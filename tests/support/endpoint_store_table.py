"""The endpoint store's table and helpers shared by the tests of pinpoint_runtime.audience's endpoint modules
(store, endpoint_request, endpoint_items, endpoint_segments, endpoint_table); the fixtures are in
tests/runtime/audience/conftest.py."""

from __future__ import annotations

from typing import Any

import botocore.session

from pinpoint_runtime.audience.store import EndpointStore

TABLE = "endpoint-store-test"
APP = "app0123456789abcdef"
NOW = 1_700_000_000.123
PINPOINT = botocore.session.get_session().get_service_model("pinpoint")


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


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


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
