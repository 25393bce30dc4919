"""pinpoint_runtime.campaigns.steps.settings: what the construct writes is what the steps read."""

from __future__ import annotations

import pytest

from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.core.environment import SettingsError


def test_runner_settings_round_trip_with_compact_json_as_the_construct_wrote_it() -> None:
    settings = RunnerSettings(work_bucket="w", page_size=300, hooks=("arn:h1", "arn:h2"), channels={"inbox": "arn:c"})
    environment = settings.to_environment()
    assert environment == {
        "CAMPAIGN_WORK_BUCKET": "w",
        "CAMPAIGN_WORK_PREFIX": "campaign-work/",
        "CAMPAIGN_RESULTS_PREFIX": "campaign-results/",
        "CAMPAIGN_PAGE_SIZE": "300",
        "CAMPAIGN_HOOK_FUNCTIONS": '["arn:h1","arn:h2"]',
        "CAMPAIGN_CUSTOM_CHANNELS": '{"inbox":"arn:c"}',
    }
    assert RunnerSettings.from_environment(environment) == settings
    planner = RunnerSettings.from_environment({"CAMPAIGN_WORK_BUCKET": "w"})
    assert planner.hooks is None and planner.channels is None and planner.page_size == 1000
    assert planner.work_key("run", "manifest.json") == "campaign-work/run/manifest.json"
    assert planner.results_key("run", "summary.json") == "campaign-results/run/summary.json"


def test_the_work_bucket_is_required() -> None:
    with pytest.raises(SettingsError, match="CAMPAIGN_WORK_BUCKET is not set"):
        RunnerSettings.from_environment({})
