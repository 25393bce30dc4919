"""Built-in custom channels with Pinpoint's custom-channel contract.

One module per built-in (:mod:`.webhook`, :mod:`.connect_voice`, :mod:`.inapp_inbox`, :mod:`.cdp_writeback`);
what they share is :mod:`.contract` (results, configuration error, the Lambda entry point), :mod:`.https_delivery`
(the HTTPS channels' POST and response policy) and :mod:`.secret_reader` (secrets from Secrets Manager).
"""

from pinpoint_runtime.campaigns.channels.cdp_writeback import CdpWriteBack, CdpWriteBackSettings
from pinpoint_runtime.campaigns.channels.connect_voice import ConnectVoiceChannel, ConnectVoiceSettings
from pinpoint_runtime.campaigns.channels.contract import ChannelConfigurationError, ChannelEntryPoint
from pinpoint_runtime.campaigns.channels.inapp_inbox import InAppInbox, InAppInboxSettings
from pinpoint_runtime.campaigns.channels.secret_reader import SecretReader
from pinpoint_runtime.campaigns.channels.webhook import WebhookChannel, WebhookSettings

__all__ = [
    "CdpWriteBack",
    "CdpWriteBackSettings",
    "ChannelConfigurationError",
    "ChannelEntryPoint",
    "ConnectVoiceChannel",
    "ConnectVoiceSettings",
    "InAppInbox",
    "InAppInboxSettings",
    "SecretReader",
    "WebhookChannel",
    "WebhookSettings",
]
