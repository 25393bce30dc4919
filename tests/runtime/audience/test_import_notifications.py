"""Import notifications (pinpoint_runtime.audience.import_notifications): SNS and the event lake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinpoint_runtime.audience.import_errors import ImportRetryableError
from pinpoint_runtime.audience.import_notifications import ImportNotifier


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        self.published.append(kwargs)
        return {"MessageId": "1"}


class FakeWriter:
    def __init__(self, status: int = 202) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = status

    def put_events(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        results = {}
        for endpoint_id, item in request["EventsRequest"]["BatchItem"].items():
            results[endpoint_id] = {"EventsItemResponse": {k: {"StatusCode": self.status} for k in item["Events"]}}
        return {"EventsResponse": {"Results": results}}


def test_notifications_go_to_the_topic_and_into_the_lake_as_import_events():
    sns, writer = FakeSns(), FakeWriter()
    notifier = ImportNotifier("arn:aws:sns:us-east-1:1:t", application_id="app", sns_client=sns, event_writer=writer)
    notifier.publish(
        "succeeded",
        {
            "import_id": "list-abc",
            "file": "Crème brûlée list\n.csv",
            "rows": 10,
            "imported": 9,
            "rejected": 1,
            "segment": {"id": "s1", "name": "list"},
            "channels": {"SMS": 9},
        },
    )
    (published,) = sns.published
    assert published["MessageAttributes"]["notification_type"]["StringValue"] == "succeeded"
    assert published["Subject"] == "Endpoint import succeeded: Cr?me br?l?e list?.csv"  # ASCII, one line
    assert json.loads(published["Message"])["imported"] == 9
    (request,) = writer.requests
    assert request["ApplicationId"] == "app"
    event = request["EventsRequest"]["BatchItem"]["list-abc"]["Events"]["succeeded"]
    assert event["EventType"] == "_import.succeeded"
    assert event["Metrics"] == {"rows": 10.0, "imported": 9.0, "rejected": 1.0}
    assert event["Attributes"]["segment_id"] == "s1" and "channels" not in event["Attributes"]
    with pytest.raises(ValueError, match="notification_type"):
        notifier.publish("done", {})


def test_a_lake_event_the_stream_refuses_is_an_error_not_silence():
    notifier = ImportNotifier(None, application_id="app", event_writer=FakeWriter(status=500))
    with pytest.raises(ImportRetryableError, match="not accepted"):
        notifier.publish("started", {"import_id": "x"})
