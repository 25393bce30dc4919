"""Endpoint files dropped into S3 imported into an EndpointStore, each file also a static segment."""

import aws_cdk as cdk

from pinpoint_constructs import EndpointStore, EventStreamToS3, S3TriggeredImport


def build(stack: cdk.Stack) -> S3TriggeredImport:
    lake = EventStreamToS3(stack, "EventLake")
    store = EndpointStore(stack, "Endpoints", event_stream=lake)
    return S3TriggeredImport(
        stack,
        "Import",
        endpoint_store=store,
        application_id="my-pinpoint-project-id",
        define_segment=True,  # every file also becomes a static segment
        event_stream=lake,  # _import.started / succeeded / failed events in the lake
    )
