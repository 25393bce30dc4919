"""pinpoint_runtime.campaigns.delivery_settings: a CampaignDelivery configured from the environment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinpoint_runtime.campaigns.delivery_settings import DeliverySettings, delivery_from_environment
from tests.support.campaigns import FROM, LEDGER, REGISTRY
from tests.support.sms_voice_fake import FakeSmsVoiceV2


def test_delivery_from_environment(aws: dict[str, Any]) -> None:
    env = {
        "CAMPAIGN_LEDGER_TABLE": LEDGER,
        "CAMPAIGN_LEDGER_TTL_DAYS": "7",
        "CAMPAIGN_SMS_MPS": "2.5",
        "CAMPAIGN_SMS_IDENTITY_RATES": json.dumps({"+18005550100": 3}),
        "CAMPAIGN_SMS_ORIGINATION_IDENTITY": "+12065550100",
        "CAMPAIGN_SMS_CONFIGURATION_SET": "sms-set",
        "OPT_OUT_REGISTRY_TABLE": REGISTRY,
        "CAMPAIGN_EMAIL_RATE": "14",
        "CAMPAIGN_EMAIL_CONFIGURATION_SET": "email-set",
        "CAMPAIGN_EMAIL_IDENTITY": FROM,
        "CAMPAIGN_DELIVERY_WORKERS": "2",
    }
    fake = FakeSmsVoiceV2()
    delivery = delivery_from_environment(
        dynamodb_client=aws["dynamodb"], sms_client=fake, ses_client=aws["sesv2"], environ=env
    )
    assert delivery.ledger.table_name == LEDGER and delivery.ledger.ttl_seconds == 7 * 86400
    assert delivery.sms_sender.parts_per_second == 2.5 and delivery.sms_sender.identity_rates == {"+18005550100": 3.0}
    assert delivery.sms_sender.sender.origination_identity == "+12065550100"
    assert delivery.sms_sender.sender.configuration_set_name == "sms-set"
    assert delivery.opt_out_registry.table_name == REGISTRY
    assert delivery.email_messages_per_second == 14.0 and delivery.email_configuration_set == "email-set"
    assert delivery.default_from_address == FROM and delivery.max_workers == 2 and delivery.event_writer is None
    domain = delivery_from_environment(
        dynamodb_client=aws["dynamodb"],
        sms_client=fake,
        ses_client=aws["sesv2"],
        environ={"CAMPAIGN_LEDGER_TABLE": LEDGER, "CAMPAIGN_EMAIL_IDENTITY": "example.com"},
    )
    assert domain.default_from_address is None and domain.opt_out_registry is None
    with pytest.raises(ValueError, match="CAMPAIGN_LEDGER_TABLE"):
        delivery_from_environment(environ={})
    with pytest.raises(ValueError, match="CAMPAIGN_SMS_MPS"):
        delivery_from_environment(
            dynamodb_client=aws["dynamodb"],
            sms_client=fake,
            ses_client=aws["sesv2"],
            environ={"CAMPAIGN_LEDGER_TABLE": LEDGER, "CAMPAIGN_SMS_MPS": "fast"},
        )
    with pytest.raises(ValueError, match="CAMPAIGN_SMS_IDENTITY_RATES"):
        delivery_from_environment(
            dynamodb_client=aws["dynamodb"],
            sms_client=fake,
            ses_client=aws["sesv2"],
            environ={"CAMPAIGN_LEDGER_TABLE": LEDGER, "CAMPAIGN_SMS_IDENTITY_RATES": "[1]"},
        )


def test_rates_are_written_as_the_construct_always_wrote_them() -> None:
    assert DeliverySettings(sms_messages_per_second=1 / 3, email_messages_per_second=1.0).to_environment() == {
        "CAMPAIGN_SMS_MPS": "0.333333",
        "CAMPAIGN_EMAIL_RATE": "1",
    }
    with pytest.raises(ValueError, match="CAMPAIGN_EMAIL_RATE must be a positive number"):
        DeliverySettings(email_messages_per_second=0)
    assert DeliverySettings(email_identity="news@example.com").default_from_address == "news@example.com"
    assert DeliverySettings(email_identity="example.com").default_from_address is None
