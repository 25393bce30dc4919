"""Firehose data-transformation Lambda of ``EventStreamToS3``: every record -> one Pinpoint event-stream record.

For each Firehose record the handler decodes the base64 data and calls
:func:`pinpoint_runtime.events.records.normalize_record`. It answers with exactly one output per input
``recordId``:

* ``Ok``: ``data`` is the Pinpoint-shaped record as compact JSON plus ``"\\n"``, ``metadata.partitionKeys`` holds
  ``source``, ``kind`` and ``dt`` for Firehose dynamic partitioning
  (``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/``);
* ``ProcessingFailed``: ``data`` is the original data unchanged; Firehose writes it under
  ``errors/processing-failed/``. Used for records that are not base64, not UTF-8 JSON objects, or that could not
  be converted for any other reason. Nothing is dropped.

Record contents (phone numbers, email addresses) are never logged: only counts per source/kind and, for
failures, the ``recordId`` and a fixed reason. Metrics (namespace ``PinpointConstructs``): ``RecordsNormalized``,
``RecordsFailed``, ``UnknownRecords``.

Environment: ``APPLICATION_ID`` is the ``application.app_id`` given to records that carry none; the account id
(``awsAccountId`` default) is read from the function ARN.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from pinpoint_runtime.events.records import MalformedRecord, NormalizedEvent, normalize_record

SERVICE_NAME = "event-stream-normalizer"
METRICS_NAMESPACE = "PinpointConstructs"
ENV_APPLICATION_ID = "APPLICATION_ID"

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, Any]]]:
    """Firehose transformation entry point: ``{"records": [...]}`` in, one output per ``recordId`` out."""
    application_id = os.environ.get(ENV_APPLICATION_ID, "")
    account_id = account_id_from_arn(getattr(context, "invoked_function_arn", ""))
    partitions: Counter[str] = Counter()
    outputs = [_transform(record, application_id, account_id, partitions) for record in event.get("records", [])]
    failed = sum(1 for output in outputs if output["result"] != "Ok")
    unknown = sum(count for key, count in partitions.items() if key.startswith("unknown/"))
    metrics.add_metric(name="RecordsNormalized", unit=MetricUnit.Count, value=len(outputs) - failed)
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=failed)
    metrics.add_metric(name="UnknownRecords", unit=MetricUnit.Count, value=unknown)
    logger.info(
        "Normalized Firehose batch",
        extra={"records": len(outputs), "failed": failed, "unknown": unknown, "partitions": dict(partitions)},
    )
    return {"records": outputs}


def account_id_from_arn(arn: str | None) -> str:
    """The account id field of an ARN (``arn:aws:lambda:region:ACCOUNT:function:name``), else ``""``."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 4 else ""


def _transform(record: dict[str, Any], application_id: str, account_id: str, partitions: Counter[str]) -> dict:
    """One Firehose record -> one output record (Ok with partition keys, or ProcessingFailed)."""
    record_id = record["recordId"]
    data = record.get("data", "")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return _failed(record_id, data, "data is not valid base64")
    try:
        normalized = normalize_record(
            raw,
            arrival_timestamp_ms=_arrival_ms(record),
            application_id=application_id,
            account_id=account_id,
        )
        output = _ok(record_id, normalized)
    except MalformedRecord as error:
        return _failed(record_id, data, str(error))
    except Exception as error:  # noqa: BLE001 - one bad record must not fail (and re-send) the whole batch
        return _failed(record_id, data, f"unexpected {type(error).__name__}")
    partitions[f"{normalized.source}/{normalized.kind}"] += 1
    if normalized.source == "unknown":
        logger.warning(
            "Unrecognised record kept as _unknown",
            extra={"record_id": record_id, "reason": normalized.record["attributes"].get("reason")},
        )
    return output


def _arrival_ms(record: dict[str, Any]) -> int:
    """Firehose's approximateArrivalTimestamp (epoch ms); now if it is missing or not an int."""
    arrival = record.get("approximateArrivalTimestamp")
    if isinstance(arrival, int) and not isinstance(arrival, bool):
        return arrival
    return int(time.time() * 1000)


def _ok(record_id: str, normalized: NormalizedEvent) -> dict[str, Any]:
    text = json.dumps(normalized.record, separators=(",", ":")) + "\n"
    return {
        "recordId": record_id,
        "result": "Ok",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "metadata": {"partitionKeys": normalized.partition_keys},
    }


def _failed(record_id: str, data: Any, reason: str) -> dict[str, Any]:
    logger.warning("Record failed normalization", extra={"record_id": record_id, "reason": reason})
    return {"recordId": record_id, "result": "ProcessingFailed", "data": data}
