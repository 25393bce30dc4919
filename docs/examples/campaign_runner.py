"""The campaign engine over an endpoint store, with a hook, an in-app inbox channel and SMS."""

import aws_cdk as cdk

from pinpoint_constructs import (
    AttributeLookupOptions,
    BuiltInChannel,
    BuiltInHook,
    CampaignHookAttributes,
    CampaignRunner,
    CustomChannel,
    EndpointStore,
    EventStreamToS3,
    KeyType,
    SelfManagedOptOut,
    TwoWaySms,
)


def build(stack: cdk.Stack) -> CampaignRunner:
    lake = EventStreamToS3(stack, "EventLake")
    store = EndpointStore(stack, "Endpoints", event_stream=lake)
    two_way = TwoWaySms(stack, "TwoWaySms")
    opt_out = SelfManagedOptOut(
        stack, "OptOut", two_way=two_way, program_name="Example Co alerts", support_contact="support@example.com"
    )
    lookup = CampaignHookAttributes(
        stack,
        "Offers",
        built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
        attribute_lookup=AttributeLookupOptions(key_type=KeyType.USER_ID),
    )
    inbox = CustomChannel(stack, "Inbox", built_in=BuiltInChannel.INAPP_INBOX)
    return CampaignRunner(
        stack,
        "Campaigns",
        endpoint_store=store,  # runs may target its static segments
        hooks=[lookup],  # called in order for every batch of <= 50 endpoints
        custom_channels={"inbox": inbox},
        two_way=two_way,
        opt_out=opt_out,  # SMS from this identity, may_send checked before each message
        sms_messages_per_second=1,  # the identity's MPS (message parts), never exceeded
        event_stream=lake,  # every outcome becomes a _campaign.send event
    )
