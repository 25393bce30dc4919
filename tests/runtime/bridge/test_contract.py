"""The request contract (pinpoint_runtime.bridge.contract) against the shipped OpenAPI document, and any payload."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_constructs.adobe_sms_bridge_api import load_openapi_document
from pinpoint_runtime.bridge.contract import (
    FIELD_RULES,
    IDEMPOTENCY_KEY_RULES,
    REQUIRED_FIELDS,
    BridgeRequestError,
    parse_send_request,
)
from pinpoint_runtime.bridge.send import BridgeSendSettings

# --------------------------------------------------------------------------------------------- contract


def test_the_handler_enforces_exactly_the_openapi_request_contract() -> None:
    document = load_openapi_document()
    schema = document["components"]["schemas"]["SendSmsRequest"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(REQUIRED_FIELDS)
    documented = {name: {k: v for k, v in rule.items() if k not in ("type", "description", "example")}
                  for name, rule in schema["properties"].items()}  # fmt: skip
    assert documented == FIELD_RULES
    assert all(rule["type"] == "string" for rule in schema["properties"].values())
    (header,) = document["paths"]["/messages"]["post"]["parameters"]
    assert header["name"] == "Idempotency-Key" and header["in"] == "header" and header["required"] is False
    assert {k: v for k, v in header["schema"].items() if k != "type"} == IDEMPOTENCY_KEY_RULES


def test_every_status_the_bridge_answers_is_documented() -> None:
    responses = load_openapi_document()["paths"]["/messages"]["post"]["responses"]
    assert {"202", "400", "401", "403", "409", "422", "429", "500", "503"} <= set(responses)
    gateway = load_openapi_document()["x-amazon-apigateway-gateway-responses"]
    for response_type, entry in gateway.items():
        if "statusCode" in entry:
            assert entry["statusCode"] in responses, response_type
    assert gateway["UNAUTHORIZED"]["statusCode"] == "401" and gateway["ACCESS_DENIED"]["statusCode"] == "403"
    assert gateway["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"  # AJO does not retry 404
    assert gateway["THROTTLED"]["statusCode"] == "429"


def render_gateway_template(template: str, message: str, validation: str) -> str:
    """A gateway response template as API Gateway fills it (simple substitution, no VTL): ``messageString`` is the
    message quoted and escaped; ``validationErrorString`` is the escaped text without quotes, which is why the
    template puts it between quotes."""
    rendered = template.replace("$context.error.messageString", json.dumps(message))
    rendered = rendered.replace("$context.error.validationErrorString", json.dumps(validation)[1:-1])
    assert "$context" not in rendered, f"a variable the test does not know: {rendered}"
    return rendered


def test_every_gateway_response_body_is_json_in_the_documented_error_shape() -> None:
    import jsonschema_rs  # installed with schemathesis

    document = load_openapi_document()
    error_schema = document["components"]["schemas"]["Error"]
    message = "Invalid request body"
    validation = '[object has missing required properties (["messageBody"])]'  # quotes, brackets: must stay JSON
    for response_type, entry in document["x-amazon-apigateway-gateway-responses"].items():
        for template in entry.get("responseTemplates", {}).values():
            body = json.loads(render_gateway_template(template, message, validation))
            jsonschema_rs.validate(error_schema, body)
            if "$context.error.messageString" in template:
                assert body["message"] == message, response_type
    body = json.loads(render_gateway_template(
        document["x-amazon-apigateway-gateway-responses"]["BAD_REQUEST_BODY"]["responseTemplates"]["application/json"],
        message, validation,
    ))  # fmt: skip
    assert body == {"error": "invalid_request", "message": message, "detail": validation}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.dictionaries(
            st.sampled_from([*FIELD_RULES, "extra", ""]),
            st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans(), st.lists(st.text(), max_size=2)),
            max_size=9,
        ),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=10),
        st.none(),
    )
)
def test_any_payload_is_accepted_or_refused_naming_a_field(data: Any) -> None:
    settings_ = BridgeSendSettings(queue_url="https://sqs.example/q", allowed_origination_identities=("pool-1",))
    try:
        request = parse_send_request(data, settings_)
    except BridgeRequestError as error:
        assert error.field in {*FIELD_RULES, "body", "extra", ""}
        assert str(error).startswith(f"{error.field}: ")
        return
    assert request.destination.startswith("+") and 1 <= len(request.body) <= 1600
