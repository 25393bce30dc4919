"""Steps "Summarize" and "Report failure" of a campaign run (``campaign_reporter``): counts per status over every
page, checked against the planned endpoints, or the failure reason; ``summary.json`` either way."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pinpoint_runtime.campaigns.payloads import SUCCESS
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.core.timestamps import iso_utc


class RunStatus(StrEnum):
    """``status`` of a run's ``summary.json``."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ReportOutcome(StrEnum):
    """What the workflow asks the reporter for (``{"outcome": ...}``): the summary, or the failure report."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


def summary_step(event: Mapping[str, Any], *, s3: Any, settings: RunnerSettings) -> dict[str, Any]:
    """Counts per status over every page; fails unless every planned endpoint has exactly one outcome."""
    run = event["run"]
    run_id = str(run["run_id"])
    counts: Counter = Counter()
    earlier: Counter = Counter()
    seen: set[int] = set()
    outcomes = 0
    paginator = s3.get_paginator("list_objects_v2")
    for listing in paginator.paginate(Bucket=settings.work_bucket, Prefix=settings.work_key(run_id, "counts/")):
        for obj in listing.get("Contents", []):
            part = json.loads(s3.get_object(Bucket=settings.work_bucket, Key=obj["Key"])["Body"].read())
            seen.add(int(part["index"]))
            counts.update(part["counts"])
            earlier.update(part.get("duplicates_by_earlier_status") or {})
            outcomes += sum(part["counts"].values())
    missing = sorted(set(range(int(run["pages"]))) - seen)
    if missing or outcomes != int(run["endpoints"]):
        raise RuntimeError(
            f"pages without results: {missing[:10]}; {outcomes} outcomes for {run['endpoints']} endpoints"
        )
    request = run["request"]
    summary = {
        "run_id": run_id,
        "status": RunStatus.SUCCEEDED,
        "application_id": request["application_id"],
        "campaign_id": request["campaign_id"],
        "treatment_id": request["treatment_id"],
        "activity_id": request["activity_id"],
        "endpoints": outcomes,
        "counts": dict(sorted(counts.items())),
        "sent": counts.get(SUCCESS, 0),
        # DUPLICATE outcomes by what the earlier attempt (a retried page, or an earlier run of the same campaign
        # and treatment) recorded; "delivered" counts the messages of this campaign and treatment that left
        "duplicates_by_earlier_status": dict(sorted(earlier.items())),
        "delivered": counts.get(SUCCESS, 0) + earlier.get(SUCCESS, 0),
        "duplicate_ids_skipped": run.get("duplicate_ids_skipped", 0),
        "outcomes": f"s3://{settings.work_bucket}/{settings.work_key(run_id, 'outcomes/')}",
        "started_at": run.get("started_at"),
        "finished_at": iso_utc(),
    }
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.results_key(run_id, "summary.json"),
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    return summary


def failure_step(event: Mapping[str, Any], *, s3: Any, settings: RunnerSettings) -> dict[str, Any]:
    from pinpoint_runtime.audience.import_workflow import failure_reason  # noqa: PLC0415

    run_id = str(event["run_id"])
    error = event.get("error") or {}
    summary = {
        "run_id": run_id,
        "status": RunStatus.FAILED,
        "error": str(error.get("Error") or "Unknown"),
        "reason": failure_reason(error),
    }
    s3.put_object(
        Bucket=settings.work_bucket,
        Key=settings.results_key(run_id, "summary.json"),
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    return summary


__all__ = ["ReportOutcome", "RunStatus", "failure_step", "summary_step"]
