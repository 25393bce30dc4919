"""Campaign hook (FILTER) of ``CampaignHookAttributes``: puts an external template's ``subject``/``html``/``body``
as endpoint attributes (:class:`pinpoint_runtime.campaign_hooks.ExternalTemplates`), cached per process.

The Pinpoint FILTER payload in (at most 50 endpoints), the map endpoint id -> endpoint out (it replaces the
batch). Infrastructure errors raise, so the runner retries the hook (at most 3 attempts, 15 s budget) rather than
sending un-processed endpoints. Logs carry counts only (no addresses, attributes or template text).

Environment: TEMPLATE_BUCKET + TEMPLATE_PREFIX or TEMPLATE_BASE_URL, TEMPLATE_KEY_PATTERN, TEMPLATE_CACHE_TTL_SECONDS,
TEMPLATE_MAX_BYTES, TEMPLATE_ON_MISSING, TEMPLATE_HTTP_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaign_hooks import external_templates_from_environment
from pinpoint_runtime.process_state import PerProcess

SERVICE_NAME = "campaign-hook-external-templates"
logger = Logger(service=SERVICE_NAME)
# The hook built from the environment once per process (its caches live across warm invocations).
current = PerProcess(lambda: external_templates_from_environment(os.environ))
reset = current.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    received = len(event.get("Endpoints") or {}) if isinstance(event, dict) else 0
    result = current().apply(event if isinstance(event, dict) else {})
    logger.info(
        "Campaign hook done",
        extra={"campaign_id": (event or {}).get("CampaignId"), "endpoints_in": received, "endpoints_out": len(result)},
    )
    return result
