"""Adobe Journey Optimizer custom actions -> SMS from a two-way number, opt-outs checked."""

import aws_cdk as cdk

from pinpoint_constructs import AdobeSmsBridge, EventStreamToS3, SelfManagedOptOut, TwoWaySms


def build(stack: cdk.Stack) -> AdobeSmsBridge:
    lake = EventStreamToS3(stack, "EventLake")
    sms = TwoWaySms(stack, "TwoWaySms", event_stream=lake)
    opt_out = SelfManagedOptOut(
        stack, "OptOut", two_way=sms, program_name="Example Co alerts", support_contact="support@example.com"
    )
    # queue + rate-limited consumer; or e.g. origination_identity="pool-...",
    # sending=BridgeSendingOptions(delivery=DeliveryMode.INLINE), api=BridgeApiOptions(web_acl_arn=...)
    return AdobeSmsBridge(stack, "Adobe", two_way=sms, opt_out=opt_out, event_stream=lake)
