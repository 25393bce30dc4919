"""The endpoint store's DynamoDB access (pinpoint_runtime.audience.endpoint_table): unprocessed items retried with
backoff, bounded attempts (botocore Stubber); index queries followed page by page (moto DynamoDB)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from pinpoint_runtime.audience.endpoint_table import EndpointStoreWriteError
from pinpoint_runtime.audience.store import EndpointStore
from tests.support.endpoint_store_table import APP, NOW, TABLE, Sleeps, sms

pytestmark = pytest.mark.usefixtures("endpoint_store_environment")


# ------------------------------------------------------------------------------------------ retries


def test_unprocessed_items_are_retried_with_backoff() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    sleeps = Sleeps()
    store = EndpointStore(TABLE, client=client, clock=lambda: NOW, sleep=sleeps)
    with Stubber(client) as stubber:
        stubber.add_response("batch_get_item", {"Responses": {TABLE: []}}, {"RequestItems": ANY})
        stubber.add_client_error("batch_write_item", "ProvisionedThroughputExceededException", http_status_code=400)
        first_put = {"PutRequest": {"Item": ANY}}
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": {TABLE: [{"PutRequest": {"Item": {"pk": {"S": "x"}}}}]}},
            {"RequestItems": {TABLE: [first_put, first_put]}},
        )
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": {TABLE: [first_put]}})
        items = [{"Id": "a", **sms()}, {"Id": "b", **sms()}]
        store.update_endpoints_batch(ApplicationId=APP, EndpointBatchRequest={"Item": items})
        stubber.assert_no_pending_responses()
    assert len(sleeps) == 2


def test_writes_give_up_after_max_attempts() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    store = EndpointStore(TABLE, client=client, sleep=Sleeps(), max_attempts=2)
    stuck = {"UnprocessedItems": {TABLE: [{"PutRequest": {"Item": {"pk": {"S": "x"}}}}]}}
    with Stubber(client) as stubber:
        stubber.add_response("batch_get_item", {"Responses": {TABLE: []}}, {"RequestItems": ANY})
        stubber.add_response("batch_write_item", stuck, {"RequestItems": ANY})
        stubber.add_response("batch_write_item", stuck, {"RequestItems": ANY})
        with pytest.raises(EndpointStoreWriteError, match="1 DynamoDB write"):
            store.update_endpoint(ApplicationId=APP, EndpointId="a", EndpointRequest=sms())


# ------------------------------------------------------------------------------------------ queries


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
