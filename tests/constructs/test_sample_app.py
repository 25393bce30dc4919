"""The sample app (app.py): snapshots of every stack, cdk-nag with zero findings, and the main job's wiring."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from syrupy.extensions.json import JSONSnapshotExtension

import app as sample_app
from tests.conftest import CDK_CONTEXT, normalise_asset_hashes

STACK_NAMES = ["PinpointEvents", "PinpointSms", "PinpointAudience", "PinpointAdobeBridge", "PinpointCampaigns"]


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_sample_app_has_the_documented_stacks(sample_templates) -> None:
    assert sorted(sample_templates) == sorted(STACK_NAMES)


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_sample_stack_snapshot(sample_templates, snapshot_json, stack_name: str) -> None:
    """Update with `make snapshot-update` after an intended change, and review the diff."""
    assert normalise_asset_hashes(sample_templates[stack_name]) == snapshot_json


def test_every_sample_stack_has_zero_unacknowledged_nag_findings() -> None:
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    for stack in sample_app.build_sample_app(app):
        report = AwsSolutionsChecks().validate_scope(stack)
        findings = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
        assert findings == [], stack.stack_name


def test_main_job_fails_synth_on_an_unacknowledged_finding(tmp_path) -> None:
    """app.py registers cdk-nag so that `make synth` fails on any finding: prove it with a bad queue."""
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    stacks = sample_app.build_sample_app(app)
    sqs.Queue(stacks[0], "QueueWithoutDlqOrTls")
    sample_app.check_with_cdk_nag(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS3"):
        app.synth()


def test_sample_events_stack_wires_both_configuration_sets(sample_templates) -> None:
    resources = sample_templates["PinpointEvents"]["Resources"].values()
    types = [r["Type"] for r in resources]
    assert types.count("AWS::SMSVOICE::ConfigurationSet") == 1
    assert types.count("AWS::SES::ConfigurationSet") == 1
    assert types.count("AWS::SES::ConfigurationSetEventDestination") == 1
    assert types.count("AWS::KinesisFirehose::DeliveryStream") == 1
    outputs = sample_templates["PinpointEvents"]["Outputs"]
    assert {"SmsConfigurationSetName", "SesConfigurationSetName"} <= set(outputs)


def test_sample_sms_stack_has_two_way_and_self_managed_opt_outs(sample_templates) -> None:
    resources = sample_templates["PinpointSms"]["Resources"].values()
    numbers = [r["Properties"] for r in resources if r["Type"] == "AWS::SMSVOICE::PhoneNumber"]
    assert len(numbers) == 1
    assert numbers[0]["NumberType"] == "SIMULATOR"
    assert numbers[0]["TwoWay"]["Enabled"] is True and numbers[0]["SelfManagedOptOutsEnabled"] is True
    assert [r["Type"] for r in resources].count("AWS::SMSVOICE::OptOutList") == 1
    inbound = next(
        r["Properties"]
        for r in resources
        if r["Type"] == "AWS::Lambda::Function" and "AUTO_REPLY_TEXT" in r["Properties"]["Environment"]["Variables"]
    )
    variables = inbound["Environment"]["Variables"]
    # replies use the events stack's SMS configuration set; inbound messages go to its lake
    for name in ("SMS_CONFIGURATION_SET", "PINPOINT_EVENT_STREAM_NAME"):
        reference = variables[name]
        assert {"Fn::ImportValue", "Fn::GetStackOutput"} & set(reference), reference  # from PinpointEvents
        assert "PinpointEvents" in json.dumps(reference)
    assert variables["OPT_OUT_LIST_NAME"] and variables["KEYWORD_CONFIG"]


def test_sample_audience_stack_imports_into_the_store_with_segments_and_lake_events(sample_templates) -> None:
    template = sample_templates["PinpointAudience"]
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::DynamoDB::Table") == 1 and types.count("AWS::StepFunctions::StateMachine") == 1
    assert types.count("AWS::Events::Rule") == 1 and types.count("AWS::SNS::Topic") == 1
    functions = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    (writer,) = [r for k, r in functions.items() if "RangeWriter" in k]
    variables = writer["Properties"]["Environment"]["Variables"]
    assert variables["IMPORT_DEFINE_SEGMENT"] == "true"
    (reporter,) = [r for k, r in functions.items() if "Reporter" in k]
    # the reporter's notifications also go to the events stack's lake (a cross-stack reference)
    assert "PINPOINT_EVENT_STREAM_NAME" in reporter["Properties"]["Environment"]["Variables"]
    assert {"ImportBucketName", "ImportPrefix", "NotificationTopicArn", "EndpointTableName"} <= set(template["Outputs"])


def test_sample_campaign_stack_wires_the_runner_to_the_other_stacks(sample_templates) -> None:
    template = sample_templates["PinpointCampaigns"]
    functions = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    (sender,) = [r for k, r in functions.items() if "PageSender" in k]
    variables = sender["Properties"]["Environment"]["Variables"]
    # SMS from the SMS stack's simulator number, opt-outs from its registry: cross-stack references
    assert "Fn::GetStackOutput" in json.dumps(variables["CAMPAIGN_SMS_ORIGINATION_IDENTITY"])
    assert "OPT_OUT_REGISTRY_TABLE" in variables and "PINPOINT_EVENT_STREAM_NAME" in variables
    assert "CAMPAIGN_EMAIL_IDENTITY" not in variables  # no -c ses_identity: email is off
    channels = json.dumps(variables["CAMPAIGN_CUSTOM_CHANNELS"])
    assert "inbox" in channels and "webhook" in channels
    assert "AttributeLookup" in json.dumps(variables["CAMPAIGN_HOOK_FUNCTIONS"])
    (planner,) = [r for k, r in functions.items() if "CampaignsPlanner" in k]
    assert "ENDPOINT_STORE_TABLE" in planner["Properties"]["Environment"]["Variables"]  # the audience stack's store
