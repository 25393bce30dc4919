"""Tests of pinpoint_runtime.campaigns.templates: Pinpoint message variables rendered per endpoint (pystache), the
value rules (first value, defaults, substitutions, no re-expansion, HTML escaping), template references from S3
(moto), and hypothesis properties (missing attributes, unicode, braces, any template text)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pinpoint_runtime.campaigns.templates import (
    MessageRenderer,
    RenderError,
    TemplateError,
    clear_template_cache,
    load_template,
    renderer_for_request,
)
from tests.conftest import TEST_DATA

PAYLOADS = Path("/work/shared/data/payloads")
HOOK_EVENT = TEST_DATA / "payloads" / "campaign_hook_event.json"

ENDPOINT = {
    "ChannelType": "SMS",
    "Address": "+12065550100",
    "EndpointStatus": "ACTIVE",
    "OptOut": "NONE",
    "Location": {"City": "Seattle", "Country": "US"},
    "Demographic": {"Platform": "android"},
    "Attributes": {"Offer": ["20% off", "free shipping"], "Colors": ["red", "blue"]},
    "Metrics": {"Sessions": 3.0},
    "User": {"UserId": "user-1", "UserAttributes": {"FirstName": ["Ana", "Ann"]}},
}


def sms(body: str, **kwargs: Any) -> MessageRenderer:
    return MessageRenderer({"SMSMessage": {"Body": body, "MessageType": "TRANSACTIONAL"}}, **kwargs)


def render_body(body: str, endpoint: dict[str, Any] | None = None, **kwargs: Any) -> str:
    return sms(body, **kwargs).render("SMS", ENDPOINT if endpoint is None else endpoint)["Body"]


def hook_event() -> dict[str, Any]:
    path = PAYLOADS / "campaign_hook_event.json"
    return json.loads((path if path.exists() else HOOK_EVENT).read_text())


# --------------------------------------------------------------------------------------------- variables


def test_the_shared_hook_payload_renders_first_values_and_defaults() -> None:
    event = hook_event()
    renderer = MessageRenderer(event["MessageConfiguration"], default_substitutions={"Attributes.Offer": "10% off"})
    bodies = {
        endpoint_id: renderer.render("SMS", endpoint)["Body"] for endpoint_id, endpoint in event["Endpoints"].items()
    }
    assert bodies == {"ep-1": "Ana, your offer: 10% off", "ep-2": "Bo, your offer: 10% off"}
    assert renderer.render("SMS", event["Endpoints"]["ep-1"])["MessageType"] == "PROMOTIONAL"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {{User.UserAttributes.FirstName}}", "Hi Ana"),  # first value of a multi-valued attribute
        ("{{Attributes.Offer}}", "20% off"),
        ("{{Address}}", "+12065550100"),
        ("{{Location.City}}/{{Location.Country}}", "Seattle/US"),
        ("{{Demographic.Platform}} {{User.UserId}}", "android user-1"),
        ("{{Metrics.Sessions}} sessions", "3 sessions"),
        ("{{Attributes.Offer.1}} / {{Attributes.Offer.[1]}}", "free shipping / free shipping"),
        ("{{#Attributes.Colors}}[{{.}}]{{/Attributes.Colors}}", "[red][blue]"),  # a section iterates every value
        ("{{^Attributes.Missing}}none{{/Attributes.Missing}}", "none"),
        ("{{#User}}{{UserId}}{{/User}}", "user-1"),
        ("a {{! a comment }}b", "a b"),
        ("{{=<% %>=}}<% Location.City %>", "Seattle"),
    ],
)
def test_pinpoint_variables(template: str, expected: str) -> None:
    assert render_body(template) == expected


def test_missing_values_render_empty_or_their_default() -> None:
    endpoint = {"ChannelType": "SMS", "Address": "+12065550100", "Attributes": {"Empty": []}}
    body = "Hi {{User.UserAttributes.FirstName}}! {{Attributes.Empty}}|{{Attributes.Nope}}|{{Location.City}}."
    assert render_body(body, endpoint) == "Hi ! ||."
    defaults = json.dumps({"User.UserAttributes.FirstName": "friend", "Attributes.Empty": "e", "Location.City": "?"})
    assert render_body(body, endpoint, default_substitutions=defaults) == "Hi friend! e||?."
    # a present value wins over the default
    assert (
        render_body(
            "{{User.UserAttributes.FirstName}}", default_substitutions={"User.UserAttributes.FirstName": "friend"}
        )
        == "Ana"
    )


def test_substitutions_override_endpoint_values_and_message_substitutions() -> None:
    config = {
        "SMSMessage": {
            "Body": "{{User.UserAttributes.FirstName}} {{Promo}}",
            "Substitutions": {"Promo": ["SPRING"], "User.UserAttributes.FirstName": ["X"]},
        }
    }
    assert MessageRenderer(config).render("SMS", ENDPOINT)["Body"] == "X SPRING"
    renderer = MessageRenderer(config, substitutions={"Promo": ["SUMMER", "ignored"]})
    assert renderer.render("SMS", ENDPOINT)["Body"] == "X SUMMER"


def test_values_are_never_re_expanded() -> None:
    endpoint = {
        "Address": "+12065550100",
        "Attributes": {"Note": ["{{Address}} {{#x}}y{{/x}} }}{{"]},
        "User": {"UserAttributes": {"FirstName": ["{{{Address}}}"]}},
    }
    assert render_body("{{Attributes.Note}}|{{{User.UserAttributes.FirstName}}}", endpoint) == (
        "{{Address}} {{#x}}y{{/x}} }}{{|{{{Address}}}"
    )
    assert render_body("{{Promo}}", endpoint, substitutions={"Promo": ["{{Address}}"]}) == "{{Address}}"


def test_methods_of_values_cannot_be_called_from_a_template() -> None:
    # pystache calls attributes of objects: endpoint data is made plain first, so these resolve to nothing
    class Sneaky:
        def __str__(self) -> str:
            return "sneaky"

        def upper(self) -> str:  # pragma: no cover - must never be called
            raise AssertionError("called from a template")

    endpoint = {"Address": "+12065550100", "Attributes": {"Obj": Sneaky(), "Text": ["abc"]}}
    assert (
        render_body("{{Attributes.Obj.upper}}{{Attributes.Text.upper}}{{Address.upper}}|{{Attributes.Obj}}", endpoint)
        == "|sneaky"
    )


def test_email_escapes_html_body_only() -> None:
    renderer = MessageRenderer(
        {
            "EmailMessage": {
                "Title": "Hello {{User.UserAttributes.FirstName}} & co",
                "HtmlBody": "<p>{{Attributes.Offer}} {{{Attributes.Raw}}} {{& Attributes.Raw}}</p>",
                "Body": "{{Attributes.Raw}}",
                "FromAddress": "Shop <shop@example.com>",
            }
        }
    )
    endpoint = {
        **ENDPOINT,
        "ChannelType": "EMAIL",
        "Address": "ana@example.com",
        "Attributes": {"Offer": ["<b>A&B</b>"], "Raw": ["<i>x</i>"]},
    }
    assert renderer.render("EMAIL", endpoint) == {
        "Subject": "Hello Ana & co",
        "HtmlBody": "<p>&lt;b&gt;A&amp;B&lt;/b&gt; <i>x</i> <i>x</i></p>",
        "TextBody": "<i>x</i>",
        "FromAddress": "Shop <shop@example.com>",
    }


def test_sms_and_custom_shapes() -> None:
    renderer = MessageRenderer(
        {
            "SMSMessage": {"Body": "Hi", "OriginationNumber": "+18005550100", "SenderId": "Shop", "Keyword": "JOIN"},
            "CustomMessage": {"Data": '{"offer": "{{Attributes.Offer}}"}'},
        }
    )
    assert renderer.channels == ("SMS", "CUSTOM")
    assert renderer.render("SMS", ENDPOINT) == {
        "Body": "Hi",
        "MessageType": "PROMOTIONAL",
        "OriginationNumber": "+18005550100",
        "SenderId": "Shop",
        "Keyword": "JOIN",
    }
    assert json.loads(renderer.render("CUSTOM", ENDPOINT)["Data"]) == {"offer": "20% off"}


def test_lower_case_keys_of_the_hook_payload_are_accepted() -> None:
    renderer = MessageRenderer({"smsmessage": {"body": "{{Attributes.Offer}}", "messagetype": "transactional"}})
    assert renderer.render("SMS", ENDPOINT) == {"Body": "20% off", "MessageType": "TRANSACTIONAL"}


def test_id_comes_from_the_endpoint_id_when_the_endpoint_has_none() -> None:
    assert sms("{{Id}}").render("SMS", ENDPOINT, endpoint_id="ep-7")["Body"] == "ep-7"
    assert sms("{{Id}}").render("SMS", {**ENDPOINT, "Id": "own"}, endpoint_id="ep-7")["Body"] == "own"


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


# --------------------------------------------------------------------------------------------- templates


@pytest.fixture
def template_bucket(fake_aws_credentials: None) -> Any:
    clear_template_cache()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="templates")
        yield s3
    clear_template_cache()


def put_template(s3: Any, name: str, document: dict[str, Any]) -> None:
    s3.put_object(Bucket="templates", Key=f"t/{name}.json", Body=json.dumps(document).encode())


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


# --------------------------------------------------------------------------------------------- properties

_NAMES = st.sampled_from(["FirstName", "Offer", "City", "Tier", "x"])
_TEXT = st.text(max_size=40)
_ATTRIBUTE_VALUES = st.lists(_TEXT, max_size=3)


@st.composite
def endpoints(draw: st.DrawFn) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"ChannelType": "SMS"}
    if draw(st.booleans()):
        endpoint["Attributes"] = draw(st.dictionaries(_NAMES, _ATTRIBUTE_VALUES, max_size=3))
    if draw(st.booleans()):
        user: dict[str, Any] = {}
        if draw(st.booleans()):
            user["UserAttributes"] = draw(st.dictionaries(_NAMES, _ATTRIBUTE_VALUES, max_size=3))
        endpoint["User"] = user
    if draw(st.booleans()):
        endpoint["Location"] = draw(st.dictionaries(st.sampled_from(["City", "Country"]), _TEXT, max_size=2))
    return endpoint


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(endpoint=endpoints(), name=_NAMES)
def test_property_missing_parts_render_their_value_or_nothing(endpoint: dict[str, Any], name: str) -> None:
    renderer = MessageRenderer(
        {"CustomMessage": {"Data": f"<{{{{Attributes.{name}}}}}|{{{{User.UserAttributes.{name}}}}}>"}}
    )
    data = renderer.render("CUSTOM", endpoint)["Data"]
    attribute = (endpoint.get("Attributes") or {}).get(name) or [""]
    user_attribute = ((endpoint.get("User") or {}).get("UserAttributes") or {}).get(name) or [""]
    assert data == f"<{attribute[0]}|{user_attribute[0]}>"


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.sampled_from(list("{}#^/!&>=.x ")) | st.characters(), max_size=60))
def test_property_values_with_braces_and_unicode_are_inserted_verbatim(value: str) -> None:
    endpoint = {"Attributes": {"V": [value]}, "User": {"UserAttributes": {"FirstName": ["Zoë 🚀"]}}}
    renderer = MessageRenderer(
        {"CustomMessage": {"Data": "[{{Attributes.V}}][{{{Attributes.V}}}][{{User.UserAttributes.FirstName}}]"}}
    )
    assert renderer.render("CUSTOM", endpoint)["Data"] == f"[{value}][{value}][Zoë 🚀]"
    html = MessageRenderer({"EmailMessage": {"Title": "t", "HtmlBody": "[{{Attributes.V}}]"}})
    import html as html_module

    assert html.render("EMAIL", endpoint)["HtmlBody"] == f"[{html_module.escape(value, quote=True)}]"


@settings(max_examples=300, deadline=None)
@given(
    template=st.text(alphabet=st.sampled_from(list("{}#^/!&>=.[]x1 ")) | st.characters(), max_size=80),
    endpoint=endpoints(),
)
def test_property_any_template_text_raises_nothing_but_render_error(template: str, endpoint: dict[str, Any]) -> None:
    try:
        renderer = MessageRenderer(
            {
                "SMSMessage": {"Body": template},
                "CustomMessage": {"Data": template},
                "EmailMessage": {"Title": "s", "HtmlBody": template},
            }
        )
    except RenderError:
        return
    for channel in ("SMS", "CUSTOM", "EMAIL"):
        try:
            rendered = renderer.render(channel, endpoint)
        except RenderError:
            continue
        assert all(isinstance(value, str) for value in rendered.values())


@settings(max_examples=100, deadline=None)
@given(depth=st.integers(min_value=1, max_value=10))
def test_property_nested_sections_render_or_fail_cleanly(depth: int) -> None:
    template = "{{#Attributes.Colors}}" * depth + "{{.}}" + "{{/Attributes.Colors}}" * depth
    try:
        body = render_body(template)
    except RenderError:
        return
    assert set(body) <= set("redblu")
