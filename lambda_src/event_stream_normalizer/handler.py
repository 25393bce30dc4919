"""Firehose data-transformation Lambda of ``EventStreamToS3``: every record -> one Pinpoint event-stream record.

The transformation is :func:`pinpoint_runtime.events.firehose_transformation.transform_records` (one output per
input ``recordId``: ``Ok`` with the partition keys, or ``ProcessingFailed`` with the data unchanged). This handler
reads :class:`~pinpoint_runtime.events.firehose_transformation.NormalizerSettings` (``APPLICATION_ID``), takes the
account id (``awsAccountId`` default) from the function ARN, and logs and meters counts only, never record contents.
Metrics (namespace ``PinpointConstructs``): ``RecordsNormalized``, ``RecordsFailed``, ``UnknownRecords``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.events.firehose_transformation import NormalizerSettings, account_id_from_arn, transform_records

SETTINGS = (NormalizerSettings,)
SERVICE_NAME = "event-stream-normalizer"
METRICS_NAMESPACE = "PinpointConstructs"

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, Any]]]:
    """Firehose transformation entry point: ``{"records": [...]}`` in, one output per ``recordId`` out."""
    settings = NormalizerSettings.from_environment()
    batch = transform_records(
        event.get("records", []),
        application_id=settings.application_id,
        account_id=account_id_from_arn(getattr(context, "invoked_function_arn", "")),
        logger=logger,
    )
    metrics.add_metric(name="RecordsNormalized", unit=MetricUnit.Count, value=batch.normalized)
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=batch.failed)
    metrics.add_metric(name="UnknownRecords", unit=MetricUnit.Count, value=batch.unknown)
    logger.info(
        "Normalized Firehose batch",
        extra={
            "records": len(batch.outputs),
            "failed": batch.failed,
            "unknown": batch.unknown,
            "partitions": dict(batch.partitions),
        },
    )
    return {"records": batch.outputs}
