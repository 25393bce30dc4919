"""SQS (fed by the EventBridge rule on the import bucket) → one Step Functions execution per S3 object.

See ``pinpoint_runtime.audience.import_start_step.start_imports``: the execution name is derived from bucket, key
and version id/ETag, a redelivered object is started once, and messages that are not S3 events or that Step
Functions refuses are reported as batch item failures (retried, then the dead-letter queue).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.import_settings import ImportStarterSettings
from pinpoint_runtime.audience.import_start_step import start_imports
from pinpoint_runtime.core.aws_clients import client

SERVICE_NAME = "import-starter"
SETTINGS = (ImportStarterSettings,)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = ImportStarterSettings.from_environment()
    failures = start_imports(
        event.get("Records", []),
        sfn=client("stepfunctions"),
        state_machine_arn=settings.state_machine_arn,
        logger=logger,
    )
    return {"batchItemFailures": failures}
