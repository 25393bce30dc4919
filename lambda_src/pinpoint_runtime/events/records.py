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

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from pinpoint_runtime.core import strict_json

LIBRARY_SDK_NAME = "pinpoint-constructs"
"""``application.sdk.name`` that marks the library's own delivery events (source ``library``)."""

EVENT_VERSION = "3.1"
"""``event_version`` Pinpoint wrote on event-stream records; filled in when a record lacks one."""

UNKNOWN_EVENT_TYPE = "_unknown"
"""``event_type`` of records whose shape is not recognised (kind ``unknown``)."""

SOURCES: tuple[str, ...] = ("sms", "ses", "app", "library", "unknown")
"""Values of the ``source`` partition key."""

EVENT_KINDS: dict[str, str] = {
    "_email.send": "email_send",
    "_email.delivered": "email_delivered",
    "_email.hardbounce": "email_hardbounce",
    "_email.softbounce": "email_softbounce",
    "_email.complaint": "email_complaint",
    "_email.open": "email_open",
    "_email.click": "email_click",
    "_email.unsubscribe": "email_unsubscribe",
    "_email.rejected": "email_rejected",
    "_email.rendering_failure": "email_rendering_failure",
    "_email.delivery_delay": "email_delivery_delay",
    "_SMS.BUFFERED": "sms_buffered",
    "_SMS.SUCCESS": "sms_success",
    "_SMS.FAILURE": "sms_failure",
    "_SMS.OPTOUT": "sms_optout",
    "_SMS.OPTIN": "sms_optin",
    "_sms.inbound": "sms_inbound",
    "_campaign.send": "campaign_send",
    "_journey.send": "journey_send",
    "_session.start": "session",
    "_session.stop": "session",
    "_import.started": "import_job",
    "_import.succeeded": "import_job",
    "_import.failed": "import_job",
}
"""Registered Pinpoint event types and their ``kind`` partition value (an S3 path segment, ``^[a-z0-9_]+$``)."""

KIND_VALUES: tuple[str, ...] = (*tuple(sorted(set(EVENT_KINDS.values()))), "custom", "unknown")
"""Every value of the ``kind`` partition key (the Glue partition-projection enum)."""

MAX_NESTING_DEPTH = 64
"""Deepest JSON nesting accepted; deeper records are :class:`MalformedRecord` (no legitimate record comes close)."""

EARLIEST_EVENT_MS = 1_420_070_400_000
"""2015-01-01T00:00:00Z: an ``event_timestamp`` before this is not trusted for the ``dt`` partition."""

MAX_FUTURE_SKEW_MS = 86_400_000
"""An ``event_timestamp`` more than one day after arrival is not trusted for the ``dt`` partition."""

REASON_MISSING_EVENT_TYPE = "missing event type"
REASON_UNRECOGNISED_SOURCE = "unrecognised source"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_MILLICENTS_PER_USD = Decimal(100_000)
_STRUCT_FIELDS = ("application", "client", "device", "session", "client_context", "facets")
_CAMEL_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_WORD = re.compile(r"([a-z0-9])([A-Z])")
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


class MalformedRecord(ValueError):
    """The record is not UTF-8, not JSON, not a JSON object or nested too deeply.

    The message is a fixed, content-free reason (safe to log); the Firehose transformation marks the record
    ``ProcessingFailed`` so Firehose writes it unchanged under the error prefix.
    """


@dataclass(frozen=True)
class NormalizedEvent:
    """One Pinpoint event-stream record plus its Firehose dynamic-partitioning keys."""

    record: dict[str, Any]
    source: str
    kind: str
    dt: str

    @property
    def partition_keys(self) -> dict[str, str]:
        """The ``partitionKeys`` metadata a Firehose transformation returns for this record."""
        return {"source": self.source, "kind": self.kind, "dt": self.dt}


class _Context(NamedTuple):
    arrival_timestamp_ms: int
    application_id: str
    account_id: str


def kind_for(event_type: str) -> str:
    """Return the registered kind of a Pinpoint event type, else ``"custom"``; never raises."""
    if not isinstance(event_type, str):
        return "custom"
    return EVENT_KINDS.get(event_type, "custom")


