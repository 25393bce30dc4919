"""Pinpoint-shaped records (sources ``app`` and ``library``): passed through, gaps filled, maps coerced."""

from __future__ import annotations

from typing import Any

from pinpoint_runtime.events.event_types import EVENT_VERSION, LIBRARY_SDK_NAME, Source
from pinpoint_runtime.events.record_values import RecordContext, float_metrics, is_name, string_map, take_dict

_STRUCT_FIELDS = ("application", "client", "device", "session", "client_context", "facets")


def from_pinpoint(data: dict[str, Any], context: RecordContext) -> tuple[Source, dict[str, Any]]:
    """Pass a Pinpoint-shaped record through, filling gaps and coercing maps to the Glue types."""
    record = data  # already a private copy made by _parse
    invalid: dict[str, str] = {}
    for field in _STRUCT_FIELDS:
        take_dict(record, field, invalid, field)
    attributes = take_dict(record, "attributes", invalid, "attributes") or {}
    metrics = take_dict(record, "metrics", invalid, "metrics") or {}
    record["attributes"] = string_map(attributes)
    record["metrics"], dropped = float_metrics(metrics)
    application = _pinpoint_application(record.get("application"), context, invalid)
    record["application"] = application
    _coerce_client_context(record, invalid)
    record["attributes"].update(invalid)
    if dropped:
        record["attributes"]["dropped_metrics"] = ",".join(dropped)
    _fill_missing(record, "arrival_timestamp", context.arrival_timestamp_ms)
    _fill_missing(record, "event_version", EVENT_VERSION)
    _fill_missing(record, "awsAccountId", context.account_id)
    source = Source.LIBRARY if application["sdk"].get("name") == LIBRARY_SDK_NAME else Source.APP
    return source, record


def _pinpoint_application(value: dict[str, Any] | None, context: RecordContext, invalid: dict[str, str]) -> dict:
    application = dict(value or {})
    if not is_name(application.get("app_id")):
        application["app_id"] = context.application_id
    sdk = take_dict(application, "sdk", invalid, "application_sdk") or {}
    application["sdk"] = string_map(sdk)
    return application


def _coerce_client_context(record: dict[str, Any], invalid: dict[str, str]) -> None:
    client_context = record.get("client_context")
    if not isinstance(client_context, dict):
        return
    custom = take_dict(client_context, "custom", invalid, "client_context_custom")
    if custom is not None:
        client_context["custom"] = string_map(custom)


def _fill_missing(record: dict[str, Any], key: str, value: object) -> None:
    if record.get(key) is None:
        record[key] = value
