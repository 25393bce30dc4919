"""Steps "Finish" and "Report failure" of the import workflow (``{"outcome": "succeeded" | "failed", ...}``):
the sums, rejects.csv, the segment list and record, summary.json and the ``succeeded`` notification; or the
``failed`` notification with the reason. See ``pinpoint_runtime.audience.import_finish_step.finish_step`` /
``failure_step``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.import_finish_step import ImportOutcome, failure_step, finish_step
from pinpoint_runtime.audience.import_notifications import notifier_from_environment
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.store import EndpointStore, EndpointStoreSettings
from pinpoint_runtime.core.aws_clients import client
from pinpoint_runtime.events.stream_settings import EventStreamSettings

SERVICE_NAME = "import-reporter"
SETTINGS = (ImportSettings, EndpointStoreSettings, EventStreamSettings)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = ImportSettings.from_environment()
    notifier = notifier_from_environment(settings, sns_client=client("sns"))
    outcome = event.get("outcome")
    if outcome == ImportOutcome.SUCCEEDED:
        store = EndpointStore(client=client("dynamodb"))
        summary = finish_step(event, s3=client("s3"), store=store, settings=settings, notifier=notifier)
    elif outcome == ImportOutcome.FAILED:
        summary = failure_step(event, s3=client("s3"), settings=settings, notifier=notifier)
    else:
        raise ValueError(f"outcome must be 'succeeded' or 'failed', not {outcome!r}")
    logger.info(
        "import " + outcome, extra={k: summary.get(k) for k in ("import_id", "rows", "imported", "rejected", "reason")}
    )
    return summary
