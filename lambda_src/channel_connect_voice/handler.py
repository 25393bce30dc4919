"""Custom channel of ``CustomChannel``: an Amazon Connect outbound call per phone endpoint, with a ClientToken per
campaign/treatment/endpoint so retries never call twice
(:class:`pinpoint_runtime.campaigns.channels.connect_voice.ConnectVoiceChannel`).

The Pinpoint custom-channel payload in (at most 50 endpoints); the answer is
``{"Results": {endpoint id: {"Status": "SUCCESS" | "FAILURE", "Reason": ...}}}``
(:func:`pinpoint_runtime.campaigns.payloads.channel_results`), one result per endpoint. Work stops one second before
the invocation times out; endpoints not attempted by then are failures with that reason. Logs carry counts per
status only (no addresses, data or secrets).

Settings: :class:`pinpoint_runtime.campaigns.channels.connect_voice.ConnectVoiceSettings`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.channels.connect_voice import ConnectVoiceChannel, ConnectVoiceSettings
from pinpoint_runtime.campaigns.channels.contract import ChannelEntryPoint

SETTINGS = (ConnectVoiceSettings,)
SERVICE_NAME = "custom-channel-connect-voice"
logger = Logger(service=SERVICE_NAME)
entry_point = ChannelEntryPoint(ConnectVoiceSettings, ConnectVoiceChannel.from_settings, logger)
current, reset = entry_point.current, entry_point.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return entry_point(event, context)
