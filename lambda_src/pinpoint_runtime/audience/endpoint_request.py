"""Pinpoint endpoint requests: the field rules of ``EndpointRequest`` / ``EndpointBatchItem`` (botocore's
``pinpoint`` model), address normalisation and Pinpoint's merge of a request into a stored endpoint.

:func:`validate_endpoint_request` is what :class:`~pinpoint_runtime.audience.store.EndpointStore` applies to every
item, and what the import reuses; :class:`EndpointValidationError` is Pinpoint's 400 BadRequest. Addresses are
never put into error messages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from pinpoint_runtime.events.records import to_epoch_ms
from pinpoint_runtime.phone import PhoneNumberError, parse_phone_number

CHANNEL_TYPES = frozenset(
    {
        "PUSH",
        "GCM",
        "APNS",
        "APNS_SANDBOX",
        "APNS_VOIP",
        "APNS_VOIP_SANDBOX",
        "ADM",
        "SMS",
        "VOICE",
        "EMAIL",
        "BAIDU",
        "CUSTOM",
        "IN_APP",
    }
)
"""Pinpoint's ``ChannelType`` enum (botocore ``pinpoint`` model)."""

PHONE_CHANNELS = frozenset({"SMS", "VOICE"})
OPT_OUT_VALUES = frozenset({"ALL", "NONE"})
ENDPOINT_STATUS_VALUES = frozenset({"ACTIVE", "INACTIVE"})

MAX_BATCH_ITEMS = 100
"""Pinpoint limit: items per ``EndpointBatchRequest``."""
MAX_ATTRIBUTE_NAME_LENGTH = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 100
MAX_ENDPOINTS_PER_USER = 10
MAX_ADDRESS_LENGTH = 2048
MAX_ENDPOINT_JSON_BYTES = 300_000
"""Keeps an endpoint item well under DynamoDB's 400 KB item limit."""

_DEMOGRAPHIC_FIELDS = frozenset(
    {"AppVersion", "Locale", "Make", "Model", "ModelVersion", "Platform", "PlatformVersion", "Timezone"}
)
_LOCATION_TEXT_FIELDS = frozenset({"City", "Country", "PostalCode", "Region"})
_LOCATION_RANGES = {"Latitude": 90.0, "Longitude": 180.0}
_REQUEST_FIELDS = frozenset(
    {
        "Address",
        "Attributes",
        "ChannelType",
        "Demographic",
        "EffectiveDate",
        "EndpointStatus",
        "Location",
        "Metrics",
        "OptOut",
        "RequestId",
        "User",
    }
)
_BATCH_ITEM_FIELDS = _REQUEST_FIELDS | {"Id"}
_USER_FIELDS = frozenset({"UserId", "UserAttributes"})
# DynamoDB numbers: magnitude 1E-130 .. 9.9999...E+125, 38 significant digits.
_DYNAMO_MIN, _DYNAMO_MAX = 1e-130, 9.9e125


