"""SQS (fed by the EventBridge rule on the import bucket) → one Step Functions execution per S3 object.

Each message body is an EventBridge "Object Created" event. The execution name is derived from bucket, key and
version id/ETag (``pinpoint_runtime.audience.import_source.import_execution_name``): two drops in the same second get
two
executions, and the same object delivered twice is started once (``ExecutionAlreadyExists`` is the expected
answer to a redelivery and is logged, not an error). Messages that are not S3 events, and calls Step Functions
refuses, are reported as batch item failures, so SQS retries them and then moves them to the dead-letter queue:
nothing is dropped silently.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.import_settings import ImportStarterSettings
from pinpoint_runtime.audience.import_source import ImportSource
from pinpoint_runtime.audience.import_start_step import start_import
from pinpoint_runtime.core.aws_clients import client

SERVICE_NAME = "import-starter"
SETTINGS = (ImportStarterSettings,)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    state_machine_arn = ImportStarterSettings.from_environment().state_machine_arn
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        try:
            source = ImportSource.from_event(json.loads(record.get("body") or ""))
        except ValueError as error:
            logger.error(
                "not an S3 Object Created event; left for the dead-letter queue",
                extra={"message_id": message_id, "problem": str(error)},
            )
            failures.append({"itemIdentifier": message_id})
            continue
        if source.key.endswith("/"):
            logger.info("folder marker ignored", extra={"bucket": source.bucket, "key": source.key})
            continue
        try:
            name, started = start_import(client("stepfunctions"), state_machine_arn, source)
        except Exception:
            logger.exception("StartExecution failed", extra={"message_id": message_id, "key": source.key})
            failures.append({"itemIdentifier": message_id})
            continue
        logger.info(
            "import started" if started else "already imported or importing (same object delivered again)",
            extra={"execution": name, "bucket": source.bucket, "key": source.key},
        )
    return {"batchItemFailures": failures}
