"""CampaignHookAttributes and CustomChannel: template assertions per variant, grants, props validation, cdk-nag.

``VARIANTS`` (name -> builder(stack)) is shared with tests/checks/test_template_checks.py (cfn-lint, checkov)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs import CampaignHookAttributes, CustomChannel, PropsConflictError, SecureBucket
from pinpoint_constructs.campaign_hook_attributes import (
    AttributeLookupOptions,
    BuiltInHook,
    ExternalTemplatesOptions,
    FrequencyCapOptions,
    KeyType,
    OnMissingTemplate,
)
from pinpoint_constructs.custom_channel_options import (
    BuiltInChannel,
    CdpWriteBackOptions,
    ConnectVoiceOptions,
    InAppInboxOptions,
    WebhookOptions,
)
from tests.conftest import ENV, new_app, new_stack, only

ACCOUNT, REGION = ENV.account, ENV.region
PARTNER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:partner-hook"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:partner-signing-AbCdEf"
INSTANCE = "11111111-2222-3333-4444-555555555555"


def _runner_role(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "RunnerRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))


def _hook_lookup(stack: cdk.Stack) -> dict[str, Any]:
    hook = CampaignHookAttributes(
        stack,
        "Offers",
        built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
        attribute_lookup=AttributeLookupOptions(key_type=KeyType.USER_ID, attribute_names=["Offer", "Tier"]),
    )
    role = _runner_role(stack)
    hook.grant_invoke(role)
    return {"hook": hook, "runner_role": role}


def _hook_lookup_existing_cmk_table(stack: cdk.Stack) -> dict[str, Any]:
    key = kms.Key(stack, "PartnerKey", enable_key_rotation=True)
    table = dynamodb.Table(
        stack,
        "PartnerTable",
        partition_key=dynamodb.Attribute(name="customerId", type=dynamodb.AttributeType.STRING),
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
    )
    hook = CampaignHookAttributes(
        stack,
        "Offers",
        built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
        attribute_lookup=AttributeLookupOptions(partition_key="customerId", drop_missing=True),
        existing_table_obj=table,
    )
    return {"hook": hook, "table": table, "key": key}


def _hook_templates_s3(stack: cdk.Stack) -> dict[str, Any]:
    bucket = SecureBucket(stack, "TemplateBucket").bucket
    hook = CampaignHookAttributes(
        stack,
        "Templates",
        built_in=BuiltInHook.EXTERNAL_TEMPLATES,
        external_templates=ExternalTemplatesOptions(bucket=bucket, prefix="email/", cache_ttl=cdk.Duration.minutes(1)),
    )
    return {"hook": hook, "bucket": bucket}


def _hook_templates_https(stack: cdk.Stack) -> dict[str, Any]:
    hook = CampaignHookAttributes(
        stack,
        "Templates",
        built_in=BuiltInHook.EXTERNAL_TEMPLATES,
        external_templates=ExternalTemplatesOptions(
            url="https://cms.example.com/templates",
            key_pattern="{CampaignId}.json",
            on_missing=OnMissingTemplate.DROP,
        ),
    )
    return {"hook": hook}


def _hook_frequency_cap(stack: cdk.Stack) -> dict[str, Any]:
    hook = CampaignHookAttributes(
        stack,
        "Cap",
        built_in=BuiltInHook.FREQUENCY_CAP,
        frequency_cap=FrequencyCapOptions(max_messages=3, window=cdk.Duration.days(7), key_type=KeyType.USER_ID),
    )
    return {"hook": hook}


def _hook_partner(stack: cdk.Stack) -> dict[str, Any]:
    code = CampaignHookAttributes(
        stack,
        "PartnerCode",
        handler=lambda_.Code.from_inline("def handler(event, context):\n    return event['Endpoints']\n"),
    )
    existing = CampaignHookAttributes(
        stack, "PartnerFunction", handler=lambda_.Function.from_function_arn(stack, "Partner", PARTNER_ARN)
    )
    return {"code": code, "existing": existing}


def _channel_webhook(stack: cdk.Stack) -> dict[str, Any]:
    channel = CustomChannel(
        stack,
        "Webhook",
        built_in=BuiltInChannel.WEBHOOK,
        webhook=WebhookOptions(url="https://hooks.example.com/pinpoint", retry_status_codes=[429, 503], max_attempts=5),
    )
    role = _runner_role(stack)
    channel.grant_invoke(role)
    return {"channel": channel, "runner_role": role}


def _channel_webhook_existing_secret(stack: cdk.Stack) -> dict[str, Any]:
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Signing", SECRET_ARN)
    channel = CustomChannel(
        stack,
        "Webhook",
        built_in=BuiltInChannel.WEBHOOK,
        webhook=WebhookOptions(url="https://hooks.example.com/p", secret_json_field="key"),
        existing_secret_obj=secret,
    )
    return {"channel": channel}


def _channel_connect(stack: cdk.Stack) -> dict[str, Any]:
    channel = CustomChannel(
        stack,
        "Voice",
        built_in=BuiltInChannel.CONNECT_VOICE,
        connect_voice=ConnectVoiceOptions(
            instance_id=INSTANCE, contact_flow_id="flow-1", source_phone_number="+12065550100", calls_per_second=0.5
        ),
    )
    return {"channel": channel}


def _channel_inbox(stack: cdk.Stack) -> dict[str, Any]:
    channel = CustomChannel(
        stack,
        "Inbox",
        built_in=BuiltInChannel.INAPP_INBOX,
        inapp_inbox=InAppInboxOptions(message_ttl=cdk.Duration.days(7)),
    )
    app_role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    channel.grant_read_inbox(app_role)
    return {"channel": channel, "app_role": app_role}


def _channel_cdp(stack: cdk.Stack) -> dict[str, Any]:
    channel = CustomChannel(
        stack,
        "Cdp",
        built_in=BuiltInChannel.CDP_WRITEBACK,
        cdp_writeback=CdpWriteBackOptions(
            url="https://cdp.example.com/v1/events", auth_header_name="X-Api-Key", include_addresses=True
        ),
    )
    return {"channel": channel}


def _channel_partner(stack: cdk.Stack) -> dict[str, Any]:
    channel = CustomChannel(
        stack,
        "Partner",
        handler=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        handler_entry="index.handler",
    )
    return {"channel": channel}


VARIANTS = {
    "HookLookup": _hook_lookup,
    "HookLookupExistingTable": _hook_lookup_existing_cmk_table,
    "HookTemplatesS3": _hook_templates_s3,
    "HookTemplatesHttps": _hook_templates_https,
    "HookFrequencyCap": _hook_frequency_cap,
    "HookPartner": _hook_partner,
    "ChannelWebhook": _channel_webhook,
    "ChannelWebhookExistingSecret": _channel_webhook_existing_secret,
    "ChannelConnect": _channel_connect,
    "ChannelInbox": _channel_inbox,
    "ChannelCdp": _channel_cdp,
    "ChannelPartner": _channel_partner,
}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[cdk.Stack, dict[str, Any], Template]]:
    app = new_app()
    stacks = {}
    for name, build in VARIANTS.items():  # build every stack before the first synthesis
        stack = cdk.Stack(app, f"Campaign{name}", env=ENV)
        stacks[name] = (stack, build(stack))
    return {name: (stack, parts, Template.from_stack(stack)) for name, (stack, parts) in stacks.items()}


def _id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child if construct.node.default_child else construct)


def _function(built_entry: Any, construct: Any) -> dict[str, Any]:
    stack, _, template = built_entry
    return template.find_resources("AWS::Lambda::Function")[_id(stack, construct.function)]["Properties"]


def _statements(built_entry: Any, role: Any) -> list[dict[str, Any]]:
    stack, _, template = built_entry
    ref = {"Ref": _id(stack, role)}
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _statement_with(built_entry: Any, role: Any, action: str) -> dict[str, Any]:
    matches = [s for s in _statements(built_entry, role) if action in _actions(s)]
    assert len(matches) == 1, f"{action}: {matches}"
    return matches[0]


# --------------------------------------------------------------------------------------------- hooks
def test_attribute_lookup_creates_a_table_and_grants_only_batch_get(built) -> None:
    entry = built["HookLookup"]
    stack, parts, template = entry
    hook = parts["hook"]
    function = _function(entry, hook)
    assert function["Timeout"] == 15 and function["Handler"] == "handler.handler"
    assert function["Architectures"] == ["arm64"]
    env = function["Environment"]["Variables"]
    assert env["LOOKUP_TABLE_NAME"] == {"Ref": _id(stack, hook.table)}
    assert env["LOOKUP_KEY_TYPE"] == "USER_ID" and env["LOOKUP_ATTRIBUTE_NAMES"] == "Offer,Tier"
    assert env["LOOKUP_DROP_MISSING"] == "false" and env["LOOKUP_PARTITION_KEY"] == "id"
    table = template.find_resources("AWS::DynamoDB::Table")[_id(stack, hook.table)]
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    dynamo = [a for s in _statements(entry, hook.python_function.role) for a in _actions(s) if a.startswith("dynamodb")]
    assert dynamo == ["dynamodb:BatchGetItem"]
    invoke = _statement_with(entry, parts["runner_role"], "lambda:InvokeFunction")
    assert {"Fn::GetAtt": [_id(stack, hook.function), "Arn"]} in invoke["Resource"]


def test_attribute_lookup_on_an_existing_cmk_table(built) -> None:
    entry = built["HookLookupExistingTable"]
    stack, parts, template = entry
    hook = parts["hook"]
    assert hook.table is parts["table"]
    assert len(template.find_resources("AWS::DynamoDB::Table")) == 1  # only the partner's
    env = _function(entry, hook)["Environment"]["Variables"]
    assert env["LOOKUP_PARTITION_KEY"] == "customerId" and env["LOOKUP_DROP_MISSING"] == "true"
    decrypt = _statement_with(entry, hook.python_function.role, "kms:Decrypt")
    assert decrypt["Resource"] == {"Fn::GetAtt": [_id(stack, parts["key"]), "Arn"]}
    assert "kms:Encrypt" not in _actions(decrypt)


def test_s3_templates_read_only_under_the_prefix(built) -> None:
    entry = built["HookTemplatesS3"]
    stack, parts, _ = entry
    hook, bucket = parts["hook"], parts["bucket"]
    env = _function(entry, hook)["Environment"]["Variables"]
    assert env["TEMPLATE_BUCKET"] == {"Ref": _id(stack, bucket)} and env["TEMPLATE_PREFIX"] == "email/"
    assert env["TEMPLATE_CACHE_TTL_SECONDS"] == "60" and env["TEMPLATE_ON_MISSING"] == "FAIL"
    assert env["TEMPLATE_KEY_PATTERN"] == "{CampaignId}/{TreatmentId}/{Locale}.json"
    get = _statement_with(entry, hook.python_function.role, "s3:GetObject")
    assert _actions(get) == ["s3:GetObject"]
    assert get["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [_id(stack, bucket), "Arn"]}, "/email/*"]]}
    listing = _statement_with(entry, hook.python_function.role, "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["email/*"]}}
    assert not any(
        a.startswith(("s3:Put", "s3:Delete"))
        for s in _statements(entry, hook.python_function.role)
        for a in _actions(s)
    )


def test_https_templates_and_frequency_cap_settings(built) -> None:
    https = built["HookTemplatesHttps"]
    env = _function(https, https[1]["hook"])["Environment"]["Variables"]
    assert env["TEMPLATE_BASE_URL"] == "https://cms.example.com/templates"
    assert env["TEMPLATE_ON_MISSING"] == "DROP" and "TEMPLATE_BUCKET" not in env
    assert int(env["TEMPLATE_HTTP_TIMEOUT_SECONDS"]) < 15

    entry = built["HookFrequencyCap"]
    stack, parts, template = entry
    hook = parts["hook"]
    env = _function(entry, hook)["Environment"]["Variables"]
    assert env["CAP_MAX_MESSAGES"] == "3" and env["CAP_WINDOW_SECONDS"] == str(7 * 86400)
    assert env["CAP_KEY_TYPE"] == "USER_ID"
    table = template.find_resources("AWS::DynamoDB::Table")[_id(stack, hook.table)]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    dynamo = sorted(
        a for s in _statements(entry, hook.python_function.role) for a in _actions(s) if a.startswith("dynamodb")
    )
    assert dynamo == ["dynamodb:GetItem", "dynamodb:UpdateItem"]


def test_partner_hooks_from_code_or_an_existing_function(built) -> None:
    entry = built["HookPartner"]
    _, parts, template = entry
    code_fn = _function(entry, parts["code"])
    assert code_fn["Handler"] == "index.handler" and "ZipFile" in code_fn["Code"]
    assert code_fn["Timeout"] == 15
    assert parts["existing"].function.function_arn == PARTNER_ARN
    assert parts["existing"].python_function is None and parts["existing"].table is None
    assert len(template.find_resources("AWS::Lambda::Function")) == 1


# --------------------------------------------------------------------------------------------- channels
def test_webhook_channel_with_a_generated_cmk_secret(built) -> None:
    entry = built["ChannelWebhook"]
    stack, parts, template = entry
    channel = parts["channel"]
    env = _function(entry, channel)["Environment"]["Variables"]
    assert env["WEBHOOK_URL"] == "https://hooks.example.com/pinpoint"
    assert env["SIGNING_SECRET_ID"] == {"Ref": _id(stack, channel.secret)}
    assert env["RETRY_STATUS_CODES"] == "429,503" and env["MAX_ATTEMPTS"] == "5"
    assert env["REQUEST_TIMEOUT_SECONDS"] == "5"
    assert not any(
        "secret" in str(v).lower() and "arn" not in str(v).lower() and k != "SIGNING_SECRET_ID" for k, v in env.items()
    )
    secret = template.find_resources("AWS::SecretsManager::Secret")[_id(stack, channel.secret)]
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [_id(stack, channel.secret_key), "Arn"]}
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 48
    read = _statement_with(entry, channel.python_function.role, "secretsmanager:GetSecretValue")
    assert read["Resource"] == {"Ref": _id(stack, channel.secret)}
    invoke = _statement_with(entry, parts["runner_role"], "lambda:InvokeFunction")
    assert {"Fn::GetAtt": [_id(stack, channel.function), "Arn"]} in invoke["Resource"]


def test_webhook_channel_with_an_existing_secret(built) -> None:
    entry = built["ChannelWebhookExistingSecret"]
    _, parts, template = entry
    channel = parts["channel"]
    assert channel.secret_key is None and not template.find_resources("AWS::SecretsManager::Secret")
    env = _function(entry, channel)["Environment"]["Variables"]
    assert env["SIGNING_SECRET_ID"] == SECRET_ARN and env["SIGNING_SECRET_JSON_FIELD"] == "key"
    assert (
        _statement_with(entry, channel.python_function.role, "secretsmanager:GetSecretValue")["Resource"] == SECRET_ARN
    )


def test_connect_channel_grant_is_limited_to_the_instance(built) -> None:
    entry = built["ChannelConnect"]
    _, parts, _ = entry
    channel = parts["channel"]
    function = _function(entry, channel)
    assert function["Timeout"] == 130  # 50 calls at 0.5/s + 30 s
    env = function["Environment"]["Variables"]
    assert env["CONNECT_INSTANCE_ID"] == INSTANCE and env["CONNECT_CONTACT_FLOW_ID"] == "flow-1"
    assert env["CONNECT_SOURCE_PHONE_NUMBER"] == "+12065550100" and env["CALLS_PER_SECOND"] == "0.5"
    call = _statement_with(entry, channel.python_function.role, "connect:StartOutboundVoiceContact")
    assert _actions(call) == ["connect:StartOutboundVoiceContact"]
    assert call["Resource"] == f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}/contact/*"


def test_inbox_channel_table_keys_ttl_and_grants(built) -> None:
    entry = built["ChannelInbox"]
    stack, parts, template = entry
    channel = parts["channel"]
    table = template.find_resources("AWS::DynamoDB::Table")[_id(stack, channel.inbox_table)]["Properties"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    env = _function(entry, channel)["Environment"]["Variables"]
    assert env["INBOX_TTL_SECONDS"] == str(7 * 86400) and env["INBOX_KEY_TYPE"] == "USER_ID"
    writes = [
        a for s in _statements(entry, channel.python_function.role) for a in _actions(s) if a.startswith("dynamodb")
    ]
    assert writes == ["dynamodb:PutItem"]
    app_actions = {a for s in _statements(entry, parts["app_role"]) for a in _actions(s)}
    assert "dynamodb:Query" in app_actions and "dynamodb:PutItem" not in app_actions


def test_cdp_and_partner_channels(built) -> None:
    entry = built["ChannelCdp"]
    stack, parts, _ = entry
    env = _function(entry, parts["channel"])["Environment"]["Variables"]
    assert env["CDP_URL"] == "https://cdp.example.com/v1/events" and env["AUTH_HEADER_NAME"] == "X-Api-Key"
    assert env["INCLUDE_ADDRESSES"] == "true" and env["AUTH_SECRET_ID"] == {"Ref": _id(stack, parts["channel"].secret)}

    partner = built["ChannelPartner"]
    function = _function(partner, partner[1]["channel"])
    assert function["Handler"] == "index.handler" and function["Timeout"] == 60
    assert partner[1]["channel"].secret is None and partner[1]["channel"].inbox_table is None
    with pytest.raises(ValueError, match="INAPP_INBOX"):
        partner[1]["channel"].grant_read_inbox(iam.Role(partner[0], "X", assumed_by=iam.AccountRootPrincipal()))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_has_zero_unacknowledged_nag_findings(built, variant: str) -> None:
    stack = built[variant][0]
    report = AwsSolutionsChecks().validate_scope(stack)
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


# --------------------------------------------------------------------------------------------- validation
def test_hook_props_problems_are_reported_together() -> None:
    stack = new_stack(new_app())
    with pytest.raises(PropsConflictError) as error:
        CampaignHookAttributes(
            stack,
            "Bad",
            built_in=BuiltInHook.EXTERNAL_TEMPLATES,
            external_templates=ExternalTemplatesOptions(
                url="http://cms.example.com", key_pattern="{Campaign}.json", on_missing="SKIP"
            ),
            frequency_cap=FrequencyCapOptions(max_messages=2, window=cdk.Duration.hours(1)),
            attribute_lookup=AttributeLookupOptions(attribute_names=["x"]),
            timeout=cdk.Duration.seconds(30),
        )
    assert error.value.problems == [
        "attribute_lookup applies only to ATTRIBUTE_LOOKUP.",
        "frequency_cap applies only to FREQUENCY_CAP.",
        "external_templates.url must be an https:// URL.",
        "external_templates.key_pattern has unknown placeholders: ['Campaign'].",
        "external_templates.on_missing must be one of FAIL, DROP.",
        "timeout must be 15 seconds or less (the runner's budget per hook call, as in Pinpoint).",
    ]
    with pytest.raises(PropsConflictError) as error:
        CampaignHookAttributes(
            stack,
            "BadKey",
            built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
            attribute_lookup=AttributeLookupOptions(key_type="EMAIL", partition_key="no spaces"),
        )
    assert error.value.problems == [
        "attribute_lookup.key_type must be one of ENDPOINT_ID, USER_ID.",
        "attribute_lookup.partition_key must be a DynamoDB attribute name.",
    ]
    with pytest.raises(PropsConflictError, match="exactly one of handler or built_in"):
        CampaignHookAttributes(stack, "Neither")
    with pytest.raises(PropsConflictError, match="built_in must be one of ATTRIBUTE_LOOKUP, EXTERNAL_TEMPLATES"):
        CampaignHookAttributes(stack, "Unknown", built_in="LOOKUP")
    with pytest.raises(PropsConflictError, match=r"FREQUENCY_CAP needs frequency_cap=FrequencyCapOptions"):
        CampaignHookAttributes(stack, "Cap", built_in=BuiltInHook.FREQUENCY_CAP)
    with pytest.raises(PropsConflictError) as error:
        CampaignHookAttributes(
            stack,
            "CapZero",
            built_in=BuiltInHook.FREQUENCY_CAP,
            frequency_cap=FrequencyCapOptions(max_messages=0, window=cdk.Duration.millis(10)),
        )
    assert error.value.problems == [
        "frequency_cap.max_messages must be 1 or more.",
        "frequency_cap.window must be 1 s or more.",
    ]
    with pytest.raises(PropsConflictError, match="external_templates needs exactly one of bucket or url"):
        CampaignHookAttributes(
            stack, "NoSource", built_in=BuiltInHook.EXTERNAL_TEMPLATES, external_templates=ExternalTemplatesOptions()
        )
    with pytest.raises(PropsConflictError, match="EXTERNAL_TEMPLATES needs external_templates"):
        CampaignHookAttributes(stack, "NoOptions", built_in=BuiltInHook.EXTERNAL_TEMPLATES)


def test_channel_props_problems_are_reported_together() -> None:
    stack = new_stack(new_app())
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "S", SECRET_ARN)
    with pytest.raises(PropsConflictError) as error:
        CustomChannel(
            stack,
            "Bad",
            built_in=BuiltInChannel.CONNECT_VOICE,
            connect_voice=ConnectVoiceOptions(
                instance_id=f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/x",
                contact_flow_id="",
                source_phone_number="2065550100",
                calls_per_second=0,
            ),
            webhook=WebhookOptions(url="https://x.example.com"),
            existing_secret_obj=secret,
            secret_props={},
            inapp_inbox=InAppInboxOptions(message_ttl=cdk.Duration.days(1)),
            table_props={},
        )
    assert error.value.problems == [
        "Either provide secret_props or existing_secret_obj, but not both.",
        "secret_props/existing_secret_obj apply only to WEBHOOK and CDP_WRITEBACK.",
        "webhook applies only to WEBHOOK.",
        "inapp_inbox applies only to INAPP_INBOX.",
        "table_props applies only to INAPP_INBOX.",
        "connect_voice needs instance_id and contact_flow_id.",
        "connect_voice.instance_id is the instance id, not its ARN.",
        "connect_voice.source_phone_number must be E.164 (e.g. +12065550100).",
        "connect_voice.calls_per_second must be above 0 and at most 100.",
    ]
    with pytest.raises(PropsConflictError) as error:
        CustomChannel(
            stack,
            "Hook",
            built_in=BuiltInChannel.WEBHOOK,
            webhook=WebhookOptions(
                url="http://plain.example.com",
                retry_status_codes=[200, 503],
                request_timeout=cdk.Duration.seconds(60),
                secret_json_field="not a field",
            ),
        )
    assert "webhook.url must be an https:// URL." in error.value.problems
    assert "webhook.retry_status_codes must be non-2xx HTTP statuses." in error.value.problems
    assert "webhook.request_timeout must be between 1 and 30 seconds." in error.value.problems
    assert "webhook.secret_json_field must be letters, digits or '_'." in error.value.problems
    assert "timeout must be longer than webhook.request_timeout." in error.value.problems
    with pytest.raises(PropsConflictError, match="timeout must exceed 50 calls"):
        CustomChannel(
            stack,
            "Slow",
            built_in=BuiltInChannel.CONNECT_VOICE,
            connect_voice=ConnectVoiceOptions(
                instance_id=INSTANCE, contact_flow_id="f", queue_id="q", calls_per_second=0.1
            ),
            timeout=cdk.Duration.minutes(5),
        )
    with pytest.raises(PropsConflictError) as error:
        CustomChannel(stack, "NoOptions", built_in=BuiltInChannel.CDP_WRITEBACK)
    assert error.value.problems == ["CDP_WRITEBACK needs cdp_writeback=CdpWriteBackOptions(...)."]
    with pytest.raises(PropsConflictError) as error:
        CustomChannel(
            stack,
            "BadCdp",
            built_in=BuiltInChannel.CDP_WRITEBACK,
            cdp_writeback=CdpWriteBackOptions(url="https://cdp.example.com", auth_header_name="Bad Header"),
        )
    assert error.value.problems == ["cdp_writeback.auth_header_name must be an HTTP header name."]
    with pytest.raises(PropsConflictError) as error:
        CustomChannel(
            stack,
            "BadInbox",
            built_in=BuiltInChannel.INAPP_INBOX,
            inapp_inbox=InAppInboxOptions(key_type="EMAIL", message_ttl=cdk.Duration.seconds(5)),
        )
    assert error.value.problems == [
        "inapp_inbox.key_type must be one of ENDPOINT_ID, USER_ID.",
        "inapp_inbox.message_ttl must be at least 1 minute.",
    ]
    with pytest.raises(PropsConflictError, match="built_in must be one of WEBHOOK, CONNECT_VOICE"):
        CustomChannel(stack, "Unknown", built_in="SMTP")
    inbox = CustomChannel(stack, "Inbox", built_in=BuiltInChannel.INAPP_INBOX)
    assert only(Template.from_stack(stack).find_resources("AWS::DynamoDB::Table"))  # nothing else made a table
    assert inbox.secret is None
