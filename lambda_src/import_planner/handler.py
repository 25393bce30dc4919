"""Step "Plan" of the import workflow: the ``started`` notification, one streaming pass over the object
(file-level problems fail here, before anything is written) and the manifest of byte ranges the Distributed Map
reads. See ``pinpoint_runtime.audience.import_plan_step.plan_step``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.import_notifications import notifier_from_environment
from pinpoint_runtime.audience.import_plan_step import plan_step
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.core.aws_clients import client
from pinpoint_runtime.events.stream_settings import EventStreamSettings

SERVICE_NAME = "import-planner"
SETTINGS = (ImportSettings, EventStreamSettings)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = ImportSettings.from_environment()
    run = plan_step(
        event,
        s3=client("s3"),
        settings=settings,
        notifier=notifier_from_environment(settings, sns_client=client("sns")),
    )
    logger.info("planned", extra={"import_id": run["import_id"], "rows": run["rows"], "ranges": run["chunks"]})
    return run
