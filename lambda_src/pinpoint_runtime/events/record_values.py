"""The building blocks every record conversion shares: the record skeleton and the value coercions that make a
record fit the Glue ``events`` table (``attributes`` a map of strings, ``metrics`` a map of finite floats)."""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple, TypeGuard

from pinpoint_runtime.events.event_types import EVENT_VERSION, UNKNOWN_EVENT_TYPE

_CAMEL_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_WORD = re.compile(r"([a-z0-9])([A-Z])")

ENDPOINT_ID_KEY = "endpoint_id"
"""Key of the endpoint id in the library's SES message tags and SMS context."""


class RecordContext(NamedTuple):
    """What a conversion fills in where the record has nothing: arrival time, application and account ids."""

    arrival_timestamp_ms: int
    application_id: str
    account_id: str


def is_name(value: object) -> TypeGuard[str]:
    """A non-blank string."""
    return isinstance(value, str) and value.strip() != ""


def first_name(*values: object) -> str | None:
    """The first of ``values`` that is a non-blank string, else None."""
    return next((value for value in values if is_name(value)), None)


def envelope(event_type: str, event_timestamp: int, context: RecordContext, *, client_id: str, account_id: str) -> dict:
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


def unknown_record(raw_text: str, reason: str, context: RecordContext) -> dict[str, Any]:
    record = envelope(
        UNKNOWN_EVENT_TYPE,
        context.arrival_timestamp_ms,
        context,
        client_id=context.account_id,
        account_id=context.account_id,
    )
    record["attributes"] = {"raw_record": raw_text, "reason": reason}
    return record


def to_str(value: object) -> str:
    """Attribute value as Pinpoint stores it: strings unchanged, anything else as compact JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def string_map(mapping: dict[str, Any]) -> dict[str, str]:
    return {str(key): to_str(value) for key, value in mapping.items()}


def finite_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def float_metrics(mapping: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """Split metrics into finite floats and the names of values that are not numbers."""
    metrics: dict[str, float] = {}
    dropped: list[str] = []
    for name, value in mapping.items():
        number = finite_number(value)
        if number is None:
            dropped.append(str(name))
        else:
            metrics[str(name)] = number
    return metrics, dropped


def take_dict(container: dict[str, Any], key: str, invalid: dict[str, str], label: str) -> dict[str, Any] | None:
    """Return container[key] if it is an object; a non-object value is moved to invalid[f"invalid_{label}"]."""
    value = container.get(key)
    if value is None or isinstance(value, dict):
        return value
    invalid[f"invalid_{label}"] = to_str(value)
    del container[key]
    return None


def snake_case(name: str) -> str:
    """camelCase / PascalCase / acronym keys to snake_case: ``reportingMTA`` -> ``reporting_mta``."""
    name = _CAMEL_ACRONYM.sub(r"\1_\2", name)
    name = _CAMEL_WORD.sub(r"\1_\2", name)
    return name.replace(" ", "_").replace("-", "_").lower()
