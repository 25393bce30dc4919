"""What every built-in custom channel shares: its result type, its configuration error, the campaign ids of a
payload, and the Lambda entry point that delivers the Pinpoint custom-channel payload.

Every channel takes the Pinpoint custom-channel payload (:func:`pinpoint_runtime.campaigns.payloads.
custom_channel_event`: ``Data``, the campaign ids and up to 50 ``Endpoints``) and returns per-endpoint
``(status, reason)`` results; the handlers answer them as :func:`~pinpoint_runtime.campaigns.payloads.
channel_results` so that the runner records exactly one outcome per endpoint. One endpoint's failure never aborts
the others (the reference's Connect channel stopped at the first error). Addresses, message data and secrets are
never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from pinpoint_runtime.campaigns.payloads import channel_results, endpoints_of
from pinpoint_runtime.core.environment import FunctionSettings
from pinpoint_runtime.core.process_state import EnvironmentBuiltEntryPoint

Results = dict[str, tuple[str, str | None]]
"""Endpoint id -> ``(status, reason)``: what a channel's ``deliver`` returns."""

_Settings = TypeVar("_Settings", bound=FunctionSettings)


class Channel(Protocol):
    """A custom channel: the custom-channel payload in, one result per endpoint out."""

    def deliver(self, event: Mapping[str, Any], *, deadline: float | None = None) -> Results: ...


class ChannelConfigurationError(ValueError):
    """The channel's settings (environment) are invalid."""


def campaign_id_of(event: Mapping[str, Any]) -> str:
    """``CampaignId`` (or ``JourneyId``, which journey custom activities were reported to send instead)."""
    return str(event.get("CampaignId") or event.get("JourneyId") or "")


def all_endpoints(event: Mapping[str, Any], status: str, reason: str | None = None) -> Results:
    return dict.fromkeys(endpoints_of(event), (status, reason))


def deadline_of(
    context: Any,
    *,
    reserve_seconds: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> float | None:
    """A ``clock`` value ``reserve_seconds`` before the Lambda invocation times out (``None`` without a context)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return clock() + max(0.0, remaining() / 1000.0 - reserve_seconds)


def summarize(results: Results) -> dict[str, int]:
    """Counts per status, for logs (never addresses)."""
    counts: dict[str, int] = {}
    for status, _ in results.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


class ChannelEntryPoint(EnvironmentBuiltEntryPoint):
    """What a built-in custom channel's Lambda handler does: build the channel from its settings (``settings``
    read with ``from_environment``, then ``build``) once per process (``current``; ``reset`` for tests that change
    the environment), deliver the Pinpoint custom-channel payload until one second before the invocation times out,
    answer :func:`channel_results`, and log counts per status only (never addresses, data or secrets) through
    ``logger`` (the function's Powertools Logger)."""

    def __init__(self, settings: type[_Settings], build: Callable[[_Settings], Channel], logger: Any) -> None:
        super().__init__(lambda environ: build(settings.from_environment(environ)), logger)

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        payload = event if isinstance(event, dict) else {}
        results = self.current().deliver(payload, deadline=deadline_of(context))
        self.logger.info(
            "Custom channel done",
            extra={"campaign_id": payload.get("CampaignId") or payload.get("JourneyId"), "results": summarize(results)},
        )
        return channel_results(results)


__all__ = [
    "Channel",
    "ChannelConfigurationError",
    "ChannelEntryPoint",
    "Results",
    "all_endpoints",
    "campaign_id_of",
    "deadline_of",
    "summarize",
]
