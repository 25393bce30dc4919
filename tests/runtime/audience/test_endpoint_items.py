"""The endpoint store's item encoding (pinpoint_runtime.audience.endpoint_items): items as the table schema
defines them (moto DynamoDB)."""

from __future__ import annotations

import pytest

from tests.support.endpoint_store_table import APP, TABLE, sms

pytestmark = pytest.mark.usefixtures("endpoint_store_environment")


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
