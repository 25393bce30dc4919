"""TwoWaySms and SelfManagedOptOut: fine-grained template assertions per behaviour and prop variant."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs import EventStreamToS3, PropsConflictError, SelfManagedOptOut, TwoWaySms
from pinpoint_constructs.two_way_sms import NumberType
from pinpoint_runtime.sms.keyword_rules import KeywordAction, KeywordRule
from pinpoint_runtime.sms.sender import MessageType
from tests.conftest import ENV, new_app, only

ACCOUNT, REGION = ENV.account, ENV.region
PROGRAM = {"program_name": "Example alerts", "support_contact": "support@example.com"}


def _default(stack: cdk.Stack) -> dict[str, Any]:
    lake = EventStreamToS3(stack, "Lake")
    two_way = TwoWaySms(stack, "Sms", event_stream=lake)
    opt_out = SelfManagedOptOut(
        stack,
        "OptOut",
        two_way=two_way,
        custom_keywords=[KeywordRule("INFO", KeywordAction.AUTO_RESPONSE, "Example alerts: text JOIN to subscribe.")],
        **PROGRAM,
    )
    return {"lake": lake, "two_way": two_way, "opt_out": opt_out}


def _pool_with_partner_code(stack: cdk.Stack) -> dict[str, Any]:
    two_way = TwoWaySms(
        stack,
        "Sms",
        deploy_pool=True,
        number_type=NumberType.TOLL_FREE,
        handler=lambda_.Code.from_inline("def handler(event, context):\n    return {'reply': 'hi'}\n"),
        configuration_set_name="partner-set",
    )
    return {"two_way": two_way}


def _existing_number_standalone_opt_out(stack: cdk.Stack) -> dict[str, Any]:
    opt_out = SelfManagedOptOut(
        stack,
        "OptOut",
        two_way_props={"existing_phone_number_id": "phone-1234567890abcdef", "auto_reply_text": ""},
        existing_opt_out_list_name="partner-list",
        **PROGRAM,
    )
    return {"opt_out": opt_out, "two_way": opt_out.two_way}


VARIANTS = {
    "Default": _default,
    "PoolPartner": _pool_with_partner_code,
    "Existing": _existing_number_standalone_opt_out,
}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[cdk.Stack, dict[str, Any], Template]]:
    app = new_app()
    stacks = {}
    for name, build in VARIANTS.items():
        stack = cdk.Stack(app, f"Sms{name}", env=ENV)
        stacks[name] = (stack, build(stack))
    return {name: (stack, parts, Template.from_stack(stack)) for name, (stack, parts) in stacks.items()}


def _id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child if construct.node.default_child else construct)


def _function(template: Template, stack: cdk.Stack, function: lambda_.IFunction) -> dict[str, Any]:
    return template.find_resources("AWS::Lambda::Function")[_id(stack, function)]["Properties"]


def _statements(template: Template, role_ref: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_simulator_number_with_two_way_to_the_encrypted_topic(built) -> None:
    stack, parts, template = built["Default"]
    two_way = parts["two_way"]
    number = only(template.find_resources("AWS::SMSVOICE::PhoneNumber"))["Properties"]
    assert number["NumberType"] == "SIMULATOR" and number["IsoCountryCode"] == "US"
    assert number["NumberCapabilities"] == ["SMS"]
    assert number["TwoWay"] == {"Enabled": True, "ChannelArn": {"Ref": _id(stack, two_way.inbound_topic)}}
    assert set(number["MandatoryKeywords"]) == {"HELP", "STOP"}
    assert number["SelfManagedOptOutsEnabled"] is True
    assert number["OptOutListName"] == parts["opt_out"].opt_out_list_name
    topic = template.find_resources("AWS::SNS::Topic")[_id(stack, two_way.inbound_topic)]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [_id(stack, two_way.inbound_topic_key), "Arn"]}
    key = template.find_resources("AWS::KMS::Key")[_id(stack, two_way.inbound_topic_key)]["Properties"]
    sms_key_statement = next(s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowEncryptFromSmsVoice")
    assert sms_key_statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:*"},
    }


def test_inbound_queue_with_dlq_feeds_the_handler_with_partial_batch_failures(built) -> None:
    stack, parts, template = built["Default"]
    two_way = parts["two_way"]
    subscription = only(template.find_resources("AWS::SNS::Subscription"))["Properties"]
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [_id(stack, two_way.inbound_queue), "Arn"]}
    queue = template.find_resources("AWS::SQS::Queue")[_id(stack, two_way.inbound_queue)]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue["VisibilityTimeout"] == 360  # > 6 x the function timeout
    mapping = only(template.find_resources("AWS::Lambda::EventSourceMapping"))["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10
    env = _function(template, stack, two_way.inbound_function.lambda_function)["Environment"]["Variables"]
    assert env["SMS_ORIGINATION_IDENTITY"] == {"Fn::GetAtt": [_id(stack, two_way.phone_number), "Arn"]}
    assert env["DEAD_LETTER_QUEUE_URL"] == {"Ref": _id(stack, two_way.dead_letter_queue)}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": _id(stack, two_way.idempotency_table)}
    assert env["IDEMPOTENCY_TTL_SECONDS"] == "86400"
    assert "AUTO_REPLY_TEXT" in env and "PARTNER_HANDLER_ARN" not in env
    assert env["PINPOINT_EVENT_STREAM_NAME"] == {"Ref": _id(stack, parts["lake"].delivery_stream)}
    table = template.find_resources("AWS::DynamoDB::Table")[_id(stack, two_way.idempotency_table)]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_replies_use_a_configuration_set_that_feeds_the_lake(built) -> None:
    stack, parts, template = built["Default"]
    two_way, lake = parts["two_way"], parts["lake"]
    configuration_set = template.find_resources("AWS::SMSVOICE::ConfigurationSet")
    assert len(configuration_set) == 1
    env = _function(template, stack, two_way.inbound_function.lambda_function)["Environment"]["Variables"]
    assert env["SMS_CONFIGURATION_SET"] == {"Ref": next(iter(configuration_set))}
    role_ref = {"Ref": _id(stack, two_way.inbound_function.role)}
    send = next(s for s in _statements(template, role_ref) if s["Action"] == "sms-voice:SendTextMessage")
    resources = send["Resource"] if isinstance(send["Resource"], list) else [send["Resource"]]
    assert {"Fn::GetAtt": [_id(stack, two_way.phone_number), "Arn"]} in resources
    assert lake.sms_configuration_sets  # the lake owns the configuration set


def test_self_managed_opt_out_list_registry_and_grants(built) -> None:
    stack, parts, template = built["Default"]
    opt_out, two_way = parts["opt_out"], parts["two_way"]
    opt_out_list = only(template.find_resources("AWS::SMSVOICE::OptOutList"))
    assert opt_out_list["Properties"]["OptOutListName"] == opt_out.opt_out_list_name
    assert opt_out_list["DeletionPolicy"] == "Retain"
    registry = template.find_resources("AWS::DynamoDB::Table")[_id(stack, opt_out.registry_table)]
    assert registry["Properties"]["KeySchema"] == [
        {"AttributeName": "phone_number", "KeyType": "HASH"},
        {"AttributeName": "record", "KeyType": "RANGE"},
    ]
    assert registry["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert registry["Properties"]["DeletionProtectionEnabled"] is True and registry["DeletionPolicy"] == "Retain"
    env = _function(template, stack, two_way.inbound_function.lambda_function)["Environment"]["Variables"]
    assert env["OPT_OUT_LIST_NAME"] == opt_out.opt_out_list_name
    assert env["OPT_OUT_REGISTRY_TABLE"] == {"Ref": _id(stack, opt_out.registry_table)}
    assert env["OPT_OUT_EVENT_BUS_NAME"] == "default"
    config = json.loads(env["KEYWORD_CONFIG"])
    assert config == opt_out.keyword_config
    role_ref = {"Ref": _id(stack, two_way.inbound_function.role)}
    statements = _statements(template, role_ref)
    list_arn = f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:opt-out-list/{opt_out.opt_out_list_name}"
    opt_out_actions = next(s for s in statements if "sms-voice:PutOptedOutNumber" in s["Action"])
    assert set(opt_out_actions["Action"]) == {"sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"}
    assert opt_out_actions["Resource"] == list_arn
    put_events = next(s for s in statements if s["Action"] == "events:PutEvents")
    assert put_events["Resource"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"


def test_pool_with_partner_code(built) -> None:
    stack, parts, template = built["PoolPartner"]
    two_way = parts["two_way"]
    number = only(template.find_resources("AWS::SMSVOICE::PhoneNumber"))
    assert number["Properties"]["NumberType"] == "TOLL_FREE"
    assert number["Properties"]["DeletionProtectionEnabled"] is True and number["DeletionPolicy"] == "Retain"
    assert "TwoWay" not in number["Properties"]  # configured through the pool
    pool = only(template.find_resources("AWS::SMSVOICE::Pool"))["Properties"]
    assert pool["TwoWay"]["Enabled"] is True
    assert pool["OriginationIdentities"] == [{"Fn::GetAtt": [_id(stack, two_way.phone_number), "Arn"]}]
    env = _function(template, stack, two_way.inbound_function.lambda_function)["Environment"]["Variables"]
    assert env["SMS_ORIGINATION_IDENTITY"] == {"Fn::GetAtt": [_id(stack, two_way.pool), "Arn"]}
    assert env["SMS_CONFIGURATION_SET"] == "partner-set"
    assert env["PARTNER_HANDLER_ARN"] == {"Fn::GetAtt": [_id(stack, two_way.partner_function), "Arn"]}
    assert "AUTO_REPLY_TEXT" not in env
    partner = _function(template, stack, two_way.partner_function)
    assert partner["Handler"] == "index.handler" and partner["Architectures"] == ["arm64"]
    role_ref = {"Ref": _id(stack, two_way.inbound_function.role)}
    invoke = next(s for s in _statements(template, role_ref) if s["Action"] == "lambda:InvokeFunction")
    assert {"Fn::GetAtt": [_id(stack, two_way.partner_function), "Arn"]} in invoke["Resource"]


def test_existing_number_gets_two_way_through_a_restoring_custom_resource(built) -> None:
    stack, parts, template = built["Existing"]
    two_way, opt_out = parts["two_way"], parts["opt_out"]
    template.resource_count_is("AWS::SMSVOICE::PhoneNumber", 0)
    template.resource_count_is("AWS::SMSVOICE::OptOutList", 0)
    custom = only(template.find_resources("Custom::SmsTwoWayConfiguration"))["Properties"]
    assert custom["IdentityType"] == "phone-number" and custom["IdentityId"] == "phone-1234567890abcdef"
    assert custom["TwoWayChannelArn"] == {"Ref": _id(stack, two_way.inbound_topic)}
    assert custom["SelfManagedOptOutsEnabled"] == "true" and custom["OptOutListName"] == "partner-list"
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    update = next(s for s in statements if s["Action"] == "sms-voice:UpdatePhoneNumber")
    assert update["Resource"] == f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:phone-number/phone-1234567890abcdef"
    describe = next(s for s in statements if "sms-voice:DescribePhoneNumbers" in s["Action"])
    assert describe["Resource"] == "*"  # read-only; resource-level support is not documented
    assert not any(s["Action"] == "sms-voice:UpdatePool" for s in statements)
    env = _function(template, stack, two_way.inbound_function.lambda_function)["Environment"]["Variables"]
    assert env["AUTO_REPLY_TEXT"] == ""  # replies turned off: the opt-out engine still answers keywords
    assert env["OPT_OUT_LIST_NAME"] == "partner-list"
    assert opt_out.opt_out_list_arn == f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:opt-out-list/partner-list"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_has_zero_unacknowledged_nag_findings(built, variant: str) -> None:
    stack, _, _ = built[variant]
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


def test_invalid_props_are_all_reported_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    with pytest.raises(PropsConflictError) as caught:
        TwoWaySms(
            stack,
            "Sms",
            existing_phone_number_id="phone-1",
            existing_pool_id="pool-1",
            deploy_pool=True,
            number_type="PIGEON",
            reply_message_type="URGENT",
            configuration_set_name="x",
            event_stream=EventStreamToS3(stack, "Lake"),
            batch_size=11,
        )
    assert caught.value.problems == [
        "Either provide existing_phone_number_id or existing_pool_id, but not both.",
        "deploy_pool cannot be combined with an existing number or pool.",
        "number_type must be one of SIMULATOR, LONG_CODE, TOLL_FREE, TEN_DLC, SHORT_CODE.",
        "reply_message_type must be TRANSACTIONAL or PROMOTIONAL.",
        "batch_size must be between 1 and 10.",
    ]


def test_choices_are_enums_as_in_aws_cdk_lib() -> None:
    stack = cdk.Stack(new_app(), "Strings", env=ENV)
    with pytest.raises(PropsConflictError) as caught:
        TwoWaySms(stack, "Sms", number_type="TOLL_FREE", reply_message_type="PROMOTIONAL")  # type: ignore[arg-type]
    assert caught.value.problems == [
        "number_type must be one of SIMULATOR, LONG_CODE, TOLL_FREE, TEN_DLC, SHORT_CODE.",
        "reply_message_type must be TRANSACTIONAL or PROMOTIONAL.",
    ]
    enums = cdk.Stack(new_app(), "Enums", env=ENV)
    two_way = TwoWaySms(enums, "Sms", number_type=NumberType.LONG_CODE, reply_message_type=MessageType.PROMOTIONAL)
    assert enums.resolve(two_way.phone_number.number_type) == "LONG_CODE"  # type: ignore[union-attr]
    functions = Template.from_stack(enums).find_resources("AWS::Lambda::Function").values()
    types = [f["Properties"].get("Environment", {}).get("Variables", {}).get("REPLY_MESSAGE_TYPE") for f in functions]
    assert [value for value in types if value] == ["PROMOTIONAL"]


def test_opt_out_conflicts_and_double_attachment() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    two_way = TwoWaySms(stack, "Sms")
    SelfManagedOptOut(stack, "First", two_way=two_way, **PROGRAM)
    with pytest.raises(PropsConflictError) as caught:
        SelfManagedOptOut(stack, "Second", two_way=two_way, two_way_props={}, program_name=" ", support_contact="x")
    assert caught.value.problems == [
        "Either provide two_way_props or two_way, but not both.",
        "This TwoWaySms already has self-managed opt-outs attached.",
        "keywords: ProgramInfo.program_name must be a non-blank string",
    ]
