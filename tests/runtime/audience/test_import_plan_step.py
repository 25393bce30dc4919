"""The plan step (pinpoint_runtime.audience.import_plan_step), with the range step: bounded reads of the object."""

from __future__ import annotations

import json
from typing import Any

from pinpoint_runtime.audience.import_notifications import ImportNotifier
from pinpoint_runtime.audience.import_settings import ImportSettings


class TrackingBody:
    """A read()-only body (like botocore's StreamingBody) that remembers the largest read it served."""

    def __init__(self, data: bytes) -> None:
        self._data, self._position, self.largest_read, self.closed = data, 0, 0, False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data) - self._position
        chunk = self._data[self._position : self._position + size]
        self._position += len(chunk)
        self.largest_read = max(self.largest_read, len(chunk))
        return chunk

    def close(self) -> None:
        self.closed = True


class TrackingS3:
    def __init__(self, data: bytes) -> None:
        self.data, self.bodies, self.requests, self.objects = data, [], [], {}

    def get_object(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        data = self.data
        if "Range" in request:
            start, end = map(int, request["Range"].removeprefix("bytes=").split("-"))
            data = data[start : end + 1]
        body = TrackingBody(data)
        self.bodies.append(body)
        return {"Body": body}

    def put_object(self, **request: Any) -> dict[str, Any]:
        self.objects[request["Key"]] = request["Body"]
        return {}


class NullStore:
    def __init__(self) -> None:
        self.items = 0

    def update_endpoints_batch(
        self, *, ApplicationId: str, EndpointBatchRequest: dict[str, Any], add_to_segment: str | None = None
    ) -> dict:
        self.items += len(EndpointBatchRequest["Item"])
        return {}


def test_no_step_reads_the_whole_object_at_once():
    """The reference read whole files into memory; the planner streams the object and each range writer reads
    only its byte range, both in bounded reads."""
    from pinpoint_runtime.audience.import_plan_step import plan_step
    from pinpoint_runtime.audience.import_range_step import range_step

    rows = "".join(f'SMS,+1202555{i % 10000:04d},u{i},"note {i}"\n' for i in range(120_000))
    data = ("ChannelType,Address,User.UserId,Attributes.Note\n" + rows).encode()
    assert len(data) > 4 * 1024 * 1024
    s3 = TrackingS3(data)
    settings_ = ImportSettings(results_bucket="results", rows_per_chunk=50_000)
    run = plan_step(
        {"source": {"bucket": "b", "key": "incoming/big.csv"}, "import_id": "big-1"},
        s3=s3,
        settings=settings_,
        notifier=ImportNotifier(None, application_id="app"),
    )
    assert run["rows"] == 120_000 and run["chunks"] == 3
    assert s3.bodies[0].largest_read <= 1024 * 1024 and s3.bodies[0].closed
    manifest = json.loads(s3.objects["import-work/big-1/manifest.json"])
    store = NullStore()
    total = 0
    for chunk in manifest:
        result = range_step(
            {"source": {"bucket": "b", "key": "incoming/big.csv"}, "run": run, "chunk": chunk},
            s3=s3,
            store=store,
            settings=settings_,
        )
        total += result["rows"]
        assert s3.requests[-1]["Range"] == f"bytes={chunk['start']}-{chunk['end'] - 1}"
        assert s3.bodies[-1].largest_read <= 1024 * 1024 and s3.bodies[-1].closed
    assert total == store.items == 120_000
