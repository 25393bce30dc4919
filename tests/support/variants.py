"""The prop variants of the construct tests, each a function that builds it in a stack: the template checks and
the settings contract test synthesize all of them (with the sample app's stacks)."""

from __future__ import annotations

from tests.constructs.test_adobe_sms_bridge_construct import VARIANTS as ADOBE_VARIANTS
from tests.constructs.test_campaign_hook_channel_constructs import VARIANTS as CAMPAIGN_PART_VARIANTS
from tests.constructs.test_campaign_runner_construct import VARIANTS as CAMPAIGN_VARIANTS
from tests.constructs.test_event_stream_to_s3 import VARIANTS as LAKE_VARIANTS
from tests.constructs.test_s3_triggered_import_construct import VARIANTS as IMPORT_VARIANTS
from tests.constructs.test_two_way_sms_constructs import VARIANTS as SMS_VARIANTS

VARIANTS = {
    **{f"Lake{k}": v for k, v in LAKE_VARIANTS.items()},
    **{f"Sms{k}": v for k, v in SMS_VARIANTS.items()},
    **{f"Import{k}": v for k, v in IMPORT_VARIANTS.items()},
    **{f"Campaign{k}": v for k, v in CAMPAIGN_VARIANTS.items()},
    **{f"CampaignPart{k}": v for k, v in CAMPAIGN_PART_VARIANTS.items()},
    **{f"Adobe{k}": v for k, v in ADOBE_VARIANTS.items()},
}
