"""Steps "Summarize" and "Report failure" of a campaign run (``{"outcome": "succeeded" | "failed", ...}``):
counts per status checked against the planned endpoints, or the failure reason; ``summary.json`` either way.
See ``pinpoint_runtime.campaigns.steps.summary.summary_step`` / ``failure_step``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.campaigns.steps.summary import ReportOutcome, failure_step, summary_step
from pinpoint_runtime.core.aws_clients import client

SERVICE_NAME = "campaign-reporter"
SETTINGS = (RunnerSettings,)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = RunnerSettings.from_environment()
    outcome = event.get("outcome")
    if outcome == ReportOutcome.SUCCEEDED:
        summary = summary_step(event, s3=client("s3"), settings=settings)
    elif outcome == ReportOutcome.FAILED:
        summary = failure_step(event, s3=client("s3"), settings=settings)
    else:
        raise ValueError(f"outcome must be 'succeeded' or 'failed', not {outcome!r}")
    logger.info(
        "campaign run " + outcome,
        extra={"run_id": summary["run_id"], "counts": summary.get("counts"), "reason": summary.get("reason")},
    )
    return summary
