"""Normalise event records into the Amazon Pinpoint event-stream record shape (stdlib only).

The event lake (``EventStreamToS3``) receives four kinds of raw JSON records on one Firehose stream and stores
every one of them as ONE record in the Pinpoint event-stream shape (``event_type``, ``event_timestamp``,
``arrival_timestamp``, ``event_version``, ``application``, ``client``, ``device``, ``session``, ``attributes``,
``metrics``, ``awsAccountId`` and, for email, ``facets``), so that queries written for Pinpoint's event stream keep
working.

Source detection is by shape, in this order:

1. an object with ``event_type`` is already Pinpoint-shaped: source ``library`` when
   ``application.sdk.name == LIBRARY_SDK_NAME``, else ``app``;
2. an object with ``eventType`` (or ``notificationType``) and a ``mail`` object is an SES event-publishing
   record: source ``ses``;
3. an object with ``eventType``, ``messageId`` and ``originationPhoneNumber`` or ``destinationPhoneNumber`` is an
   End User Messaging SMS v2 event record: source ``sms``;
4. any other JSON object: source ``unknown``, kind ``unknown``, event type ``_unknown``; the original JSON text is
   kept in ``attributes["raw_record"]`` with the reason. Nothing is dropped.

Input that is not UTF-8, not JSON, not a JSON object or nested deeper than :data:`MAX_NESTING_DEPTH` raises
:class:`MalformedRecord`; the Firehose transformation reports those as ``ProcessingFailed``.

Every output record fits the Glue ``events`` table: ``attributes`` is a map of strings, ``metrics`` a map of finite
floats, and the JSON has no NaN or Infinity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.core import strict_json
from pinpoint_runtime.events.event_time import partition_date, to_epoch_ms
from pinpoint_runtime.events.event_types import EVENT_VERSION, UNKNOWN_KIND, Source, kind_for
from pinpoint_runtime.events.pinpoint_records import from_pinpoint
from pinpoint_runtime.events.record_values import RecordContext, first_name, is_name, unknown_record
from pinpoint_runtime.events.ses_records import from_ses
from pinpoint_runtime.events.ses_tags import encode_ses_tag_value
from pinpoint_runtime.events.sms_records import from_sms

# EVENT_VERSION, encode_ses_tag_value and to_epoch_ms are importable from here as before the split, for the other
# domains (sms.opt_out, audience.store, campaigns.delivery); they are defined in event_types, ses_tags, event_time.
__all__ = [
    "EVENT_VERSION",
    "MAX_NESTING_DEPTH",
    "REASON_MISSING_EVENT_TYPE",
    "REASON_UNRECOGNISED_SOURCE",
    "MalformedRecord",
    "NormalizedEvent",
    "encode_ses_tag_value",
    "normalize_record",
    "to_epoch_ms",
]

MAX_NESTING_DEPTH = 64
"""Deepest JSON nesting accepted; deeper records are :class:`MalformedRecord` (no legitimate record comes close)."""

REASON_MISSING_EVENT_TYPE = "missing event type"
REASON_UNRECOGNISED_SOURCE = "unrecognised source"


class MalformedRecord(ValueError):
    """The record is not UTF-8, not JSON, not a JSON object or nested too deeply.

    The message is a fixed, content-free reason (safe to log); the Firehose transformation marks the record
    ``ProcessingFailed`` so Firehose writes it unchanged under the error prefix.
    """


@dataclass(frozen=True)
class NormalizedEvent:
    """One Pinpoint event-stream record plus its Firehose dynamic-partitioning keys."""

    record: dict[str, Any]
    source: Source
    kind: str
    dt: str

    @property
    def partition_keys(self) -> dict[str, str]:
        """The ``partitionKeys`` metadata a Firehose transformation returns for this record."""
        return {"source": str(self.source), "kind": self.kind, "dt": self.dt}


def normalize_record(
    raw: bytes | str | dict,
    *,
    arrival_timestamp_ms: int,
    application_id: str,
    account_id: str,
) -> NormalizedEvent:
    """Turn one raw record into a Pinpoint event-stream record with ``source``, ``kind`` and ``dt``.

    ``arrival_timestamp_ms`` is Firehose's ``approximateArrivalTimestamp``; ``application_id`` and ``account_id``
    fill ``application.app_id`` / ``awsAccountId`` / ``client.client_id`` where the record has none. A dict input
    is copied, never modified. Raises :class:`MalformedRecord` for input that is not a UTF-8 JSON object.
    """
    if isinstance(arrival_timestamp_ms, bool) or not isinstance(arrival_timestamp_ms, int):
        raise TypeError("arrival_timestamp_ms must be an int (epoch milliseconds)")
    data, raw_text = _parse(raw)
    context = RecordContext(arrival_timestamp_ms, application_id, account_id)
    source, record = _convert(data, raw_text, context)
    kind = UNKNOWN_KIND if source == Source.UNKNOWN else kind_for(record["event_type"])
    dt = partition_date(record.get("event_timestamp"), arrival_timestamp_ms)
    return NormalizedEvent(record=record, source=source, kind=kind, dt=dt)


# --------------------------------------------------------------------------------------------- parsing


def _parse(raw: object) -> tuple[dict[str, Any], str]:
    """Return (a private copy of the JSON object, its JSON text) or raise MalformedRecord."""
    if isinstance(raw, dict):
        try:
            text = json.dumps(raw, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            raise MalformedRecord("record is not JSON-serialisable") from None
    elif isinstance(raw, (bytes, bytearray, memoryview)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRecord("record is not valid UTF-8") from None
    elif isinstance(raw, str):
        text = raw
    else:
        raise MalformedRecord("record must be bytes, str or dict")
    text = text.removeprefix("\ufeff").strip()
    return _load_object(text), text


def _load_object(text: str) -> dict[str, Any]:
    try:
        value = strict_json.loads(text)
    except RecursionError:
        raise MalformedRecord("record is nested too deeply") from None
    except ValueError:
        raise MalformedRecord("record is not valid JSON") from None
    if not isinstance(value, dict):
        raise MalformedRecord(f"record is a JSON {_json_type(value)}, not an object")
    if _depth(value) > MAX_NESTING_DEPTH:
        raise MalformedRecord(f"record is nested deeper than {MAX_NESTING_DEPTH} levels")
    return value


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def _depth(value: object) -> int:
    """Nesting depth of a parsed JSON value, computed without recursion."""
    deepest = 0
    stack = [(value, 1)]
    children: Iterable[object]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


# --------------------------------------------------------------------------------------------- dispatch


def _convert(data: dict[str, Any], raw_text: str, context: RecordContext) -> tuple[Source, dict[str, Any]]:
    """Detect the source by shape and build the Pinpoint-shaped record."""
    if "event_type" in data:
        if not is_name(data["event_type"]):
            return Source.UNKNOWN, unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return from_pinpoint(data, context)
    ses_type = first_name(data.get("eventType"), data.get("notificationType"))
    if _is_ses_shape(data):
        if ses_type is None:
            return Source.UNKNOWN, unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return Source.SES, from_ses(data, ses_type, context)
    if _is_sms_shape(data):
        if not is_name(data["eventType"]):
            return Source.UNKNOWN, unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return Source.SMS, from_sms(data, context)
    has_type_key = any(key in data for key in ("eventType", "notificationType"))
    reason = REASON_UNRECOGNISED_SOURCE if has_type_key else REASON_MISSING_EVENT_TYPE
    return Source.UNKNOWN, unknown_record(raw_text, reason, context)


def _is_ses_shape(data: dict[str, Any]) -> bool:
    has_type_key = "eventType" in data or "notificationType" in data
    return has_type_key and isinstance(data.get("mail"), dict)


def _is_sms_shape(data: dict[str, Any]) -> bool:
    has_phone = "originationPhoneNumber" in data or "destinationPhoneNumber" in data
    return "eventType" in data and "messageId" in data and has_phone
