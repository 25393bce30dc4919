"""A built-in campaign hook: per-user attributes from a DynamoDB table ({{Attributes.Offer}})."""

import aws_cdk as cdk

from pinpoint_constructs import AttributeLookupOptions, BuiltInHook, CampaignHookAttributes, KeyType


def build(stack: cdk.Stack) -> CampaignHookAttributes:
    # other built-ins: BuiltInHook.EXTERNAL_TEMPLATES (external_templates=ExternalTemplatesOptions(...)),
    # BuiltInHook.FREQUENCY_CAP (frequency_cap=FrequencyCapOptions(...)); or handler=<your function or lambda_.Code>
    return CampaignHookAttributes(
        stack,
        "Offers",
        built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
        attribute_lookup=AttributeLookupOptions(key_type=KeyType.USER_ID),
    )
