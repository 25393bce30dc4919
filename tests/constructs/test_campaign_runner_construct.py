"""CampaignRunner: template assertions per behaviour and prop variant."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from pinpoint_constructs import (
    CampaignHookAttributes,
    CampaignRunner,
    CustomChannel,
    EndpointStore,
    EventStreamToS3,
    PropsConflictError,
    SelfManagedOptOut,
    TwoWaySms,
)
from pinpoint_constructs.core import SecureBucket
from tests.conftest import new_stack, only, synth_variants_with_nag

PARTNER_HOOK = "arn:aws:lambda:us-east-1:123456789012:function:partner-hook"


def _full(stack: cdk.Stack) -> dict[str, Any]:
    lake = EventStreamToS3(stack, "Lake")
    store = EndpointStore(stack, "Store", event_stream=lake)
    two_way = TwoWaySms(stack, "Sms", event_stream=lake)
    opt_out = SelfManagedOptOut(
        stack, "OptOut", two_way=two_way, program_name="Example", support_contact="support@example.com"
    )
    hook = CampaignHookAttributes(stack, "Lookup", built_in="ATTRIBUTE_LOOKUP")
    inbox = CustomChannel(stack, "Inbox", built_in="INAPP_INBOX")
    runner = CampaignRunner(
        stack,
        "Runner",
        endpoint_store=store,
        two_way=two_way,
        opt_out=opt_out,
        event_stream=lake,
        hooks=[hook],
        custom_channels={"inbox": inbox},
        email_identity="example.com",
        email_configuration_set_name="events",
        sms_messages_per_second=3,
        max_concurrency=3,
    )
    return {"runner": runner, "hook": hook, "inbox": inbox}


def _minimal(stack: cdk.Stack) -> dict[str, Any]:
    partner = lambda_.Function.from_function_arn(stack, "PartnerHook", PARTNER_HOOK)
    runner = CampaignRunner(
        stack,
        "Runner",
        hooks=[partner],
        sms_origination_identity_arn="arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1",
        ledger_retention=cdk.Duration.days(7),
        template_bucket=SecureBucket(stack, "Templates").bucket,
        template_prefix="pinpoint/",
    )
    return {"runner": runner}


VARIANTS = {"Full": _full, "Minimal": _minimal}


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return synth_variants_with_nag(VARIANTS, "Campaign")  # fails on any unacknowledged cdk-nag finding


def _definition(template: Template) -> dict[str, Any]:
    machine = only(template.find_resources("AWS::StepFunctions::StateMachine"))
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))


def _sender(template: Template) -> dict[str, Any]:
    functions = template.find_resources("AWS::Lambda::Function")
    (sender,) = [f for k, f in functions.items() if "RunnerPageSender" in k]
    return sender["Properties"]


def _sender_statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        s
        for k, p in policies.items()
        if "RunnerPageSender" in k
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_workflow_plans_sends_pages_in_a_distributed_map_and_summarizes(templates):
    states = _definition(templates["Full"])["States"]
    assert list(states) == ["Plan", "Send pages", "Summarize", "Done", "Report failure", "Run failed"]
    pages = states["Send pages"]
    assert pages["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert pages["MaxConcurrency"] == 3 and pages["ResultPath"] is None
    assert pages["ItemReader"]["Parameters"]["Key.$"] == "$.run.manifest_key"
    retries = [r["ErrorEquals"] for r in pages["ItemProcessor"]["States"]["Send page"]["Retry"]]
    assert ["ClientError", "ThrottlingException", "PageNotFinished"] in retries
    for name in ("Plan", "Send pages", "Summarize"):
        assert states[name]["Catch"][0]["Next"] == "Report failure"
    machine = only(templates["Full"].find_resources("AWS::StepFunctions::StateMachine"))["Properties"]
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert machine["TracingConfiguration"] == {"Enabled": True}


def test_sms_rate_is_shared_between_the_concurrent_page_senders(templates):
    env = _sender(templates["Full"])["Environment"]["Variables"]
    assert env["CAMPAIGN_SMS_MPS"] == "1"  # 3 MPS / 3 concurrent pages: never above the identity's rate
    assert _sender(templates["Minimal"])["Environment"]["Variables"]["CAMPAIGN_SMS_MPS"] == "0.5"
    # pages sized to what one sender can send in ~10 minutes at its share of the rate
    assert env["CAMPAIGN_PAGE_SIZE"] == "600"
    assert _sender(templates["Minimal"])["Environment"]["Variables"]["CAMPAIGN_PAGE_SIZE"] == "300"


def test_hooks_and_channels_are_invoked_by_the_page_sender_only(templates):
    env = _sender(templates["Full"])["Environment"]["Variables"]
    assert "CAMPAIGN_HOOK_FUNCTIONS" in env and "CAMPAIGN_CUSTOM_CHANNELS" in env
    invoke = json.dumps(
        [s["Resource"] for s in _sender_statements(templates["Full"]) if s["Action"] == "lambda:InvokeFunction"]
    )
    assert "LookupFunction" in invoke and "InboxFunction" in invoke
    minimal_env = _sender(templates["Minimal"])["Environment"]["Variables"]
    assert PARTNER_HOOK in json.dumps(minimal_env["CAMPAIGN_HOOK_FUNCTIONS"])


def test_delivery_permissions_are_scoped_to_the_identity_configuration_sets_and_email_identity(templates):
    statements = _sender_statements(templates["Full"])
    sms = [s for s in statements if s["Action"] == "sms-voice:SendTextMessage"]
    assert sms and "*" not in json.dumps([s["Resource"] for s in sms]).replace(":*", "")
    (email,) = [s for s in statements if s["Action"] == "ses:SendEmail"]
    resources = json.dumps(email["Resource"])
    assert "identity/example.com" in resources and "configuration-set/events" in resources
    minimal = _sender_statements(templates["Minimal"])
    assert [s["Resource"] for s in minimal if s["Action"] == "sms-voice:SendTextMessage"] == [
        "arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1"
    ]
    assert not [s for s in minimal if s["Action"] == "ses:SendEmail"]  # no identity, no email permission


def test_the_ledger_remembers_sends_and_scheduled_runs_have_a_role_and_group(templates):
    template = templates["Minimal"]
    tables = template.find_resources("AWS::DynamoDB::Table")
    ledger = only({k: t for k, t in tables.items() if "SendLedger" in k})["Properties"]
    assert ledger["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert ledger["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    template.resource_count_is("AWS::Scheduler::ScheduleGroup", 1)
    roles = template.find_resources("AWS::IAM::Role")
    (scheduler_role,) = [r for k, r in roles.items() if "SchedulerRole" in k]
    statement = scheduler_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_ledger_retention_reaches_the_ledger_writes(templates, fake_aws_credentials):
    """ledger_retention (once written nowhere) is the TTL the page sender's ledger puts on every claim."""
    import boto3
    from moto import mock_aws

    from pinpoint_runtime.campaigns.ledger import LedgerSettings, SendLedger
    from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE

    minimal = _sender(templates["Minimal"])["Environment"]["Variables"]
    full = _sender(templates["Full"])["Environment"]["Variables"]
    assert minimal["CAMPAIGN_LEDGER_TTL_DAYS"] == "7" and "CAMPAIGN_LEDGER_TTL_DAYS" not in full  # default: 30
    environment = {"CAMPAIGN_LEDGER_TABLE": "ledger", "CAMPAIGN_LEDGER_TTL_DAYS": minimal["CAMPAIGN_LEDGER_TTL_DAYS"]}
    settings = LedgerSettings.from_environment(environment)
    assert settings.ttl_seconds == 7 * 86400
    assert LedgerSettings.from_environment({"CAMPAIGN_LEDGER_TABLE": "ledger"}).ttl_seconds == 30 * 86400
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="ledger",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ledger = SendLedger.from_settings(settings, client=dynamodb, clock=lambda: 1_700_000_000.0)
        assert ledger.claim("app#camp#0#ep-1", channel="SMS")
        item = dynamodb.get_item(TableName="ledger", Key={"pk": {"S": "app#camp#0#ep-1"}})["Item"]
    assert item[TTL_ATTRIBUTE] == {"N": str(1_700_000_000 + 7 * 86400)}


