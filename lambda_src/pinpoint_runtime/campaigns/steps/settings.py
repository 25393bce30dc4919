"""The settings every step of a campaign run reads (:class:`RunnerSettings`, written by the ``CampaignRunner``
construct on its planner, page sender and reporter): where the run's work (pages, outcomes, counts) and results
(``summary.json``) are kept, the page size, and for the page sender the hooks and custom channels it calls."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.core.environment import JSON_LIST, JSON_OBJECT, Codec, FunctionSettings, variable

DEFAULT_PAGE_SIZE = 1000


def _compact_json(value: Any) -> str:
    """JSON without spaces, as the construct's ``Stack.to_json_string`` writes it (so templates do not change)."""
    return json.dumps(value, separators=(",", ":"))


_FUNCTION_LIST = Codec(
    encode=lambda value: _compact_json(list(value)), decode=lambda text: tuple(JSON_LIST.decode(text))
)
_FUNCTION_MAP = Codec(encode=lambda value: _compact_json(dict(value)), decode=JSON_OBJECT.decode)


@dataclass(frozen=True, kw_only=True)
class RunnerSettings(FunctionSettings):
    """What the campaign workflow's functions read."""

    construct: ClassVar[str] = "CampaignRunner"
    work_bucket: str = variable("CAMPAIGN_WORK_BUCKET", doc="the work bucket (pages, outcomes, summaries)")
    work_prefix: str = variable(
        "CAMPAIGN_WORK_PREFIX", default="campaign-work/", empty_is_unset=False, doc="key prefix of a run's work"
    )
    results_prefix: str = variable(
        "CAMPAIGN_RESULTS_PREFIX",
        default="campaign-results/",
        empty_is_unset=False,
        doc="key prefix of a run's summary.json",
    )
    page_size: int = variable("CAMPAIGN_PAGE_SIZE", default=DEFAULT_PAGE_SIZE, doc="endpoints per page")
    hooks: tuple[str, ...] | None = variable(
        "CAMPAIGN_HOOK_FUNCTIONS",
        default=None,
        codec=_FUNCTION_LIST,
        doc="the page sender's campaign hooks: JSON list of function ARNs, called in order",
    )
    channels: Mapping[str, str] | None = variable(
        "CAMPAIGN_CUSTOM_CHANNELS",
        default=None,
        codec=_FUNCTION_MAP,
        doc="the page sender's custom channels: JSON object channel name -> function ARN",
    )

    def work_key(self, run_id: str, name: str) -> str:
        return f"{self.work_prefix}{run_id}/{name}"

    def results_key(self, run_id: str, name: str) -> str:
        return f"{self.results_prefix}{run_id}/{name}"


__all__ = ["DEFAULT_PAGE_SIZE", "RunnerSettings"]
