"""The settings every step of a campaign run reads: where the run's work (pages, outcomes, counts) and results
(``summary.json``) are kept, and the page size."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_WORK_BUCKET = "CAMPAIGN_WORK_BUCKET"
ENV_WORK_PREFIX = "CAMPAIGN_WORK_PREFIX"
ENV_RESULTS_PREFIX = "CAMPAIGN_RESULTS_PREFIX"
ENV_HOOKS = "CAMPAIGN_HOOK_FUNCTIONS"  # JSON list of function ARNs, called in order
ENV_CHANNELS = "CAMPAIGN_CUSTOM_CHANNELS"  # JSON object channel name -> function ARN
ENV_PAGE_SIZE = "CAMPAIGN_PAGE_SIZE"

DEFAULT_PAGE_SIZE = 1000


@dataclass(frozen=True)
class RunnerSettings:
    work_bucket: str
    work_prefix: str = "campaign-work/"
    results_prefix: str = "campaign-results/"
    hooks: tuple[str, ...] = ()
    channels: Mapping[str, str] | None = None
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RunnerSettings:
        env = os.environ if environ is None else environ
        bucket = env.get(ENV_WORK_BUCKET)
        if not bucket:
            raise RuntimeError(f"{ENV_WORK_BUCKET} is not set (the CampaignRunner construct sets it)")
        return cls(
            work_bucket=bucket,
            work_prefix=env.get(ENV_WORK_PREFIX, "campaign-work/"),
            results_prefix=env.get(ENV_RESULTS_PREFIX, "campaign-results/"),
            hooks=tuple(json.loads(env.get(ENV_HOOKS) or "[]")),
            channels=dict(json.loads(env.get(ENV_CHANNELS) or "{}")),
            page_size=int(env.get(ENV_PAGE_SIZE) or DEFAULT_PAGE_SIZE),
        )

    def work_key(self, run_id: str, name: str) -> str:
        return f"{self.work_prefix}{run_id}/{name}"

    def results_key(self, run_id: str, name: str) -> str:
        return f"{self.results_prefix}{run_id}/{name}"


__all__ = ["DEFAULT_PAGE_SIZE", "RunnerSettings"]
