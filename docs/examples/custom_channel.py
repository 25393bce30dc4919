"""A built-in custom channel: a signed webhook."""

import aws_cdk as cdk

from pinpoint_constructs import BuiltInChannel, CustomChannel, WebhookOptions


def build(stack: cdk.Stack) -> CustomChannel:
    # other built-ins: BuiltInChannel.CONNECT_VOICE (connect_voice=ConnectVoiceOptions(...)), INAPP_INBOX,
    # CDP_WRITEBACK (cdp_writeback=CdpWriteBackOptions(...)); or handler=<your function or lambda_.Code>
    return CustomChannel(
        stack,
        "Hook",
        built_in=BuiltInChannel.WEBHOOK,
        webhook=WebhookOptions(url="https://webhook.example.com/pinpoint"),
    )
