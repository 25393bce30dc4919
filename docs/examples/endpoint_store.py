"""Pinpoint-shaped endpoints on DynamoDB, bound to a function that reads and writes them."""

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from pinpoint_constructs import EndpointStore, EventStreamToS3


def build(stack: cdk.Stack) -> EndpointStore:
    lake = EventStreamToS3(stack, "EventLake")
    store = EndpointStore(stack, "Endpoints", event_stream=lake)
    my_function = lambda_.Function(
        stack,
        "MyFunction",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    store.bind(my_function)  # ENDPOINT_STORE_TABLE (+ the lake for put_events), read/write grant
    # store.bind(report_function, write=False)  # read-only
    return store
