"""A built-in custom channel: a signed webhook."""

import aws_cdk as cdk

from pinpoint_constructs import CustomChannel


def build(stack: cdk.Stack) -> CustomChannel:
    # other built-ins: "CONNECT_VOICE", "INAPP_INBOX", "CDP_WRITEBACK"; or handler=<your function or lambda_.Code>
    return CustomChannel(stack, "Hook", built_in="WEBHOOK", webhook_url="https://webhook.example.com/pinpoint")
