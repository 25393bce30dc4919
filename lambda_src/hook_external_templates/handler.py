"""Campaign hook (FILTER) of ``CampaignHookAttributes``: puts an external template's ``subject``/``html``/``body``
as endpoint attributes (:class:`pinpoint_runtime.campaigns.hooks.external_templates.ExternalTemplates`), cached per
process.

The Pinpoint FILTER payload in (at most 50 endpoints), the map endpoint id -> endpoint out (it replaces the
batch). Infrastructure errors raise, so the runner retries the hook (at most 3 attempts, 15 s budget) rather than
sending un-processed endpoints. Logs carry counts only (no addresses, attributes or template text).

Settings: :class:`pinpoint_runtime.campaigns.hooks.external_templates.ExternalTemplatesSettings`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.hooks.contract import HookEntryPoint
from pinpoint_runtime.campaigns.hooks.external_templates import ExternalTemplates, ExternalTemplatesSettings

SETTINGS = (ExternalTemplatesSettings,)
SERVICE_NAME = "campaign-hook-external-templates"
logger = Logger(service=SERVICE_NAME)
entry_point = HookEntryPoint(ExternalTemplatesSettings, ExternalTemplates.from_settings, logger)
current, reset = entry_point.current, entry_point.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return entry_point(event, context)
