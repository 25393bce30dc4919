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

import enum
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from pinpoint_runtime.campaigns.payloads import user_id_of
from pinpoint_runtime.core.environment import FunctionSettings
from pinpoint_runtime.core.process_state import EnvironmentBuiltEntryPoint

_Settings = TypeVar("_Settings", bound=FunctionSettings)


class HookConfigurationError(ValueError):
    """The hook's settings (environment) are invalid."""


class KeyType(enum.StrEnum):
    """What a built-in's table is keyed by: the endpoint id, or the endpoint's ``User.UserId`` (the hooks' lookup
    and counter tables, and the in-app inbox channel)."""

    ENDPOINT_ID = "ENDPOINT_ID"
    USER_ID = "USER_ID"


def key_type_of(value: str) -> KeyType:
    """``value`` as a :class:`KeyType` (:class:`HookConfigurationError` when it is none)."""
    try:
        return KeyType(value)
    except ValueError:
        raise HookConfigurationError(f"key_type must be one of {tuple(k.value for k in KeyType)}") from None


class Hook(Protocol):
    """A campaign hook: the FILTER payload in, the endpoints that replace the batch out."""

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]: ...


def subject_id(endpoint_id: str, endpoint: Mapping[str, Any], key_type: KeyType) -> str | None:
    """The id a table is keyed by: the endpoint id, or ``User.UserId`` (``None`` when the endpoint has none)."""
    return endpoint_id if key_type == KeyType.ENDPOINT_ID else user_id_of(endpoint)


def with_attributes(endpoint: Mapping[str, Any], values: Mapping[str, list[str]]) -> dict[str, Any]:
    """A copy of ``endpoint`` whose ``Attributes`` (created when absent) also hold ``values``."""
    out = dict(endpoint)
    attributes = out.get("Attributes")
    merged = dict(attributes) if isinstance(attributes, Mapping) else {}
    merged.update(values)
    out["Attributes"] = merged
    return out


class HookEntryPoint(EnvironmentBuiltEntryPoint):
    """What a built-in campaign hook's Lambda handler does: build the hook from its settings (``settings`` read
    with ``from_environment``, then ``build``) once per process (``current``; ``reset`` for tests that change the
    environment; its caches live across warm invocations), apply it to the FILTER payload (the answer replaces the
    batch), and log counts only (no addresses, attributes or template text) through ``logger`` (the function's
    Powertools Logger)."""

    def __init__(self, settings: type[_Settings], build: Callable[[_Settings], Hook], logger: Any) -> None:
        super().__init__(lambda environ: build(settings.from_environment(environ)), logger)

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        payload = event if isinstance(event, dict) else {}
        received = len(payload.get("Endpoints") or {})
        result = self.current().apply(payload)
        self.logger.info(
            "Campaign hook done",
            extra={"campaign_id": payload.get("CampaignId"), "endpoints_in": received, "endpoints_out": len(result)},
        )
        return result


__all__ = [
    "Hook",
    "HookConfigurationError",
    "HookEntryPoint",
    "KeyType",
    "key_type_of",
    "subject_id",
    "with_attributes",
]
