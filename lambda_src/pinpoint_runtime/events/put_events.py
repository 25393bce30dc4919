"""Pinpoint ``put_events`` requests: validated the way Pinpoint validates them, converted into the event-stream
records Pinpoint would have streamed (what :meth:`EventStreamWriter.put_events
<pinpoint_runtime.events.stream.EventStreamWriter.put_events>` writes)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from pinpoint_runtime.events.event_time import to_epoch_ms
from pinpoint_runtime.events.event_types import EVENT_VERSION

MAX_EVENTS_PER_REQUEST = 100
"""Pinpoint ``put_events`` limit: events (and BatchItem entries) per request."""

MAX_EVENT_KEYS = 40
"""Pinpoint ``put_events`` limit: attribute plus metric keys per event."""

MAX_KEY_LENGTH = 50
"""Pinpoint ``put_events`` limit: characters per attribute (and metric) name."""

MAX_ATTRIBUTE_VALUE_LENGTH = 200
"""Pinpoint ``put_events`` limit: characters per attribute value."""

ACCEPTED = {"StatusCode": 202, "Message": "Accepted"}
"""Pinpoint's answer for an accepted endpoint or event."""

_EVENT_STRING_FIELDS = ("AppPackageName", "AppTitle", "AppVersionCode", "ClientSdkVersion", "SdkName")


def events_request(
    request: Mapping[str, Any], default_application_id: str | None
) -> tuple[str, dict[str, tuple[dict, dict]]]:
    """Validate the request envelope; return (application id, {endpoint id: (endpoint, events)}).

    ``default_application_id`` is used when the request names none; a structurally invalid request raises
    ``ValueError`` (Pinpoint answers it with a 400 BadRequestException).
    """
    if not isinstance(request, Mapping):
        raise ValueError("put_events request must be an object")
    body = request.get("EventsRequest", request)
    application_id = request.get("ApplicationId") or default_application_id
    if not isinstance(application_id, str) or not application_id.strip():
        raise ValueError("ApplicationId is required (pass it in the request or set APPLICATION_ID)")
    batch_item = body.get("BatchItem") if isinstance(body, Mapping) else None
    if not isinstance(batch_item, Mapping) or not batch_item:
        raise ValueError("EventsRequest.BatchItem is required and must be a non-empty object")
    if len(batch_item) > MAX_EVENTS_PER_REQUEST:
        raise ValueError(f"EventsRequest.BatchItem has {len(batch_item)} entries; the limit is 100")
    batch = {str(endpoint_id): batch_entry(endpoint_id, item) for endpoint_id, item in batch_item.items()}
    total = sum(len(events) for _, events in batch.values())
    if total > MAX_EVENTS_PER_REQUEST:
        raise ValueError(f"EventsRequest has {total} events; the limit is {MAX_EVENTS_PER_REQUEST}")
    return application_id, batch


def event_record(
    application_id: str,
    endpoint_id: str,
    endpoint: Mapping[str, Any],
    event: Mapping[str, Any],
    *,
    arrival_timestamp_ms: int,
    account_id: str,
) -> dict[str, Any]:
    """A valid Pinpoint ``Event`` as the Pinpoint event-stream record Pinpoint would have streamed."""
    demographic = endpoint.get("Demographic")
    demographic = demographic if isinstance(demographic, Mapping) else {}
    return {
        "event_type": event["EventType"],
        "event_timestamp": to_epoch_ms(event["Timestamp"]),
        "arrival_timestamp": arrival_timestamp_ms,
        "event_version": EVENT_VERSION,
        "application": _application(application_id, event, demographic),
        "client": {"client_id": endpoint_id},
        "device": _device(demographic),
        "session": _session(event.get("Session")),
        "attributes": dict(event.get("Attributes") or {}),
        "metrics": {name: float(value) for name, value in (event.get("Metrics") or {}).items()},
        "awsAccountId": account_id,
    }


