"""Tests of pinpoint_runtime.campaigns.template_store: template references resolved from S3 (moto), cached, and
their errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinpoint_runtime.campaigns.template_engine import TemplateError
from pinpoint_runtime.campaigns.template_store import load_template
from pinpoint_runtime.campaigns.templates import MessageRenderer
from tests.support.campaigns import ENDPOINT, put_template


def test_template_references_resolve_from_s3_and_are_cached(template_bucket: Any) -> None:
    s3 = template_bucket
    put_template(
        s3,
        "Welcome",
        {
            "SMSTemplateResponse": {
                "TemplateName": "Welcome",
                "TemplateType": "SMS",
                "Version": "2",
                "Body": "Welcome {{User.UserAttributes.FirstName}}, {{Attributes.Perk}}",
                "DefaultSubstitutions": json.dumps({"Attributes.Perk": "enjoy"}),
            }
        },
    )
    put_template(
        s3,
        "News",
        {
            "TemplateName": "News",
            "Subject": "News for {{User.UserAttributes.FirstName}}",
            "HtmlPart": "<h1>{{Attributes.Offer}}</h1>",
            "TextPart": "{{Attributes.Offer}}",
        },
    )
    renderer = MessageRenderer.from_templates(
        {
            "SMSMessage": {"MessageType": "TRANSACTIONAL", "OriginationNumber": "+18005550100"},
            "EmailMessage": {"FromAddress": "news@example.com"},
        },
        {"SMSTemplate": {"Name": "Welcome", "Version": "2"}, "EmailTemplate": {"Name": "News"}},
        bucket="templates",
        prefix="t/",
        client=s3,
    )
    assert renderer.render("SMS", ENDPOINT) == {
        "Body": "Welcome Ana, enjoy",
        "MessageType": "TRANSACTIONAL",
        "OriginationNumber": "+18005550100",
    }
    assert renderer.render("EMAIL", ENDPOINT) == {
        "Subject": "News for Ana",
        "HtmlBody": "<h1>20% off</h1>",
        "TextBody": "20% off",
        "FromAddress": "news@example.com",
    }
    s3.delete_object(Bucket="templates", Key="t/Welcome.json")  # served from the process cache from now on
    again = load_template("SMS", {"Name": "Welcome", "Version": "2"}, bucket="templates", prefix="t/", client=s3)
    assert again["Body"].startswith("Welcome")
    with pytest.raises(TemplateError, match="could not be read"):
        load_template("SMS", {"Name": "Welcome"}, bucket="templates", prefix="t/", client=s3, cache=False)


def test_template_reference_errors(template_bucket: Any) -> None:
    s3 = template_bucket
    put_template(s3, "V1", {"Body": "x", "Version": "1"})
    put_template(s3, "NoBody", {"DefaultSubstitutions": "{}"})
    s3.put_object(Bucket="templates", Key="t/Broken.json", Body=b"{nope")
    kwargs = {"bucket": "templates", "prefix": "t/", "client": s3}
    with pytest.raises(TemplateError, match="version '1', not the referenced '3'"):
        load_template("SMS", {"Name": "V1", "Version": 3}, **kwargs)
    with pytest.raises(TemplateError, match="no Body"):
        load_template("SMS", {"Name": "NoBody"}, **kwargs)
    with pytest.raises(TemplateError, match="not JSON"):
        load_template("SMS", {"Name": "Broken"}, **kwargs)
    with pytest.raises(TemplateError, match="Name"):
        load_template("SMS", {"Name": "../etc/passwd"}, **kwargs)
    with pytest.raises(TemplateError, match="SMS and EMAIL"):
        load_template("PUSH", {"Name": "V1"}, **kwargs)
