"""pinpoint_runtime.campaigns.request: a bad run request names the field."""

from __future__ import annotations

from typing import Any

import pytest

from pinpoint_runtime.campaigns.request import CampaignRequest, CampaignRequestError

MESSAGE = {
    "SMSMessage": {"Body": "Hi {{User.UserAttributes.FirstName}}", "MessageType": "PROMOTIONAL"},
    "EmailMessage": {"Title": "Offer", "HtmlBody": "<p>Hi</p>", "FromAddress": "news@example.com"},
    "CustomMessage": {"Data": '{"kind": "inbox"}'},
}


def request(**overrides: Any) -> dict[str, Any]:
    return {
        "application_id": "app",
        "campaign_id": "camp1",
        "treatment_id": "0",
        "message_configuration": MESSAGE,
        "segment": {"segment_id": "seg"},
        **overrides,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "JSON object"),
        (request(application_id=""), "application_id"),
        (request(campaign_id="a b"), "campaign_id"),
        (request(message_configuration={"Foo": {}}), "message_configuration"),
        (request(segment={}), "segment"),
        (request(segment={"s3_url": "https://x"}), "s3_url"),
        (request(substitutions={"a": "b"}), "substitutions"),
        (request(custom_endpoint_types="CUSTOM"), "custom_endpoint_types"),
    ],
)
def test_a_bad_request_names_the_field(data, field):
    with pytest.raises(CampaignRequestError, match=field):
        CampaignRequest.parse(data)
