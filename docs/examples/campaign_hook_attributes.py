"""A built-in campaign hook: per-user attributes from a DynamoDB table ({{Attributes.Offer}})."""

import aws_cdk as cdk

from pinpoint_constructs import CampaignHookAttributes


def build(stack: cdk.Stack) -> CampaignHookAttributes:
    # other built-ins: "EXTERNAL_TEMPLATES", "FREQUENCY_CAP"; or handler=<your function or lambda_.Code>
    return CampaignHookAttributes(stack, "Offers", built_in="ATTRIBUTE_LOOKUP", key_type="USER_ID")
