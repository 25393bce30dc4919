"""Self-managed opt-outs with CTIA-style keyword replies on a two-way number."""

import aws_cdk as cdk

from pinpoint_constructs import SelfManagedOptOut, TwoWaySms


def build(stack: cdk.Stack) -> SelfManagedOptOut:
    sms = TwoWaySms(stack, "TwoWaySms")
    return SelfManagedOptOut(
        stack,
        "OptOut",
        two_way=sms,
        program_name="Example Co alerts",
        support_contact="support@example.com",
        message_frequency="Up to 4 msgs/month",
    )