class EndpointValidationError(ValueError):
    """A request Pinpoint would answer with 400 BadRequest. ``field`` is the path, e.g.
    ``EndpointBatchRequest.Item[3].Address``; the message names the field and never echoes an address."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def validate_endpoint_request(
    request: object,
    field_prefix: str,
    *,
    default_country: str = "US",
    normalise_address: bool = True,
    require_id: bool = False,
) -> dict[str, Any]:
    """Public form of the checks :meth:`EndpointStore.update_endpoints_batch` applies to one ``EndpointBatchItem``
    (``_clean_request`` over the batch-item fields; ``Id`` checked with the key rules when present or required),
    plus, when ``normalise_address`` and both ``ChannelType`` and ``Address`` are present, the address
    normalisation applied when the endpoint is written (E.164 for SMS/VOICE read in ``default_country``, email
    syntax for EMAIL). Raises :class:`EndpointValidationError` naming ``<field_prefix>.<field>``; returns a
    normalised copy (``Id`` included when given). Reused by :mod:`pinpoint_runtime.audience.import_rows`."""
    clean = _clean_request(request, field_prefix, _BATCH_ITEM_FIELDS)
    endpoint_id = cast(Mapping[str, Any], request).get("Id")  # a Mapping: _clean_request checked it
    if endpoint_id is not None or require_id:
        clean["Id"] = _key_part(endpoint_id, f"{field_prefix}.Id")
    if normalise_address and clean.get("ChannelType") and clean.get("Address"):
        clean["Address"] = _normalise_address(
            clean["ChannelType"], clean["Address"], f"{field_prefix}.Address", default_country
        )
    return clean


def normalise_address(channel: str, address: str, field: str, *, default_country: str = "US") -> str:
    """Public form of the write-time address normalisation (E.164 for SMS/VOICE, email syntax for EMAIL)."""
    return _normalise_address(channel, address, field, default_country)


def _key_part(value: object, field: str) -> str:
    """Ids used in keys: non-empty strings without '#' (the key separator)."""
    if not isinstance(value, str) or not value.strip():
        raise EndpointValidationError(field, "is required and must be a non-empty string")
    if "#" in value:
        raise EndpointValidationError(field, "must not contain '#'")
    _check_text(value, field, 1024)
    return value


def _check_text(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise EndpointValidationError(field, "must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EndpointValidationError(field, "must be valid Unicode text") from None
    if max_length is not None and len(value) > max_length:
        raise EndpointValidationError(field, f"is {len(value)} characters; the limit is {max_length}")
    return value


def _clean_request(request: object, prefix: str, allowed: frozenset[str]) -> dict[str, Any]:
    """Validate the fields present in an EndpointRequest/EndpointBatchItem; returns a normalised copy."""
    if not isinstance(request, Mapping):
        raise EndpointValidationError(prefix, "must be an object")
    clean: dict[str, Any] = {}
    for key, value in request.items():
        field = f"{prefix}.{key}"
        if key not in allowed:
            raise EndpointValidationError(field, "is not a field of this request")
        if value is None or key == "Id":
            continue
        if key == "ChannelType":
            if value not in CHANNEL_TYPES:
                raise EndpointValidationError(field, f"must be one of {', '.join(sorted(CHANNEL_TYPES))}")
        elif key == "Address":
            _check_text(value, field, MAX_ADDRESS_LENGTH)
            value = value.strip()
            if not value:
                raise EndpointValidationError(field, "must not be empty")
        elif key == "OptOut":
            if value not in OPT_OUT_VALUES:
                raise EndpointValidationError(field, "must be ALL or NONE")
        elif key == "EndpointStatus":
            if value not in ENDPOINT_STATUS_VALUES:
                raise EndpointValidationError(field, "must be ACTIVE or INACTIVE")
        elif key == "EffectiveDate":
            if not isinstance(value, str) or to_epoch_ms(value) is None:
                raise EndpointValidationError(field, "must be an ISO 8601 date-time")
        elif key == "RequestId":
            _check_text(value, field, 1024)
        elif key == "Attributes":
            value = _clean_attributes(value, field)
        elif key == "Metrics":
            value = _clean_metrics(value, field)
        elif key == "User":
            value = _clean_user(value, field)
        elif key == "Demographic":
            value = _clean_struct(value, field, _DEMOGRAPHIC_FIELDS)
        elif key == "Location":
            value = _clean_location(value, field)
        clean[key] = value
    return clean


def _clean_name(name: object, field: str) -> str:
    if not isinstance(name, str) or not name:
        raise EndpointValidationError(field, "names must be non-empty strings")
    _check_text(name, field)
    if len(name) > MAX_ATTRIBUTE_NAME_LENGTH:
        raise EndpointValidationError(
            field, f"has a name of {len(name)} characters; the limit is {MAX_ATTRIBUTE_NAME_LENGTH}"
        )
    return name


def _clean_attributes(value: object, field: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be a map of string lists")
    clean = {}
    for name, values in value.items():
        _clean_name(name, field)
        item_field = f"{field}[{name}]"
        if not isinstance(values, (list, tuple)):
            raise EndpointValidationError(item_field, "must be a list of strings")
        for entry in values:
            _check_text(entry, item_field, MAX_ATTRIBUTE_VALUE_LENGTH)
        clean[name] = list(values)
    return clean


def _clean_metrics(value: object, field: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be a map of numbers")
    clean = {}
    for name, number in value.items():
        _clean_name(name, field)
        clean[name] = _number(number, f"{field}[{name}]")
    return clean


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise EndpointValidationError(field, "must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise EndpointValidationError(field, "is out of range") from None
    if not math.isfinite(number) or abs(number) >= _DYNAMO_MAX or (number != 0 and abs(number) < _DYNAMO_MIN):
        raise EndpointValidationError(field, "must be a finite number within DynamoDB's range")
    return number


def _clean_user(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _USER_FIELDS:
            raise EndpointValidationError(f"{field}.{key}", "is not a field of EndpointUser")
        if item is None:
            continue
        if key == "UserId":
            clean[key] = _key_part(item, f"{field}.UserId")
        else:
            clean[key] = _clean_attributes(item, f"{field}.UserAttributes")
    return clean


def _clean_struct(value: object, field: str, fields: frozenset[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    clean = {}
    for key, item in value.items():
        if key not in fields:
            raise EndpointValidationError(f"{field}.{key}", "is not a known field")
        if item is not None:
            clean[key] = _check_text(item, f"{field}.{key}", 1024)
    return clean


def _clean_location(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise EndpointValidationError(field, "must be an object")
    text = {k: v for k, v in value.items() if k not in _LOCATION_RANGES}
    clean: dict[str, Any] = _clean_struct(text, field, _LOCATION_TEXT_FIELDS)
    for key, limit in _LOCATION_RANGES.items():
        if value.get(key) is None:
            continue
        number = _number(value[key], f"{field}.{key}")
        if not -limit <= number <= limit:
            raise EndpointValidationError(f"{field}.{key}", f"must be between -{limit:g} and {limit:g}")
        clean[key] = number
    return clean


def _normalise_address(channel: str, address: str, field: str, default_country: str) -> str:
    """SMS/VOICE -> E.164 (national numbers read in ``default_country``); EMAIL -> syntax check."""
    if channel in PHONE_CHANNELS:
        try:
            return parse_phone_number(address, default_country)
        except PhoneNumberError as error:
            raise EndpointValidationError(field, f"{error.problem} (channel {channel})") from None
    if channel == "EMAIL" and not _looks_like_email(address):
        raise EndpointValidationError(field, "is not a valid email address (channel EMAIL)")
    return address


def _looks_like_email(address: str) -> bool:
    """Pragmatic: one '@', local part 1-64 chars, a dotted domain of non-empty labels, no spaces/controls."""
    if len(address) > 254 or address.count("@") != 1 or any(c.isspace() or ord(c) < 32 for c in address):
        return False
    local, domain = address.split("@")
    labels = domain.split(".")
    return (
        0 < len(local) <= 64
        and len(labels) >= 2
        and all(0 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-") for label in labels)
    )


def _merge(stored: dict | None, request: Mapping[str, Any]) -> dict[str, Any]:
    """Pinpoint merge: fields replace, Attributes/Metrics/User.UserAttributes merge key by key ([] removes)."""
    merged = dict(stored or {})
    for key, value in request.items():
        if key in ("Attributes", "Metrics"):
            merged[key] = _merge_map(merged.get(key), value)
        elif key == "User":
            user = dict(merged.get("User") or {})
            if "UserId" in value:
                user["UserId"] = value["UserId"]
            if "UserAttributes" in value:
                user["UserAttributes"] = _merge_map(user.get("UserAttributes"), value["UserAttributes"])
            merged["User"] = user
        else:
            merged[key] = value
    return merged


def _merge_map(stored: Mapping | None, update: Mapping) -> dict:
    merged = dict(stored or {})
    for key, value in update.items():
        if value == []:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
