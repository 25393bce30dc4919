"""Campaign hook (FILTER) of ``CampaignHookAttributes``: drops endpoints messaged ``CAP_MAX_MESSAGES`` times in
the trailing window (:class:`pinpoint_runtime.campaign_hooks.FrequencyCap`, whose docstring gives the semantics).

The Pinpoint FILTER payload in (at most 50 endpoints), the map endpoint id -> endpoint out (it replaces the
batch). Infrastructure errors raise, so the runner retries the hook (at most 3 attempts, 15 s budget) rather than
sending un-processed endpoints. Logs carry counts only (no addresses, attributes or template text).

Environment: CAP_TABLE_NAME, CAP_MAX_MESSAGES, CAP_WINDOW_SECONDS, CAP_KEY_TYPE, CAP_PARTITION_KEY.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaign_hooks import frequency_cap_from_environment
from pinpoint_runtime.process_state import PerProcess

SERVICE_NAME = "campaign-hook-frequency-cap"
logger = Logger(service=SERVICE_NAME)
# The hook built from the environment once per process (its caches live across warm invocations).
current = PerProcess(lambda: frequency_cap_from_environment(os.environ))
reset = current.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    received = len(event.get("Endpoints") or {}) if isinstance(event, dict) else 0
    result = current().apply(event if isinstance(event, dict) else {})
    logger.info(
        "Campaign hook done",
        extra={"campaign_id": (event or {}).get("CampaignId"), "endpoints_in": received, "endpoints_out": len(result)},
    )
    return result