def batch_entry(endpoint_id: object, item: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate one BatchItem entry; return (Endpoint, Events)."""
    if not isinstance(item, Mapping):
        raise ValueError(f"BatchItem[{endpoint_id!r}] must be an object")
    endpoint = item.get("Endpoint") or {}
    events = item.get("Events")
    if not isinstance(endpoint, Mapping):
        raise ValueError(f"BatchItem[{endpoint_id!r}].Endpoint must be an object")
    if not isinstance(events, Mapping):
        raise ValueError(f"BatchItem[{endpoint_id!r}].Events is required and must be an object")
    return dict(endpoint), {str(event_id): event for event_id, event in events.items()}


def event_problem(event: object) -> str | None:
    """Why Pinpoint would reject this ``Event`` with a 400 (a message naming the field), or None if valid.

    Rules: ``EventType`` and ``Timestamp`` (ISO 8601) required; at most 40 attribute plus metric keys;
    names at most 50 characters; attribute values strings of at most 200 characters; metric values numbers;
    ``Session`` needs ``Id`` and ``StartTimestamp``; the app and SDK fields are strings.
    """
    if not isinstance(event, Mapping):
        return "Event must be an object"
    checks: tuple[Callable[[Mapping[str, Any]], str | None], ...] = (
        _event_type_problem,
        _timestamp_problem,
        _string_fields_problem,
        _attributes_problem,
    )
    checks += (_metrics_problem, _key_count_problem, _session_problem)
    return next((problem for problem in (check(event) for check in checks) if problem is not None), None)


def _event_type_problem(event: Mapping[str, Any]) -> str | None:
    event_type = event.get("EventType")
    if not isinstance(event_type, str) or not event_type.strip():
        return "EventType is required"
    return None


def _timestamp_problem(event: Mapping[str, Any], field: str = "Timestamp") -> str | None:
    value = event.get(field)
    if value is None:
        return f"{field} is required"
    if not isinstance(value, str) or to_epoch_ms(value) is None:
        return f"{field} must be an ISO 8601 date-time"
    return None


def _string_fields_problem(event: Mapping[str, Any]) -> str | None:
    for field in _EVENT_STRING_FIELDS:
        if event.get(field) is not None and not isinstance(event[field], str):
            return f"{field} must be a string"
    return None


def _attributes_problem(event: Mapping[str, Any]) -> str | None:
    attributes = event.get("Attributes") or {}
    if not isinstance(attributes, Mapping):
        return "Attributes must be a map of strings"
    for key, value in attributes.items():
        if len(str(key)) > MAX_KEY_LENGTH:
            return f"Attributes key {key!r} is {len(str(key))} characters; the limit is {MAX_KEY_LENGTH}"
        if not isinstance(value, str):
            return f"Attributes[{key!r}] must be a string"
        if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
            return f"Attributes[{key!r}] is {len(value)} characters; the limit is {MAX_ATTRIBUTE_VALUE_LENGTH}"
    return None


def _metrics_problem(event: Mapping[str, Any]) -> str | None:
    metrics = event.get("Metrics") or {}
    if not isinstance(metrics, Mapping):
        return "Metrics must be a map of numbers"
    for key, value in metrics.items():
        if len(str(key)) > MAX_KEY_LENGTH:
            return f"Metrics key {key!r} is {len(str(key))} characters; the limit is {MAX_KEY_LENGTH}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"Metrics[{key!r}] must be a number"
    return None


def _key_count_problem(event: Mapping[str, Any]) -> str | None:
    count = len(event.get("Attributes") or {}) + len(event.get("Metrics") or {})
    if count > MAX_EVENT_KEYS:
        return f"Attributes and Metrics have {count} keys; the limit is {MAX_EVENT_KEYS}"
    return None


def _session_problem(event: Mapping[str, Any]) -> str | None:
    session = event.get("Session")
    if session is None:
        return None
    if not isinstance(session, Mapping):
        return "Session must be an object"
    if not isinstance(session.get("Id"), str) or not session["Id"].strip():
        return "Session.Id is required"
    problem = _timestamp_problem(session, "StartTimestamp")
    if problem is None and session.get("StopTimestamp") is not None:
        problem = _timestamp_problem(session, "StopTimestamp")
    return f"Session.{problem}" if problem else None


def _compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _text(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) and value else None


def _application(application_id: str, event: Mapping[str, Any], demographic: Mapping[str, Any]) -> dict[str, Any]:
    sdk = _compact({"name": _text(event, "SdkName"), "version": _text(event, "ClientSdkVersion")})
    optional = {
        "package_name": _text(event, "AppPackageName"),
        "title": _text(event, "AppTitle"),
        "version_name": _text(demographic, "AppVersion"),
        "version_code": _text(event, "AppVersionCode"),
    }
    return {"app_id": application_id, "sdk": sdk, **_compact(optional)}


def _device(demographic: Mapping[str, Any]) -> dict[str, Any]:
    platform = _compact({"name": _text(demographic, "Platform"), "version": _text(demographic, "PlatformVersion")})
    device: dict[str, Any] = {"platform": platform}
    locale = _text(demographic, "Locale")
    if locale is not None:
        device["locale"] = _locale(locale)
    device.update(_compact({"make": _text(demographic, "Make"), "model": _text(demographic, "Model")}))
    return device


def _locale(code: str) -> dict[str, str]:
    """``en_US`` -> ``{"code": "en_US", "language": "en", "country": "US"}``."""
    parts = [part for part in re.split(r"[_-]", code) if part]
    locale = {"code": code}
    if parts:
        locale["language"] = parts[0]
    if len(parts) > 1:
        locale["country"] = parts[1]
    return locale


def _session(session: object) -> dict[str, Any]:
    if not isinstance(session, Mapping):
        return {}
    return _compact(
        {
            "session_id": session.get("Id"),
            "start_timestamp": to_epoch_ms(session.get("StartTimestamp")),
            "stop_timestamp": to_epoch_ms(session.get("StopTimestamp")),
        }
    )
