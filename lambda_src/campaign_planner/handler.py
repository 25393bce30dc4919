"""Step "Plan" of a campaign run: validate the request, read the segment (EndpointStore static segment, S3
endpoint list or Pinpoint import CSV) as a stream into pages of endpoints in S3, and the manifest the
Distributed Map reads. See ``pinpoint_runtime.campaigns.steps.plan.plan_step``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.store import EndpointStore, EndpointStoreSettings
from pinpoint_runtime.campaigns.steps.plan import plan_step
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.core.aws_clients import client

SERVICE_NAME = "campaign-planner"
SETTINGS = (RunnerSettings, EndpointStoreSettings)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = RunnerSettings.from_environment()
    store = EndpointStore(client=client("dynamodb")) if EndpointStoreSettings.from_environment_if_set() else None
    run = plan_step(event, s3=client("s3"), store=store, settings=settings)
    logger.info("planned", extra={"run_id": run["run_id"], "endpoints": run["endpoints"], "pages": run["pages"]})
    return run