def test_templates_are_read_from_the_template_bucket_and_prefix(templates):
    env = _sender(templates["Minimal"])["Environment"]["Variables"]
    assert env["CAMPAIGN_TEMPLATE_PREFIX"] == "pinpoint/" and "Ref" in env["CAMPAIGN_TEMPLATE_BUCKET"]
    assert "CAMPAIGN_TEMPLATE_BUCKET" not in _sender(templates["Full"])["Environment"]["Variables"]


def test_the_ledger_takes_a_customer_managed_key_and_keeps_its_key_schema():
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_kms as kms

    stack = new_stack()
    key = kms.Key(stack, "LedgerKey", enable_key_rotation=True)
    runner = CampaignRunner(stack, "Runner", ledger_table_props={
        "encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED, "encryption_key": key,
        "partition_key": dynamodb.Attribute(name="other", type=dynamodb.AttributeType.NUMBER),
    })  # fmt: skip
    template = Template.from_stack(stack)
    ledger = template.to_json()["Resources"][stack.get_logical_id(runner.ledger_table.node.default_child)]
    properties = ledger["Properties"]
    key_id = stack.get_logical_id(key.node.default_child)
    assert properties["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "SSEEnabled": True,
                                              "SSEType": "KMS"}  # fmt: skip
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]  # the construct's key wins
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    sender_role = stack.get_logical_id(runner.page_sender_function.lambda_function.role.node.default_child)
    policies = [p for p in template.find_resources("AWS::IAM::Policy").values()
                if {"Ref": sender_role} in p["Properties"]["Roles"]]  # fmt: skip
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert any(s["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]} and "kms:Decrypt" in s["Action"] for s in statements)


def test_grant_start_lets_an_operator_start_schedule_and_read_runs():
    stack = new_stack()
    runner = CampaignRunner(stack, "Runner")
    from aws_cdk import aws_iam as iam

    operator = iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal())
    runner.grant_start(operator)
    statements = json.dumps(Template.from_stack(stack).find_resources("AWS::IAM::Policy"))
    for action in ("states:StartExecution", "states:DescribeExecution", "scheduler:CreateSchedule", "iam:PassRole"):
        assert action in statements, action


def test_conflicting_props_are_listed_in_one_error():
    stack = new_stack()
    two_way = TwoWaySms(stack, "Sms")
    with pytest.raises(PropsConflictError) as error:
        CampaignRunner(
            stack,
            "Runner",
            two_way=two_way,
            sms_origination_identity_arn="arn:x",
            sms_messages_per_second=0,
            max_concurrency=0,
            email_configuration_set_name="set",
            custom_channels={"bad name!": two_way.inbound_function.lambda_function},
        )
    message = str(error.value)
    for fragment in (
        "two_way or sms_origination_identity_arn",
        "positive",
        "max_concurrency",
        "email_configuration_set_name needs email_identity",
        "bad name!",
    ):
        assert fragment in message, fragment
