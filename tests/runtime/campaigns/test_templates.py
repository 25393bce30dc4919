"""Tests of pinpoint_runtime.campaigns.templates: the renderer's compile and render errors, and the renderer of a
run request."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pinpoint_runtime.campaigns.template_engine import RenderError, TemplateError
from pinpoint_runtime.campaigns.templates import MessageRenderer, renderer_for_request
from tests.support.campaigns import ENDPOINT, put_template, render_body, sms

# --------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{#Attributes.Offer}} open section", "not a valid template"),
        ("{{/Attributes.Offer}}", "not a valid template"),
        ("{{> footer}}", "partials are not supported"),
        ("{{#a}}{{> footer}}{{/a}}", "partials are not supported"),
    ],
)
def test_bad_templates_are_template_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        sms(template)


def test_per_endpoint_render_errors() -> None:
    with pytest.raises(RenderError, match="body is empty"):
        render_body("{{Attributes.Missing}}  ")
    with pytest.raises(RenderError, match="1,600"):
        render_body("{{#Attributes.Colors}}" + "x" * 900 + "{{/Attributes.Colors}}")
    with pytest.raises(RenderError, match="no EmailMessage"):
        sms("hi").render("EMAIL", ENDPOINT)
    with pytest.raises(RenderError, match="unknown channel"):
        sms("hi").render("PUSH", ENDPOINT)
    with pytest.raises(RenderError, match="not an object"):
        sms("hi").render("SMS", ["not", "an", "endpoint"])  # type: ignore[arg-type]
    email = MessageRenderer({"EmailMessage": {"Title": "{{Attributes.Subject}}", "Body": "x"}})
    with pytest.raises(RenderError, match="subject is empty"):
        email.render("EMAIL", ENDPOINT)


def test_error_reasons_never_quote_endpoint_values() -> None:
    endpoint = {"Address": "+12065550100", "Attributes": {"Colors": ["secret-value"]}}
    with pytest.raises(RenderError) as caught:
        render_body("{{#Attributes.Colors}}{{.}}" + "y" * 1600 + "{{/Attributes.Colors}}", endpoint)
    assert "secret-value" not in str(caught.value) and "+12065550100" not in str(caught.value)


def test_campaign_level_configuration_errors() -> None:
    with pytest.raises(TemplateError, match="Title"):
        MessageRenderer({"EmailMessage": {"Body": "x"}})
    with pytest.raises(TemplateError, match="HtmlBody or a Body"):
        MessageRenderer({"EmailMessage": {"Title": "x"}})
    with pytest.raises(TemplateError, match="MessageType"):
        MessageRenderer({"SMSMessage": {"Body": "x", "MessageType": "MARKETING"}})
    with pytest.raises(TemplateError, match="DefaultSubstitutions"):
        sms("x", default_substitutions="{not json")
    with pytest.raises(TemplateError, match="must be a string"):
        MessageRenderer({"SMSMessage": {"Body": ["x"]}})


def test_renderer_for_request_uses_the_run_request(template_bucket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    put_template(template_bucket, "Promo", {"Body": "{{Promo}} for {{User.UserAttributes.FirstName}}"})
    monkeypatch.setenv("CAMPAIGN_TEMPLATE_BUCKET", "templates")
    monkeypatch.setenv("CAMPAIGN_TEMPLATE_PREFIX", "t/")

    request = SimpleNamespace(  # the attributes campaign_runner.CampaignRequest has
        context=SimpleNamespace(message_configuration={"SMSMessage": {"Body": "ignored"}}),
        template_configuration={"SMSTemplate": {"Name": "Promo"}},
        substitutions={"Promo": ["SALE"]},
    )
    assert renderer_for_request(request, s3=template_bucket).render("SMS", ENDPOINT)["Body"] == "SALE for Ana"