def to_epoch_ms(value: object) -> int | None:
    """Convert an ISO 8601 string (naive means UTC) or an epoch-millisecond int to epoch ms; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - _EPOCH) // _ONE_MS
    except (ValueError, OverflowError):
        return None


def partition_date(event_timestamp: object, arrival_timestamp_ms: int) -> str:
    """Return the ``dt`` partition: the UTC date of ``event_timestamp``, or of arrival when it is not plausible.

    Plausible means an int (epoch ms) from 2015-01-01 up to one day after arrival; anything else (missing, not
    an int, ancient, in the future) falls back to the arrival date so that late or skewed records stay findable.
    """
    timestamp = arrival_timestamp_ms
    if (
        isinstance(event_timestamp, int)
        and not isinstance(event_timestamp, bool)
        and EARLIEST_EVENT_MS <= event_timestamp <= arrival_timestamp_ms + MAX_FUTURE_SKEW_MS
    ):
        timestamp = event_timestamp
    return (_EPOCH + timedelta(milliseconds=timestamp)).date().isoformat()


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
    context = _Context(arrival_timestamp_ms, application_id, account_id)
    source, record = _convert(data, raw_text, context)
    kind = "unknown" if source == "unknown" else kind_for(record["event_type"])
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


def _convert(data: dict[str, Any], raw_text: str, context: _Context) -> tuple[str, dict[str, Any]]:
    """Detect the source by shape and build the Pinpoint-shaped record."""
    if "event_type" in data:
        if not _is_name(data["event_type"]):
            return "unknown", _unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return _from_pinpoint(data, context)
    ses_type = _first_name(data.get("eventType"), data.get("notificationType"))
    if _is_ses_shape(data):
        if ses_type is None:
            return "unknown", _unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return "ses", _from_ses(data, ses_type, context)
    if _is_sms_shape(data):
        if not _is_name(data["eventType"]):
            return "unknown", _unknown_record(raw_text, REASON_MISSING_EVENT_TYPE, context)
        return "sms", _from_sms(data, context)
    has_type_key = any(key in data for key in ("eventType", "notificationType"))
    reason = REASON_UNRECOGNISED_SOURCE if has_type_key else REASON_MISSING_EVENT_TYPE
    return "unknown", _unknown_record(raw_text, reason, context)


def _is_ses_shape(data: dict[str, Any]) -> bool:
    has_type_key = "eventType" in data or "notificationType" in data
    return has_type_key and isinstance(data.get("mail"), dict)


def _is_sms_shape(data: dict[str, Any]) -> bool:
    has_phone = "originationPhoneNumber" in data or "destinationPhoneNumber" in data
    return "eventType" in data and "messageId" in data and has_phone


def _is_name(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _first_name(*values: object) -> str | None:
    return next((value for value in values if _is_name(value)), None)


def _envelope(event_type: str, event_timestamp: int, context: _Context, *, client_id: str, account_id: str) -> dict:
    """The Pinpoint record skeleton the library writes for converted (non pass-through) records."""
    return {
        "event_type": event_type,
        "event_timestamp": event_timestamp,
        "arrival_timestamp": context.arrival_timestamp_ms,
        "event_version": EVENT_VERSION,
        "application": {"app_id": context.application_id, "sdk": {}},
        "client": {"client_id": client_id},
        "device": {"platform": {}},
        "session": {},
        "attributes": {},
        "metrics": {},
        "awsAccountId": account_id,
    }


def _unknown_record(raw_text: str, reason: str, context: _Context) -> dict[str, Any]:
    record = _envelope(
        UNKNOWN_EVENT_TYPE,
        context.arrival_timestamp_ms,
        context,
        client_id=context.account_id,
        account_id=context.account_id,
    )
    record["attributes"] = {"raw_record": raw_text, "reason": reason}
    return record


# --------------------------------------------------------------------------------------------- value helpers


def _to_str(value: object) -> str:
    """Attribute value as Pinpoint stores it: strings unchanged, anything else as compact JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _string_map(mapping: dict[str, Any]) -> dict[str, str]:
    return {str(key): _to_str(value) for key, value in mapping.items()}


