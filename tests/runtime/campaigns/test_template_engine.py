"""Tests of pinpoint_runtime.campaigns.template_engine (through MessageRenderer): Pinpoint message variables rendered
per endpoint (pystache), the value rules (first value, defaults, substitutions, no re-expansion, HTML escaping), and
hypothesis properties (missing attributes, unicode, braces, any template text)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.campaigns.template_engine import RenderError
from pinpoint_runtime.campaigns.templates import MessageRenderer
from tests.support.campaigns import ENDPOINT, hook_event, render_body, sms

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
