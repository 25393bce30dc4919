"""pinpoint_runtime.campaigns.steps.plan: segment sources (the store, an endpoint list, an import CSV) and pages."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from pinpoint_runtime.campaigns.request import CampaignRequest
from pinpoint_runtime.campaigns.steps.plan import SegmentSourceError, plan_step, read_segment
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from tests.runtime.campaigns.test_request import request


class FakeStore:
    def __init__(self, endpoints: dict[str, dict]) -> None:
        self.endpoints = endpoints

    def segment_endpoint_ids(self, *, ApplicationId: str, SegmentId: str):
        yield from self.endpoints
        yield "deleted-since"  # a member whose endpoint no longer exists

    def batch_get_endpoints(self, *, ApplicationId: str, EndpointIds: list[str]) -> dict[str, dict]:
        assert len(EndpointIds) <= 100
        return {i: self.endpoints[i] for i in EndpointIds if i in self.endpoints}


class MemoryS3:
    def __init__(self, objects: dict[str, bytes] | None = None) -> None:
        self.objects = dict(objects or {})

    def get_object(self, *, Bucket: str, Key: str) -> dict:
        if f"{Bucket}/{Key}" not in self.objects:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[f"{Bucket}/{Key}"])}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict:
        self.objects[f"{Bucket}/{Key}"] = Body
        return {}

    def get_paginator(self, name: str) -> Any:
        objects = self.objects

        class Paginator:
            def paginate(self, *, Bucket: str, Prefix: str):
                keys = sorted(k.split("/", 1)[1] for k in objects if k.startswith(f"{Bucket}/{Prefix}"))
                yield {"Contents": [{"Key": k} for k in keys]}

        return Paginator()


def test_segments_come_from_the_store_an_endpoint_list_or_an_import_csv():
    store = FakeStore({f"e{i}": {"ChannelType": "SMS", "Address": f"+1202555{i:04d}"} for i in range(250)})
    from_store = list(read_segment(CampaignRequest.parse(request()), s3=None, store=store))
    assert [e["Id"] for e in from_store] == [f"e{i}" for i in range(250)]  # the deleted member is skipped
    lines = (
        b"\n".join(
            json.dumps({"Id": f"x{i}", "ChannelType": "EMAIL", "Address": f"u{i}@example.com"}).encode()
            for i in range(3)
        )
        + b"\n\n"
    )
    csv = b"ChannelType,Address,FirstName\nSMS,+12025550100,Ann\nSMS,not-a-number,Bob\n"
    s3 = MemoryS3({"b/list.jsonl": lines, "b/import.csv": csv, "b/bad.jsonl": b'{"Id": "a"}\nnot json\n'})
    listed = list(
        read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/list.jsonl"})), s3=s3, store=None)
    )
    assert [e["Id"] for e in listed] == ["x0", "x1", "x2"]
    imported = list(
        read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/import.csv"})), s3=s3, store=None)
    )
    assert len(imported) == 1 and imported[0]["Address"] == "+12025550100"  # the invalid row is not a recipient
    with pytest.raises(SegmentSourceError, match="line 2"):
        list(read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/bad.jsonl"})), s3=s3, store=None))
    with pytest.raises(SegmentSourceError, match="NoSuchKey"):
        list(
            read_segment(CampaignRequest.parse(request(segment={"s3_url": "s3://b/missing.jsonl"})), s3=s3, store=None)
        )


def test_plan_writes_pages_and_skips_repeated_endpoints():
    lines = b"".join(
        json.dumps({"Id": f"e{i % 120}", "ChannelType": "SMS", "Address": "+12025550100"}).encode() + b"\n"
        for i in range(130)
    )
    s3 = MemoryS3({"b/list.jsonl": lines})
    settings = RunnerSettings(work_bucket="w", page_size=50)
    run = plan_step(
        {"request": request(segment={"s3_url": "s3://b/list.jsonl"}), "run_id": "run-1"},
        s3=s3,
        store=None,
        settings=settings,
    )
    assert (run["endpoints"], run["pages"], run["duplicate_ids_skipped"]) == (120, 3, 10)
    assert run["request"]["activity_id"] == "run-1" and run["request"]["scheduled_time"]
    manifest = json.loads(s3.objects["w/campaign-work/run-1/manifest.json"])
    assert [p["count"] for p in manifest] == [50, 50, 20]