def _finite_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _float_metrics(mapping: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """Split metrics into finite floats and the names of values that are not numbers."""
    metrics: dict[str, float] = {}
    dropped: list[str] = []
    for name, value in mapping.items():
        number = _finite_number(value)
        if number is None:
            dropped.append(str(name))
        else:
            metrics[str(name)] = number
    return metrics, dropped


def _take_dict(container: dict[str, Any], key: str, invalid: dict[str, str], label: str) -> dict[str, Any] | None:
    """Return container[key] if it is an object; a non-object value is moved to invalid[f"invalid_{label}"]."""
    value = container.get(key)
    if value is None or isinstance(value, dict):
        return value
    invalid[f"invalid_{label}"] = _to_str(value)
    del container[key]
    return None


def _snake(name: str) -> str:
    """camelCase / PascalCase / acronym keys to snake_case: ``reportingMTA`` -> ``reporting_mta``."""
    name = _CAMEL_ACRONYM.sub(r"\1_\2", name)
    name = _CAMEL_WORD.sub(r"\1_\2", name)
    return name.replace(" ", "_").replace("-", "_").lower()


# --------------------------------------------------------------------------------------------- Pinpoint shape


def _from_pinpoint(data: dict[str, Any], context: _Context) -> tuple[str, dict[str, Any]]:
    """Pass a Pinpoint-shaped record through, filling gaps and coercing maps to the Glue types."""
    record = data  # already a private copy made by _parse
    invalid: dict[str, str] = {}
    for field in _STRUCT_FIELDS:
        _take_dict(record, field, invalid, field)
    attributes = _take_dict(record, "attributes", invalid, "attributes") or {}
    metrics = _take_dict(record, "metrics", invalid, "metrics") or {}
    record["attributes"] = _string_map(attributes)
    record["metrics"], dropped = _float_metrics(metrics)
    application = _pinpoint_application(record.get("application"), context, invalid)
    record["application"] = application
    _coerce_client_context(record, invalid)
    record["attributes"].update(invalid)
    if dropped:
        record["attributes"]["dropped_metrics"] = ",".join(dropped)
    _fill_missing(record, "arrival_timestamp", context.arrival_timestamp_ms)
    _fill_missing(record, "event_version", EVENT_VERSION)
    _fill_missing(record, "awsAccountId", context.account_id)
    source = "library" if application["sdk"].get("name") == LIBRARY_SDK_NAME else "app"
    return source, record


def _pinpoint_application(value: dict[str, Any] | None, context: _Context, invalid: dict[str, str]) -> dict:
    application = dict(value or {})
    if not _is_name(application.get("app_id")):
        application["app_id"] = context.application_id
    sdk = _take_dict(application, "sdk", invalid, "application_sdk") or {}
    application["sdk"] = _string_map(sdk)
    return application


def _coerce_client_context(record: dict[str, Any], invalid: dict[str, str]) -> None:
    client_context = record.get("client_context")
    if not isinstance(client_context, dict):
        return
    custom = _take_dict(client_context, "custom", invalid, "client_context_custom")
    if custom is not None:
        client_context["custom"] = _string_map(custom)


def _fill_missing(record: dict[str, Any], key: str, value: object) -> None:
    if record.get(key) is None:
        record[key] = value


# --------------------------------------------------------------------------------------------- SES


@dataclass(frozen=True)
class _SesMapping:
    event_type: str
    body_keys: tuple[str, ...]
    facet: str
    feedback: str | None


_SES_EVENTS: dict[str, _SesMapping] = {
    "send": _SesMapping("_email.send", ("send",), "send", "received"),
    "delivery": _SesMapping("_email.delivered", ("delivery",), "delivery", "delivered"),
    "open": _SesMapping("_email.open", ("open",), "open", "opened"),
    "click": _SesMapping("_email.click", ("click",), "click", None),
    "bounce": _SesMapping("_email.softbounce", ("bounce",), "bounce", "bounced"),
    "complaint": _SesMapping("_email.complaint", ("complaint",), "complaint", None),
    "reject": _SesMapping("_email.rejected", ("reject",), "reject", None),
    "renderingfailure": _SesMapping(
        "_email.rendering_failure", ("failure", "renderingFailure"), "rendering_failure", None
    ),
    "deliverydelay": _SesMapping("_email.delivery_delay", ("deliveryDelay",), "delivery_delay", None),
    "subscription": _SesMapping("_email.unsubscribe", ("subscription",), "subscription", None),
}
"""SES event types, keyed case- and separator-insensitively ("Rendering Failure", "RENDERING_FAILURE", ...)."""

_SES_STRING_MAP_FACETS = frozenset({"send", "subscription"})  # Glue types these as map<string,string>
_SES_TIME_KEYS = frozenset({"timestamp", "expirationTime"})  # ISO strings -> epoch ms (Glue bigint)
_SES_OPAQUE_KEYS = frozenset({"linkTags"})  # user-defined tag names: keep the inner keys as sent
_SES_TYPE_KEYS = frozenset({"eventType", "notificationType", "mail"})
_UNSUBSCRIBE_LINK_TAG = "unsubscribeLinkTag"
_SES_CONFIGURATION_SET_TAG = "ses:configuration-set"
_ENDPOINT_ID_KEY = "endpoint_id"
# Message tags whose values are ids the library encodes for SES (see encode_ses_tag_value)
ENCODED_SES_TAGS = frozenset({"campaign_id", "treatment_id", _ENDPOINT_ID_KEY})
SES_TAG_ENCODED_PREFIX = "b64u-"
SES_TAG_MAX_LENGTH = 256
_SES_TAG_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_SES_TAG_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def encode_ses_tag_value(value: object) -> str:
    """An id as an SES message tag value (ASCII letters, digits, ``_`` and ``-`` only, at most 256 characters),
    reversibly: the id itself when it fits those rules, else ``b64u-`` + its unpadded URL-safe base64 (UTF-8), which
    the lake normaliser decodes (:func:`decode_ses_tag_value`), so an endpoint id like ``user.42@example.com``
    reaches the lake's ``client_id`` unchanged. Only an id whose encoding would pass 256 characters (over ~187
    bytes) is stored lossily (other characters as ``_``)."""
    text = str(value)
    if _SES_TAG_PLAIN.fullmatch(text) and not text.startswith(SES_TAG_ENCODED_PREFIX):
        return text
    encoded = SES_TAG_ENCODED_PREFIX + base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode(
        "ascii"
    ).rstrip("=")
    if len(encoded) <= SES_TAG_MAX_LENGTH:
        return encoded
    return (_SES_TAG_INVALID.sub("_", text) or "_")[:SES_TAG_MAX_LENGTH]


def decode_ses_tag_value(value: str) -> str:
    """The id :func:`encode_ses_tag_value` encoded; any other value (including one that merely starts with the
    prefix) unchanged: a value is decoded only when encoding the result gives it back exactly."""
    if not value.startswith(SES_TAG_ENCODED_PREFIX):
        return value
    payload = value[len(SES_TAG_ENCODED_PREFIX) :]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        return value
    return decoded if encode_ses_tag_value(decoded) == value else value


def _ses_key(ses_type: str) -> str:
    return re.sub(r"[\s_-]", "", ses_type).lower()


def _from_ses(data: dict[str, Any], ses_type: str, context: _Context) -> dict[str, Any]:
    """Convert an SES event-publishing record into a Pinpoint ``_email.*`` record with email facets."""
    mail = data["mail"]
    mapping = _SES_EVENTS.get(_ses_key(ses_type))
    bodies = _ses_bodies(data, mapping)
    event_type = _ses_event_type(ses_type, mapping, bodies)
    body = next(iter(bodies.values()), {})
    event_timestamp = _first_ms(body.get("timestamp"), mail.get("timestamp"), context.arrival_timestamp_ms)
    tags = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
    account = _first_name(mail.get("sendingAccountId"), context.account_id) or ""
    client_id = _first_name(_ses_id_tag(tags, _ENDPOINT_ID_KEY), account) or ""
    record = _envelope(event_type, event_timestamp, context, client_id=client_id, account_id=account)
    record["attributes"] = _ses_attributes(tags, mapping, body)
    mail_event: dict[str, Any] = {"mail": _ses_mail(mail)}
    mail_event.update({facet: _ses_facet(facet, value) for facet, value in bodies.items()})
    record["facets"] = {"email_channel": {"mail_event": mail_event}}
    return record


def _ses_bodies(data: dict[str, Any], mapping: _SesMapping | None) -> dict[str, dict[str, Any]]:
    """The event body keyed by its facet name; unlisted types keep every object-valued extra key."""
    if mapping is not None:
        found = next((data[key] for key in mapping.body_keys if isinstance(data.get(key), dict)), {})
        return {mapping.facet: found}
    return {
        _snake(key): value
        for key, value in data.items()
        if key not in _SES_TYPE_KEYS and isinstance(value, dict) and _snake(key) not in ("", "mail")
    }


def _ses_event_type(ses_type: str, mapping: _SesMapping | None, bodies: dict[str, dict[str, Any]]) -> str:
    if mapping is None:
        return "_email." + ses_type.lower()
    if mapping.facet == "bounce" and bodies["bounce"].get("bounceType") == "Permanent":
        return "_email.hardbounce"
    link_tags = bodies.get("click", {}).get("linkTags")
    if mapping.facet == "click" and isinstance(link_tags, dict) and _UNSUBSCRIBE_LINK_TAG in link_tags:
        return "_email.unsubscribe"
    return mapping.event_type


def _first_ms(*candidates: object) -> int:
    return next(ms for ms in (to_epoch_ms(value) for value in candidates) if ms is not None)


def _first_tag_value(values: object) -> str | None:
    """SES tags are lists of strings; take the first (a bare scalar is accepted too)."""
    if isinstance(values, list):
        values = values[0] if values else None
    if values is None or isinstance(values, (dict, list)):
        return None
    return _to_str(values)


def _ses_id_tag(tags: dict[str, Any], name: str) -> str | None:
    value = _first_tag_value(tags.get(name))
    return decode_ses_tag_value(value) if value is not None else None


def _ses_attributes(tags: dict[str, Any], mapping: _SesMapping | None, body: dict[str, Any]) -> dict[str, str]:
    """Message tags (not ``ses:*``) as attributes (the library's id tags decoded), then configuration_set and
    feedback (which win)."""
    attributes: dict[str, str] = {}
    for name, values in tags.items():
        value = _first_tag_value(values)
        if value is None or name.startswith("ses:") or name == _ENDPOINT_ID_KEY:
            continue
        attributes[name] = decode_ses_tag_value(value) if name in ENCODED_SES_TAGS else value
    configuration_set = _first_tag_value(tags.get(_SES_CONFIGURATION_SET_TAG))
    if configuration_set is not None:
        attributes["configuration_set"] = configuration_set
    feedback = mapping.feedback if mapping is not None else None
    if mapping is not None and mapping.facet == "click" and isinstance(body.get("link"), str):
        feedback = body["link"]
    if feedback is not None:
        attributes["feedback"] = feedback
    return attributes


def _ses_mail(mail: dict[str, Any]) -> dict[str, Any]:
    """SES ``mail`` -> Pinpoint ``facets.email_channel.mail_event.mail`` (snake_case, epoch ms)."""
    fields = {
        "message_id": mail.get("messageId"),
        "message_send_timestamp": to_epoch_ms(mail.get("timestamp")),
        "from_address": _bare_address(mail.get("source")),
        "destination": mail.get("destination"),
        "headers_truncated": mail.get("headersTruncated"),
        "headers": mail.get("headers"),
    }
    common_headers = mail.get("commonHeaders")
    if isinstance(common_headers, dict):
        fields["common_headers"] = _ses_common_headers(common_headers)
    return {key: value for key, value in fields.items() if value is not None}


def _ses_common_headers(common_headers: dict[str, Any]) -> dict[str, Any]:
    converted = _snake_tree(common_headers)
    sender = common_headers.get("from")
    if isinstance(sender, list):
        sender = sender[0] if sender else None
    converted["from"] = sender if isinstance(sender, str) else None
    return converted


def _bare_address(source: object) -> str | None:
    """``"Sender Name <a@b>"`` -> ``"a@b"``; the input unchanged if no address can be parsed out."""
    if not isinstance(source, str):
        return None
    match = _ANGLE_ADDRESS.search(source)
    address = match.group(1).strip() if match else ""
    return address or source.strip()


def _ses_facet(facet: str, body: dict[str, Any]) -> dict[str, Any]:
    converted = _snake_tree(body)
    return _string_map(converted) if facet in _SES_STRING_MAP_FACETS else converted


def _snake_tree(value: Any) -> Any:
    """Recursively snake_case object keys; ISO times become epoch ms (unparseable ones kept as ``<key>_raw``)."""
    if isinstance(value, list):
        return [_snake_tree(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted: dict[str, Any] = {}
    for key, item in value.items():
        name = _snake(key)
        if key in _SES_OPAQUE_KEYS:
            converted[name] = item
        elif key in _SES_TIME_KEYS:
            converted[name] = to_epoch_ms(item)
            if converted[name] is None and item is not None:
                converted[name + "_raw"] = item
        else:
            converted[name] = _snake_tree(item)
    return converted


# --------------------------------------------------------------------------------------------- SMS v2

_SMS_STATUS_EVENT_TYPES: dict[str, str] = {
    **dict.fromkeys(("SUCCESSFUL", "DELIVERED"), "_SMS.SUCCESS"),
    **dict.fromkeys(("QUEUED", "PENDING", "SENT"), "_SMS.BUFFERED"),
    **dict.fromkeys(
        (
            "BLOCKED",
            "INVALID",
            "INVALID_MESSAGE",
            "UNREACHABLE",
            "CARRIER_UNREACHABLE",
            "CARRIER_BLOCKED",
            "SPAM",
            "UNKNOWN",
            "TTL_EXPIRED",
            "PROTECT_BLOCKED",
        ),
        "_SMS.FAILURE",
    ),
}
"""End User Messaging ``TEXT_*`` / ``MEDIA_*`` suffixes -> Pinpoint SMS event types."""

_SMS_CHANNEL_PREFIXES: tuple[tuple[str, str | None], ...] = (("TEXT_", None), ("MEDIA_", "MMS"))

_SMS_ATTRIBUTE_FIELDS: tuple[tuple[str, str], ...] = (
    ("origination_phone_number", "originationPhoneNumber"),
    ("destination_phone_number", "destinationPhoneNumber"),
    ("iso_country_code", "isoCountryCode"),
    ("number_of_message_parts", "totalMessageParts"),
    ("message_id", "messageId"),
    ("message_encoding", "messageEncoding"),
    ("mcc", "mcc"),
    ("mnc", "mnc"),
    ("is_final", "isFinal"),
    ("is_international_send", "isInternationalSend"),
    ("message_status_description", "messageStatusDescription"),
)
_SMS_MESSAGE_TYPES = {"TRANSACTIONAL": "Transactional", "PROMOTIONAL": "Promotional"}
_SMS_RESERVED_ATTRIBUTES = frozenset(
    [name for name, _ in _SMS_ATTRIBUTE_FIELDS] + ["record_status", "message_type", "customer_context", "channel"]
)
_SMS_METRICS = (("price_in_millicents_usd", "totalMessagePrice"), ("carrier_fee_in_millicents_usd", "totalCarrierFee"))
_OPTED_OUT = "OPTED_OUT"


def _from_sms(data: dict[str, Any], context: _Context) -> dict[str, Any]:
    """Convert an End User Messaging SMS v2 event record into a Pinpoint ``_SMS.*`` record."""
    event_type, channel = _sms_event_type(data["eventType"])
    sms_context = data.get("context")
    endpoint_id = sms_context.get(_ENDPOINT_ID_KEY) if isinstance(sms_context, dict) else None
    client_id = _first_name(endpoint_id, context.account_id) or ""
    event_timestamp = data.get("eventTimestamp")
    if isinstance(event_timestamp, bool) or not isinstance(event_timestamp, int):
        event_timestamp = context.arrival_timestamp_ms
    record = _envelope(event_type, event_timestamp, context, client_id=client_id, account_id=context.account_id)
    record["attributes"] = _sms_attributes(data, channel)
    record["metrics"] = _sms_metrics(data)
    return record


def _sms_event_type(sms_type: str) -> tuple[str, str | None]:
    """(Pinpoint event type, channel attribute) for an SMS v2 ``eventType``."""
    for prefix, channel in _SMS_CHANNEL_PREFIXES:
        if sms_type.startswith(prefix):
            mapped = _SMS_STATUS_EVENT_TYPES.get(sms_type[len(prefix) :])
            if mapped is not None:
                return mapped, channel
    return "_smsvoice." + sms_type.lower(), None


def _sms_attributes(data: dict[str, Any], channel: str | None) -> dict[str, str]:
    attributes = {name: _to_str(data[key]) for name, key in _SMS_ATTRIBUTE_FIELDS if data.get(key) is not None}
    status = data.get("messageStatus")
    if status is not None:
        status = _to_str(status)
        attributes["record_status"] = _OPTED_OUT if _OPTED_OUT in status else status
    message_type = data.get("messageType")
    if message_type is not None:
        message_type = _to_str(message_type)
        attributes["message_type"] = _SMS_MESSAGE_TYPES.get(message_type.upper(), message_type)
    if channel is not None:
        attributes["channel"] = channel
    sms_context = data.get("context")
    if sms_context is not None:
        attributes["customer_context"] = json.dumps(sms_context, separators=(",", ":"))
    if isinstance(sms_context, dict):
        for key, value in sms_context.items():
            if isinstance(value, str) and key not in _SMS_RESERVED_ATTRIBUTES:
                attributes[key] = value
    return attributes


def _sms_metrics(data: dict[str, Any]) -> dict[str, float]:
    metrics = {name: _usd_to_millicents(data.get(key)) for name, key in _SMS_METRICS}
    return {name: value for name, value in metrics.items() if value is not None}


def _usd_to_millicents(value: object) -> float | None:
    """USD -> thousandths of a US cent, computed in decimal so 0.09582 gives exactly 9582.0."""
    if _finite_number(value) is None:
        return None
    amount = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    millicents = float(amount * _MILLICENTS_PER_USD)
    return millicents if math.isfinite(millicents) else None
