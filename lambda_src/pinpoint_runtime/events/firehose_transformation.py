"""The Firehose data transformation of ``EventStreamToS3``: every record -> one Pinpoint event-stream record.

For each Firehose record :func:`transform_records` decodes the base64 data and calls
:func:`pinpoint_runtime.events.records.normalize_record`. It answers with exactly one output per input
``recordId``:

* ``Ok``: ``data`` is the Pinpoint-shaped record as compact JSON plus ``"\\n"``, ``metadata.partitionKeys`` holds
  ``source``, ``kind`` and ``dt`` for Firehose dynamic partitioning
  (``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/``);
* ``ProcessingFailed``: ``data`` is the original data unchanged; Firehose writes it under
  ``errors/processing-failed/``. Used for records that are not base64, not UTF-8 JSON objects, or that could not
  be converted for any other reason. Nothing is dropped.

Record contents (phone numbers, email addresses) are never logged: only, for failures and unknown records, the
``recordId`` and a fixed reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from pinpoint_runtime.core.environment import FunctionSettings, variable
from pinpoint_runtime.events.event_types import Source
from pinpoint_runtime.events.records import MalformedRecord, NormalizedEvent, normalize_record


@dataclass(frozen=True, kw_only=True)
class NormalizerSettings(FunctionSettings):
    """What the normalising function of ``EventStreamToS3`` reads."""

    construct: ClassVar[str] = "EventStreamToS3"
    application_id: str = variable(
        "APPLICATION_ID",
        default="",
        doc="``application.app_id`` given to records that carry none (SMS and SES records); the construct sets it",
    )


class FirehoseResult(StrEnum):
    """``result`` of a Firehose transformation output record."""

    OK = "Ok"
    PROCESSING_FAILED = "ProcessingFailed"


class RecordLogger(Protocol):
    """What the transformation logs through (a Powertools ``Logger`` or a ``logging.Logger``)."""

    def warning(self, msg: str, *, extra: Mapping[str, Any]) -> Any: ...


@dataclass
class TransformedBatch:
    """The outputs of one Firehose batch (one per input, in order) and the counts the function reports."""

    outputs: list[dict[str, Any]] = field(default_factory=list)
    partitions: Counter[str] = field(default_factory=Counter)
    """Records per ``<source>/<kind>``."""

    @property
    def failed(self) -> int:
        return sum(1 for output in self.outputs if output["result"] != FirehoseResult.OK)

    @property
    def unknown(self) -> int:
        return sum(count for key, count in self.partitions.items() if key.startswith("unknown/"))

    @property
    def normalized(self) -> int:
        return len(self.outputs) - self.failed


def account_id_from_arn(arn: str | None) -> str:
    """The account id field of an ARN (``arn:aws:lambda:region:ACCOUNT:function:name``), else ``""``."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 4 else ""


def transform_records(
    records: Iterable[dict[str, Any]], *, application_id: str, account_id: str, logger: RecordLogger
) -> TransformedBatch:
    """One output per Firehose record (``Ok`` with partition keys, or ``ProcessingFailed``), in input order."""
    batch = TransformedBatch()
    for record in records:
        batch.outputs.append(_transform(record, application_id, account_id, batch.partitions, logger))
    return batch


def _transform(
    record: dict[str, Any], application_id: str, account_id: str, partitions: Counter[str], logger: RecordLogger
) -> dict[str, Any]:
    """One Firehose record -> one output record (Ok with partition keys, or ProcessingFailed)."""
    record_id = record["recordId"]
    data = record.get("data", "")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return _failed(record_id, data, "data is not valid base64", logger)
    try:
        normalized = normalize_record(
            raw,
            arrival_timestamp_ms=_arrival_ms(record),
            application_id=application_id,
            account_id=account_id,
        )
        output = _ok(record_id, normalized)
    except MalformedRecord as error:
        return _failed(record_id, data, str(error), logger)
    except Exception as error:  # noqa: BLE001 - one bad record must not fail (and re-send) the whole batch
        return _failed(record_id, data, f"unexpected {type(error).__name__}", logger)
    partitions[f"{normalized.source}/{normalized.kind}"] += 1
    if normalized.source == Source.UNKNOWN:
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
        "result": FirehoseResult.OK.value,
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "metadata": {"partitionKeys": normalized.partition_keys},
    }


def _failed(record_id: str, data: Any, reason: str, logger: RecordLogger) -> dict[str, Any]:
    logger.warning("Record failed normalization", extra={"record_id": record_id, "reason": reason})
    return {"recordId": record_id, "result": FirehoseResult.PROCESSING_FAILED.value, "data": data}
