"""What every built-in campaign hook shares: the key types of its tables, its configuration error, how it
changes an endpoint, and the Lambda entry point that applies it to the Pinpoint FILTER payload.

A hook takes the Pinpoint FILTER payload (:func:`pinpoint_runtime.campaigns.payloads.hook_event`) and answers the
map endpoint id -> endpoint that replaces the batch (:func:`~pinpoint_runtime.campaigns.payloads.parse_hook_response`
is what the runner applies to it). The built-ins are tolerant of endpoints without ``Attributes``, ``User`` or
``Demographic`` (the reference's hooks raised ``KeyError`` there) and of a payload without ``Endpoints``, and raise
on infrastructure errors (DynamoDB, S3 or HTTPS failures): Pinpoint failed a delivery whose hook failed, and the
runner retries the hook (at most 3 attempts within its 15 s budget) instead of sending un-augmented or uncapped
messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinpoint_runtime.campaigns.payloads import user_id_of
from pinpoint_runtime.core.process_state import EnvironmentBuiltEntryPoint

KEY_ENDPOINT_ID = "ENDPOINT_ID"
KEY_USER_ID = "USER_ID"
KEY_TYPES = (KEY_ENDPOINT_ID, KEY_USER_ID)


class HookConfigurationError(ValueError):
    """The hook's settings (environment) are invalid."""


def subject_id(endpoint_id: str, endpoint: Mapping[str, Any], key_type: str) -> str | None:
    """The id a table is keyed by: the endpoint id, or ``User.UserId`` (``None`` when the endpoint has none)."""
    return endpoint_id if key_type == KEY_ENDPOINT_ID else user_id_of(endpoint)


def with_attributes(endpoint: Mapping[str, Any], values: Mapping[str, list[str]]) -> dict[str, Any]:
    """A copy of ``endpoint`` whose ``Attributes`` (created when absent) also hold ``values``."""
    out = dict(endpoint)
    attributes = out.get("Attributes")
    merged = dict(attributes) if isinstance(attributes, Mapping) else {}
    merged.update(values)
    out["Attributes"] = merged
    return out


class HookEntryPoint(EnvironmentBuiltEntryPoint):
    """What a built-in campaign hook's Lambda handler does: build the hook from the environment once per process
    (``current``; ``reset`` for tests that change the environment; its caches live across warm invocations), apply
    it to the FILTER payload (the answer replaces the batch), and log counts only (no addresses, attributes or
    template text) through ``logger`` (the function's Powertools Logger)."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        payload = event if isinstance(event, dict) else {}
        received = len(payload.get("Endpoints") or {})
        result = self.current().apply(payload)
        self.logger.info(
            "Campaign hook done",
            extra={"campaign_id": payload.get("CampaignId"), "endpoints_in": received, "endpoints_out": len(result)},
        )
        return result


def required(environ: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = environ.get(name, default)
    if value is None or value == "":
        raise HookConfigurationError(f"{name} is not set")
    return value


def number(environ: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(environ.get(name) or default)
    except ValueError:
        raise HookConfigurationError(f"{name} must be a number") from None


__all__ = [
    "KEY_ENDPOINT_ID",
    "KEY_TYPES",
    "KEY_USER_ID",
    "HookConfigurationError",
    "HookEntryPoint",
    "subject_id",
    "with_attributes",
]
