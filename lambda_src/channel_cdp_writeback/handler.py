"""Custom channel of ``CustomChannel``: HTTPS POST of per-endpoint records to a CDP with an auth header from
Secrets Manager (:class:`pinpoint_runtime.campaigns.channels.cdp_writeback.CdpWriteBack`).

The Pinpoint custom-channel payload in (at most 50 endpoints); the answer is
``{"Results": {endpoint id: {"Status": "SUCCESS" | "FAILURE", "Reason": ...}}}``
(:func:`pinpoint_runtime.campaigns.payloads.channel_results`), one result per endpoint. Work stops one second before
the invocation times out; endpoints not attempted by then are failures with that reason. Logs carry counts per
status only (no addresses, data or secrets).

Settings: :class:`pinpoint_runtime.campaigns.channels.cdp_writeback.CdpWriteBackSettings`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.channels.cdp_writeback import CdpWriteBack, CdpWriteBackSettings
from pinpoint_runtime.campaigns.channels.contract import ChannelEntryPoint

SETTINGS = (CdpWriteBackSettings,)
SERVICE_NAME = "custom-channel-cdp-writeback"
logger = Logger(service=SERVICE_NAME)
entry_point = ChannelEntryPoint(CdpWriteBackSettings, CdpWriteBack.from_settings, logger)
current, reset = entry_point.current, entry_point.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return entry_point(event, context)
