"""Custom channel of ``CustomChannel``: HTTPS POST of per-endpoint records to a CDP with an auth header from
Secrets Manager (:class:`pinpoint_runtime.custom_channels.CdpWriteBack`).

The Pinpoint custom-channel payload in (at most 50 endpoints); the answer is
``{"Results": {endpoint id: {"Status": "SUCCESS" | "FAILURE", "Reason": ...}}}``
(:func:`pinpoint_runtime.campaign_payloads.channel_results`), one result per endpoint. Work stops one second before
the invocation times out; endpoints not attempted by then are failures with that reason. Logs carry counts per
status only (no addresses, data or secrets).

Environment: CDP_URL, AUTH_SECRET_ID, AUTH_SECRET_JSON_FIELD, AUTH_HEADER_NAME, INCLUDE_ADDRESSES,
RETRY_STATUS_CODES, MAX_ATTEMPTS, REQUEST_TIMEOUT_SECONDS, SECRET_CACHE_TTL_SECONDS.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaign_payloads import channel_results
from pinpoint_runtime.custom_channels import cdp_writeback_from_environment, deadline_of, summarize
from pinpoint_runtime.process_state import PerProcess

SERVICE_NAME = "custom-channel-cdp-writeback"
logger = Logger(service=SERVICE_NAME)
# The channel built from the environment once per process (secret cache and rate limiter persist).
current = PerProcess(lambda: cdp_writeback_from_environment(os.environ))
reset = current.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    payload = event if isinstance(event, dict) else {}
    results = current().deliver(payload, deadline=deadline_of(context))
    logger.info(
        "Custom channel done",
        extra={"campaign_id": payload.get("CampaignId") or payload.get("JourneyId"), "results": summarize(results)},
    )
    return channel_results(results)
