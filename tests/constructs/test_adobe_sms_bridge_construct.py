"""AdobeSmsBridge construct: template assertions per behaviour and prop variant, cdk-nag, prop errors.

VARIANTS is also synthesized by tests/checks/test_template_checks.py (cfn-lint, checkov)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs import AdobeSmsBridge, EventStreamToS3, PropsConflictError, SelfManagedOptOut, TwoWaySms
from pinpoint_constructs.adobe_sms_bridge import (
    BridgeApiKeyOptions,
    BridgeApiOptions,
    BridgeIdempotencyOptions,
    BridgeQueueOptions,
    BridgeSendingOptions,
    DeliveryMode,
    MessageType,
)
from pinpoint_constructs.adobe_sms_bridge_api import load_openapi_document
from pinpoint_constructs.adobe_sms_bridge_options import options
from tests.conftest import ENV, new_app, only

WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/adobe/0123abcd"


def _queued_with_two_way(stack: cdk.Stack) -> dict[str, Any]:
    sms = TwoWaySms(stack, "Sms")
    opt_out = SelfManagedOptOut(stack, "OptOut", two_way=sms, program_name="Example", support_contact="a@example.com")
    lake = EventStreamToS3(stack, "Lake")
    bridge = AdobeSmsBridge(stack, "Bridge", two_way=sms, opt_out=opt_out, event_stream=lake)
    return {"bridge": bridge, "sms": sms, "opt_out": opt_out}


def _inline_existing_secret_waf(stack: cdk.Stack) -> dict[str, Any]:
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Existing", "adobe-bridge-key")
    bridge = AdobeSmsBridge(
        stack,
        "Bridge",
        origination_identity="pool-0123456789abcdef",
        sending=BridgeSendingOptions(
            additional_origination_identities=["phone-0123456789abcdef"],
            configuration_set_name="partner-events",
            delivery=DeliveryMode.INLINE,
        ),
        api_key=BridgeApiKeyOptions(
            existing_secret_obj=secret,
            json_field="",
            header="x-adobe-key",
            authorizer_cache_ttl=cdk.Duration.seconds(0),
        ),
        api=BridgeApiOptions(web_acl_arn=WEB_ACL, throttling_rate_limit=250, throttling_burst_limit=400),
    )
    return {"bridge": bridge}


VARIANTS = {"Queued": _queued_with_two_way, "InlineWaf": _inline_existing_secret_waf}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[cdk.Stack, dict[str, Any], Template]]:
    app = new_app()
    stacks = {}
    for name, build in VARIANTS.items():
        stack = cdk.Stack(app, f"Adobe{name}", env=ENV)
        stacks[name] = (stack, build(stack))
    return {name: (stack, parts, Template.from_stack(stack)) for name, (stack, parts) in stacks.items()}


def _id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child if construct.node.default_child else construct)


def _env(template: Template, stack: cdk.Stack, function: Any) -> dict[str, Any]:
    resource = template.find_resources("AWS::Lambda::Function")[_id(stack, function.lambda_function)]
    return resource["Properties"]["Environment"]["Variables"]


def _statements(template: Template, stack: cdk.Stack, function: Any) -> list[dict[str, Any]]:
    role = {"Ref": _id(stack, function.role)}
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if role in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _body(template: Template) -> dict[str, Any]:
    return only(dict(template.find_resources("AWS::ApiGateway::RestApi")))["Properties"]["Body"]


def test_the_api_is_the_openapi_document_with_the_authorizer_and_proxy_integration(built) -> None:
    stack, parts, template = built["Queued"]
    bridge = parts["bridge"]
    body = _body(template)
    shipped = load_openapi_document()
    assert body["components"]["schemas"] == shipped["components"]["schemas"]
    assert body["x-amazon-apigateway-request-validators"] == {
        "all": {"validateRequestBody": True, "validateRequestParameters": True}
    }
    assert body["x-amazon-apigateway-request-validator"] == "all"
    scheme = body["components"]["securitySchemes"]["AdobeApiKey"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert scheme["x-amazon-apigateway-authtype"] == "custom" and scheme["name"] == "x-api-key"
    assert authorizer["type"] == "request" and authorizer["identitySource"] == "method.request.header.x-api-key"
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert {"Fn::GetAtt": [_id(stack, bridge.authorizer_function.lambda_function), "Arn"]} in json.loads(
        json.dumps(authorizer["authorizerUri"])
    )["Fn::Join"][1]
    integration = body["paths"]["/messages"]["post"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST"
    assert {"Fn::GetAtt": [_id(stack, bridge.send_function.lambda_function), "Arn"]} in integration["uri"]["Fn::Join"][
        1
    ]
    assert body["x-amazon-apigateway-gateway-responses"]["ACCESS_DENIED"]["statusCode"] == "403"
    only(template.find_resources("AWS::ApiGateway::RestApi"))
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}})


def test_api_gateway_may_invoke_exactly_the_two_functions(built) -> None:
    stack, parts, template = built["Queued"]
    bridge = parts["bridge"]
    permissions = template.find_resources(
        "AWS::Lambda::Permission", {"Properties": {"Principal": "apigateway.amazonaws.com"}}
    )
    targets = {json.dumps(p["Properties"]["FunctionName"]) for p in permissions.values()}
    assert targets == {
        json.dumps({"Fn::GetAtt": [_id(stack, bridge.authorizer_function.lambda_function), "Arn"]}),
        json.dumps({"Fn::GetAtt": [_id(stack, bridge.send_function.lambda_function), "Arn"]}),
    }
    sources = json.dumps([p["Properties"]["SourceArn"] for p in permissions.values()])
    assert "/authorizers/*" in sources and "/v1/POST/messages" in sources


def test_stage_throttling_access_logs_tracing_and_error_logging(built) -> None:
    stack, parts, template = built["Queued"]
    stage = only(template.find_resources("AWS::ApiGateway::Stage"))["Properties"]
    assert stage["StageName"] == "v1" and stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == 500 and settings["ThrottlingBurstLimit"] == 1000
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    fields = json.loads(stage["AccessLogSetting"]["Format"])
    assert fields["status"] == "$context.status" and fields["authorizerStatus"] == "$context.authorizer.status"
    assert not any("validationErrorString" in v or "header" in v.lower() for v in fields.values())
    assert stage["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1][-1] == {
        "Ref": _id(stack, parts["bridge"].access_log_group)
    }
    account = only(template.find_resources("AWS::ApiGateway::Account"))
    assert account["DeletionPolicy"] == "Retain"
    role = only(template.find_resources("AWS::IAM::Role", {"Properties": {"AssumeRolePolicyDocument": {"Statement": [
        {"Principal": {"Service": "apigateway.amazonaws.com"}}]}}}))  # fmt: skip
    assert role["Properties"].get("ManagedPolicyArns") is None  # an inline policy, no AWS managed policy
    assert _id(stack, parts["bridge"].stage.node.default_child) and "DependsOn" in only(
        template.find_resources("AWS::ApiGateway::Stage")
    )


def test_created_secret_is_generated_kms_encrypted_and_read_only_by_the_authorizer(built) -> None:
    stack, parts, template = built["Queued"]
    bridge = parts["bridge"]
    secret = only(template.find_resources("AWS::SecretsManager::Secret"))
    assert secret["Properties"]["GenerateSecretString"] == {
        "ExcludePunctuation": True,
        "GenerateStringKey": "apiKey",
        "PasswordLength": 48,
        "SecretStringTemplate": "{}",
    }
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [_id(stack, bridge.api_key_secret_key), "Arn"]}
    assert secret["DeletionPolicy"] == "Retain"
    env = _env(template, stack, bridge.authorizer_function)
    assert env["API_KEY_SECRET_ID"] == {"Ref": _id(stack, bridge.api_key_secret)}
    assert env["API_KEY_CACHE_TTL_SECONDS"] == "60" and env["API_KEY_GRACE_PERIOD_SECONDS"] == "86400"
    reads = [s for s in _statements(template, stack, bridge.authorizer_function) if "secretsmanager:GetSecretValue" in
             json.dumps(s["Action"])]  # fmt: skip
    assert [s["Resource"] for s in reads] == [{"Ref": _id(stack, bridge.api_key_secret)}]
    for function in (bridge.send_function, bridge.consumer_function):
        assert "secretsmanager" not in json.dumps(_statements(template, stack, function))


def test_no_secret_value_is_in_the_template_or_the_environment(built) -> None:
    _stack, _parts, template = built["Queued"]
    secret = only(template.find_resources("AWS::SecretsManager::Secret"))["Properties"]
    assert set(secret) == {"Description", "GenerateSecretString", "KmsKeyId"}  # generated by the service
    for function in template.find_resources("AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert not any("SecretString" in json.dumps(v) or "{{resolve:secretsmanager" in json.dumps(v)
                       for v in variables.values())  # fmt: skip


def test_queue_mode_sends_from_the_consumer_at_its_share_of_the_rate(built) -> None:
    stack, parts, template = built["Queued"]
    bridge = parts["bridge"]
    send_env = _env(template, stack, bridge.send_function)
    assert send_env["BRIDGE_DELIVERY_MODE"] == "QUEUE"
    assert send_env["BRIDGE_SEND_QUEUE_URL"] == {"Ref": _id(stack, bridge.send_queue)}
    assert "OPT_OUT_REGISTRY_TABLE" in send_env
    consumer_env = _env(template, stack, bridge.consumer_function)
    assert consumer_env["BRIDGE_MESSAGE_PARTS_PER_SECOND"] == "1" and consumer_env["BRIDGE_CONSUMER_CONCURRENCY"] == "2"
    assert consumer_env["DEAD_LETTER_QUEUE_URL"] == {"Ref": _id(stack, bridge.dead_letter_queue)}
    assert consumer_env["SMS_CONFIGURATION_SET"] == send_env["SMS_CONFIGURATION_SET"]
    mapping = only(template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": {"Ref": _id(stack, bridge.consumer_function.lambda_function)}}},
    ))["Properties"]  # fmt: skip
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2} and mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = template.find_resources("AWS::SQS::Queue")[_id(stack, bridge.send_queue)]["Properties"]
    assert queue["VisibilityTimeout"] == 720 and queue["RedrivePolicy"]["maxReceiveCount"] == 5
    # only the consumer sends; the API handler may only enqueue
    assert "sms-voice:SendTextMessage" not in json.dumps(_statements(template, stack, bridge.send_function))
    assert "sms-voice:SendTextMessage" in json.dumps(_statements(template, stack, bridge.consumer_function))


def test_delivery_events_go_to_the_lake_through_a_configuration_set(built) -> None:
    stack, parts, template = built["Queued"]
    send_env = _env(template, stack, parts["bridge"].send_function)
    sets = template.find_resources("AWS::SMSVOICE::ConfigurationSet")
    (name,) = [k for k in sets if "BridgeSmsEvents" in k]
    assert send_env["SMS_CONFIGURATION_SET"] == {"Ref": name}
    assert sets[name]["Properties"]["EventDestinations"][0]["KinesisFirehoseDestination"]


def test_inline_mode_sends_from_the_api_handler_and_has_no_queue(built) -> None:
    stack, parts, template = built["InlineWaf"]
    bridge = parts["bridge"]
    assert bridge.send_queue is None and bridge.consumer_function is None
    assert template.find_resources("AWS::Lambda::EventSourceMapping") == {}
    env = _env(template, stack, bridge.send_function)
    assert env["BRIDGE_DELIVERY_MODE"] == "INLINE" and "BRIDGE_SEND_QUEUE_URL" not in env
    assert json.loads(env["BRIDGE_ALLOWED_ORIGINATION_IDENTITIES"]) == [
        "pool-0123456789abcdef",
        "phone-0123456789abcdef",
    ]
    (send,) = [
        s for s in _statements(template, stack, bridge.send_function) if s["Action"] == "sms-voice:SendTextMessage"
    ]
    resources = json.dumps(send["Resource"])
    assert ":pool/pool-0123456789abcdef" in resources and ":phone-number/phone-0123456789abcdef" in resources
    assert ":configuration-set/partner-events" in resources


def test_waf_header_throttling_and_authorizer_cache_props(built) -> None:
    stack, parts, template = built["InlineWaf"]
    association = only(template.find_resources("AWS::WAFv2::WebACLAssociation"))["Properties"]
    assert association["WebACLArn"] == WEB_ACL
    assert "/stages/" in json.dumps(association["ResourceArn"])
    body = _body(template)
    scheme = body["components"]["securitySchemes"]["AdobeApiKey"]
    assert scheme["name"] == "x-adobe-key"
    assert scheme["x-amazon-apigateway-authorizer"]["identitySource"] == "method.request.header.x-adobe-key"
    assert scheme["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 0
    assert template.find_resources("AWS::SecretsManager::Secret") == {}
    env = _env(template, stack, parts["bridge"].authorizer_function)
    assert env["API_KEY_HEADER"] == "x-adobe-key" and env["API_KEY_JSON_FIELD"] == ""
    assert "adobe-bridge-key" in json.dumps(env["API_KEY_SECRET_ID"])
    (settings,) = only(template.find_resources("AWS::ApiGateway::Stage"))["Properties"]["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (250, 400)


def test_idempotency_table_has_ttl_and_point_in_time_recovery(built) -> None:
    _, _, template = built["Queued"]
    tables = template.find_resources(
        "AWS::DynamoDB::Table", {"Properties": {"TimeToLiveSpecification": {"AttributeName": "expires_at"}}}
    )
    bridge_tables = {k: v for k, v in tables.items() if k.startswith("Bridge")}
    table = only(bridge_tables)["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_has_zero_unacknowledged_nag_findings(built, variant: str) -> None:
    stack, _, _ = built[variant]
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


def test_a_low_throttle_warns_about_adobes_floor() -> None:
    stack = cdk.Stack(new_app(), "Low", env=ENV)
    AdobeSmsBridge(stack, "Bridge", origination_identity="pool-1", api=BridgeApiOptions(throttling_rate_limit=50))
    warnings = [m for m in stack.node.find_child("Bridge").node.metadata if m.type == "aws:cdk:warning"]
    assert any("200" in json.dumps(m.data) for m in warnings)


def test_invalid_props_are_all_reported_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    sms = TwoWaySms(stack, "Sms")
    with pytest.raises(PropsConflictError) as caught:
        AdobeSmsBridge(
            stack,
            "Bridge",
            two_way=sms,
            origination_identity="pool-1",
            event_stream=EventStreamToS3(stack, "Lake"),
            sending=BridgeSendingOptions(
                additional_origination_identities=["+12065550100"],
                configuration_set_name="set",
                delivery=DeliveryMode.INLINE,
                default_message_type="URGENT",  # type: ignore[arg-type]  # an invalid choice, on purpose
                default_country="usa",
            ),
            queue={
                "queue_props": {"retention_period": cdk.Duration.days(1)},
                "message_parts_per_second": 0,
                "consumer_concurrency": 1,
                "batch_size": 11,
            },  # a mapping of the fields works too
            api_key=BridgeApiKeyOptions(
                secret_props={"description": "x"},
                existing_secret_obj=secretsmanager.Secret.from_secret_name_v2(stack, "S", "k"),
                header="x api key",
                authorizer_cache_ttl=cdk.Duration.hours(2),
                secret_cache_ttl=cdk.Duration.days(2),
            ),
            idempotency=BridgeIdempotencyOptions(header="X-API-KEY"),
            api=BridgeApiOptions(web_acl_arn="arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1"),
        )
    problems = caught.value.problems
    assert len(problems) == 14, problems
    assert "Provide exactly one of two_way or origination_identity (the identity messages are sent from)." in problems
    assert "Either provide api_key.secret_props or api_key.existing_secret_obj, but not both." in problems
    assert "Either provide event_stream or sending.configuration_set_name, but not both." in problems
    assert "api.web_acl_arn must be the ARN of a regional WAFv2 web ACL." in problems
    assert "queue.consumer_concurrency must be between 2 and 1000." in problems
    assert any(p.startswith("origination identities must be phone number ids") for p in problems)
    assert "api_key.header and idempotency.header must differ." not in problems  # x api key is invalid anyway


def test_grants(built) -> None:
    stack = cdk.Stack(new_app(), "Grants", env=ENV)
    bridge = AdobeSmsBridge(stack, "Bridge", origination_identity="pool-1")
    operator = cdk.aws_iam.Role(stack, "Operator", assumed_by=cdk.aws_iam.AccountRootPrincipal())
    bridge.grant_read_api_key(operator)
    bridge.grant_rotate_api_key(operator)
    bridge.grant_enqueue(operator)
    statements = json.dumps(Template.from_stack(stack).find_resources("AWS::IAM::Policy"))
    assert "secretsmanager:PutSecretValue" in statements and "sqs:SendMessage" in statements
    with pytest.raises(ValueError, match="no send queue"):
        built["InlineWaf"][1]["bridge"].grant_enqueue(operator)


def test_option_objects_default_accept_mappings_and_refuse_other_types() -> None:
    assert options(BridgeQueueOptions, None) == BridgeQueueOptions()
    assert options(BridgeQueueOptions, {"batch_size": 5}) == BridgeQueueOptions(batch_size=5)
    assert BridgeApiKeyOptions().secret_cache_ttl.to_seconds() == 60
    assert BridgeIdempotencyOptions().ttl.to_hours() == 1 and BridgeIdempotencyOptions().header == "Idempotency-Key"
    sending = BridgeSendingOptions(delivery=DeliveryMode.INLINE, default_message_type=MessageType.PROMOTIONAL)
    assert sending.inline and not BridgeSendingOptions().inline
    with pytest.raises(TypeError, match="BridgeApiOptions"):
        options(BridgeApiOptions, BridgeQueueOptions())
    with pytest.raises(TypeError):
        BridgeApiOptions(500)  # type: ignore[call-arg]  # keyword-only, on purpose
