"""pinpoint_runtime.campaigns.steps.summary: pages and summary add up; a missing page fails the summary."""

from __future__ import annotations

import json

import pytest

from pinpoint_runtime.campaigns.steps.pages import page_step
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.campaigns.steps.summary import summary_step
from tests.runtime.campaigns.steps.test_pages import (
    channel_inbox,
    endpoints,
    hook_drop_multiples_of_7,
    sender,
)
from tests.runtime.campaigns.steps.test_plan import MemoryS3
from tests.runtime.campaigns.test_request import request


def test_pages_and_summary_add_up_and_a_missing_page_fails_the_summary():
    s3 = MemoryS3()
    settings = RunnerSettings(work_bucket="w")
    page = endpoints(40)
    s3.put_object(
        Bucket="w",
        Key="campaign-work/r/pages/000000.jsonl",
        Body=b"".join(json.dumps(e).encode() + b"\n" for e in page),
    )
    run = {
        "run_id": "r",
        "request": {**request(), "activity_id": "r", "scheduled_time": "t"},
        "endpoints": 40,
        "pages": 1,
        "manifest_key": "m",
    }
    result = page_step(
        {"run": run, "page": {"index": 0, "key": "campaign-work/r/pages/000000.jsonl"}},
        s3=s3,
        settings=settings,
        sender_factory=lambda req: sender({"hook": hook_drop_multiples_of_7, "inbox": channel_inbox})[0],
    )
    assert result == {"index": 0, "endpoints": 40, "outcomes": 40}
    summary = summary_step({"run": run}, s3=s3, settings=settings)
    assert summary["endpoints"] == 40 and sum(summary["counts"].values()) == 40 and summary["sent"] > 0
    assert json.loads(s3.objects["w/campaign-results/r/summary.json"])["status"] == "SUCCEEDED"
    with pytest.raises(RuntimeError, match="pages without results"):
        summary_step({"run": {**run, "pages": 2, "endpoints": 80}}, s3=s3, settings=settings)
