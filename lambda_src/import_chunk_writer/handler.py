"""One item of the import's Distributed Map: a byte range of the object validated and written to the
EndpointStore (see ``pinpoint_runtime.audience.import_range_step.range_step``). Only counts are returned; rejects,
segment list
and counts of the range are stored in S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.audience.import_range_step import PhoneLineTypes, range_step
from pinpoint_runtime.audience.import_settings import ImportSettings
from pinpoint_runtime.audience.store import EndpointStore, EndpointStoreSettings
from pinpoint_runtime.core.aws_clients import client
from pinpoint_runtime.events.stream_settings import EventStreamSettings

SERVICE_NAME = "import-chunk-writer"
SETTINGS = (ImportSettings, EndpointStoreSettings, EventStreamSettings)
logger = Logger(service=SERVICE_NAME)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = ImportSettings.from_environment()
    store = EndpointStore(client=client("dynamodb"), default_country=settings.default_country)
    line_types = (
        PhoneLineTypes(settings.line_types, client=client("pinpoint")) if settings.line_types is not None else None
    )
    result = range_step(event, s3=client("s3"), store=store, settings=settings, line_types=line_types)
    logger.info("range imported", extra={"import_id": event["run"]["import_id"], **result})
    return result
