"""Custom channel of ``CustomChannel``: an Amazon Connect outbound call per phone endpoint, with a ClientToken per
campaign/treatment/endpoint so retries never call twice
(:class:`pinpoint_runtime.campaigns.channels.connect_voice.ConnectVoiceChannel`).

The Pinpoint custom-channel payload in (at most 50 endpoints); the answer is
``{"Results": {endpoint id: {"Status": "SUCCESS" | "FAILURE", "Reason": ...}}}``
(:func:`pinpoint_runtime.campaigns.payloads.channel_results`), one result per endpoint. Work stops one second before
the invocation times out; endpoints not attempted by then are failures with that reason. Logs carry counts per
status only (no addresses, data or secrets).

Environment: CONNECT_INSTANCE_ID, CONNECT_CONTACT_FLOW_ID, CONNECT_SOURCE_PHONE_NUMBER, CONNECT_QUEUE_ID,
CALLS_PER_SECOND, MAX_ATTEMPTS.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from pinpoint_runtime.campaigns.channels.connect_voice import connect_voice_from_environment
from pinpoint_runtime.campaigns.channels.contract import ChannelEntryPoint

SERVICE_NAME = "custom-channel-connect-voice"
logger = Logger(service=SERVICE_NAME)
entry_point = ChannelEntryPoint(connect_voice_from_environment, logger)
current, reset = entry_point.current, entry_point.reset  # tests change the environment between cases


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return entry_point(event, context)
