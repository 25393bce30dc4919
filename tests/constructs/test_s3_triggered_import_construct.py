"""S3TriggeredImport: fine-grained template assertions per behaviour and prop variant."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from pinpoint_constructs import EndpointStore, EventStreamToS3, PropsConflictError, S3TriggeredImport
from tests.conftest import ENV, new_stack, only, synth_variants_with_nag


def _new_bucket(stack: cdk.Stack) -> dict[str, Any]:
    lake = EventStreamToS3(stack, "Lake")
    store = EndpointStore(stack, "Store", event_stream=lake)
    importer = S3TriggeredImport(
        stack, "Import", endpoint_store=store, define_segment=True, event_stream=lake, phone_line_types=["MOBILE"]
    )
    return {"lake": lake, "store": store, "import": importer}


def _existing_bucket(stack: cdk.Stack) -> dict[str, Any]:
    store = EndpointStore(stack, "Store")
    bucket = s3.Bucket.from_bucket_name(stack, "PartnerBucket", "partner-drop-bucket")
    topic = sns.Topic.from_topic_arn(stack, "PartnerTopic", f"arn:aws:sns:{ENV.region}:{ENV.account}:ops")
    importer = S3TriggeredImport(
        stack,
        "Import",
        endpoint_store=store,
        existing_bucket_obj=bucket,
        import_prefix="pinpoint/imports/",
        results_prefix="pinpoint/results/",
        work_prefix="pinpoint/work/",
        notification_topic=topic,
        application_id="partner-app",
        default_country="GB",
        strip_pii_from_rejects=False,
    )
    return {"store": store, "import": importer}


VARIANTS = {"NewBucket": _new_bucket, "ExistingBucket": _existing_bucket}


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return synth_variants_with_nag(VARIANTS, "Import")  # fails on any unacknowledged cdk-nag finding


def _definition(template: Template) -> dict[str, Any]:
    machine = only(template.find_resources("AWS::StepFunctions::StateMachine"))
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "TOKEN" for part in parts)
    return json.loads(text)


def _function_env(template: Template, name: str) -> dict[str, Any]:
    functions = template.find_resources("AWS::Lambda::Function")
    (function,) = [f for logical_id, f in functions.items() if name in logical_id]
    return function["Properties"]["Environment"]["Variables"]


def _statements(template: Template, name: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        s
        for logical_id, p in policies.items()
        if name in logical_id
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_new_bucket_sends_events_to_eventbridge_without_a_notifications_custom_resource(templates):
    template = templates["NewBucket"]
    buckets = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"NotificationConfiguration": Match.any_value()}}
    )
    bucket = only(buckets)["Properties"]
    assert bucket["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert {"Id": "expire-import-work", "Prefix": "import-work/", "ExpirationInDays": 7, "Status": "Enabled"} in bucket[
        "LifecycleConfiguration"
    ]["Rules"]
    template.resource_count_is("Custom::S3BucketNotifications", 0)


def test_an_existing_bucket_keeps_its_other_notifications(templates):
    template = templates["ExistingBucket"]
    notifications = only(template.find_resources("Custom::S3BucketNotifications"))["Properties"]
    # Managed false: aws-cdk-lib's handler merges with the bucket's current configuration instead of replacing it
    # (the reference's custom resource overwrote every notification and wiped them on delete).
    assert notifications["Managed"] is False
    assert notifications["NotificationConfiguration"] == {"EventBridgeConfiguration": {}}
    assert notifications["BucketName"] == "partner-drop-bucket"


def test_the_rule_matches_only_the_import_prefix_of_the_bucket_and_feeds_a_queue_with_a_dead_letter_queue(templates):
    for name, prefix, bucket in (
        ("NewBucket", "incoming/", None),
        ("ExistingBucket", "pinpoint/imports/", "partner-drop-bucket"),
    ):
        template = templates[name]
        rule = only(template.find_resources("AWS::Events::Rule"))["Properties"]
        pattern = rule["EventPattern"]
        assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
        assert pattern["detail"]["object"] == {"key": [{"prefix": prefix}]}
        if bucket:
            assert pattern["detail"]["bucket"]["name"] == [bucket]
        target = only({t["Id"]: t for t in rule["Targets"]})
        queues = template.find_resources("AWS::SQS::Queue", {"Properties": {"RedrivePolicy": Match.any_value()}})
        queue_id = next(k for k in queues if "StartQueue" in k)
        assert target["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        assert queues[queue_id]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
        template.has_resource_properties(
            "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"], "BatchSize": 10}
        )


def test_the_workflow_is_a_logged_traced_standard_state_machine(templates):
    template = templates["NewBucket"]
    machine = only(template.find_resources("AWS::StepFunctions::StateMachine"))["Properties"]
    assert machine["StateMachineType"] == "STANDARD" and machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False  # no rows or addresses in logs
    definition = _definition(template)
    assert definition["TimeoutSeconds"] == 86400
    assert list(definition["States"]) == [
        "Plan",
        "Import ranges",
        "Finish",
        "Imported",
        "Report failure",
        "Import failed",
    ]


def test_the_map_is_distributed_over_the_manifest_and_no_rows_travel_between_states(templates):
    states = _definition(templates["NewBucket"])["States"]
    ranges = states["Import ranges"]
    assert ranges["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert ranges["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert ranges["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert ranges["ItemReader"]["Parameters"]["Key.$"] == "$.run.manifest_key"
    assert ranges["ResultWriter"]["Parameters"]["Prefix"] == "import-work/map-results"
    assert ranges["ResultPath"] is None
    # no tolerated failures (Step Functions' default 0): one range that fails after its retries fails the import
    assert ranges.get("ToleratedFailurePercentage", 0) == 0 and "ToleratedFailureCount" not in ranges
    assert ranges["MaxConcurrency"] == 10
    assert ranges["ItemSelector"] == {"source.$": "$.source", "run.$": "$.run", "chunk.$": "$$.Map.Item.Value"}
    write = ranges["ItemProcessor"]["States"]["Write range"]
    retried = [r["ErrorEquals"] for r in write["Retry"]]
    assert ["ImportRetryableError", "EndpointStoreWriteError", "EndpointStoreError", "ClientError"] in retried
    assert states["Plan"]["Parameters"] == {
        "source.$": "$.source",
        "import_id.$": "$$.Execution.Name",
        "started_at.$": "$$.Execution.StartTime",
    }


def test_every_step_that_can_fail_reports_the_failure_before_the_execution_fails(templates):
    states = _definition(templates["NewBucket"])["States"]
    for name in ("Plan", "Import ranges", "Finish"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Report failure"}
        ], name
    assert states["Report failure"]["Next"] == "Import failed"
    assert states["Report failure"]["Parameters"]["outcome"] == "failed"
    assert states["Import failed"] == {"Type": "Fail", "ErrorPath": "$.failure.error", "CausePath": "$.failure.reason"}


def test_functions_get_the_settings_and_only_their_prefixes(templates):
    env = _function_env(templates["ExistingBucket"], "Planner")
    assert env["IMPORT_RESULTS_PREFIX"] == "pinpoint/results/" and env["IMPORT_WORK_PREFIX"] == "pinpoint/work/"
    assert env["IMPORT_APPLICATION_ID"] == "partner-app" and env["IMPORT_DEFAULT_COUNTRY"] == "GB"
    assert env["IMPORT_STRIP_PII_FROM_REJECTS"] == "false" and env["IMPORT_DEFINE_SEGMENT"] == "false"
    assert env["IMPORT_PHONE_LINE_TYPES"] == ""
    assert env["IMPORT_TOPIC_ARN"] == f"arn:aws:sns:{ENV.region}:{ENV.account}:ops"
    new_env = _function_env(templates["NewBucket"], "RangeWriter")
    assert new_env["IMPORT_DEFINE_SEGMENT"] == "true" and new_env["IMPORT_PHONE_LINE_TYPES"] == "MOBILE"
    assert "ENDPOINT_STORE_TABLE" in new_env and "PINPOINT_EVENT_STREAM_NAME" in new_env
    starter = _function_env(templates["NewBucket"], "Starter")
    assert set(starter) >= {"IMPORT_STATE_MACHINE_ARN"}

    def resources(name: str, action: str) -> list[Any]:
        return [
            s["Resource"]
            for s in _statements(templates["ExistingBucket"], name)
            if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]

    read = json.dumps(resources("Planner", "s3:GetObject*"))
    assert "pinpoint/imports/*" in read and "pinpoint/results" not in read
    assert "pinpoint/work/*" in json.dumps(resources("Planner", "s3:PutObject"))
    assert "pinpoint/results/*" in json.dumps(resources("Reporter", "s3:PutObject"))
    assert "pinpoint/imports" not in json.dumps(resources("Reporter", "s3:GetObject*"))


def test_phone_line_type_lookups_are_granted_only_when_asked(templates):
    def validate_statements(name: str) -> list[dict[str, Any]]:
        return [
            s
            for s in _statements(templates[name], "RangeWriter")
            if s["Action"] == "mobiletargeting:PhoneNumberValidate"
        ]

    (statement,) = validate_statements("NewBucket")
    assert "phone/number/validate" in json.dumps(statement["Resource"])
    assert validate_statements("ExistingBucket") == []


def test_notifications_and_lake_events(templates):
    template = templates["NewBucket"]
    topic = only(template.find_resources("AWS::SNS::Topic"))["Properties"]
    assert "KmsMasterKeyId" in topic
    for name in ("Planner", "Reporter"):
        actions = [s["Action"] for s in _statements(template, name)]
        assert "sns:Publish" in actions, name
        assert any("firehose:PutRecordBatch" in (a if isinstance(a, list) else [a]) for a in actions), name


def test_then_send_is_a_hook_point_with_a_clear_error_until_the_campaign_engine_exists():
    stack = new_stack()
    store = EndpointStore(stack, "Store")
    with pytest.raises(PropsConflictError, match="campaign engine"):
        S3TriggeredImport(stack, "Import", endpoint_store=store, define_segment=True, then_send={"campaign": "x"})


def test_one_error_lists_every_conflicting_prop():
    stack = new_stack()
    store = EndpointStore(stack, "Store")
    with pytest.raises(PropsConflictError) as error:
        S3TriggeredImport(
            stack,
            "Import",
            endpoint_store=store,
            bucket_props={"versioned": True},
            existing_bucket_obj=s3.Bucket.from_bucket_name(stack, "B", "partner-bucket"),
            import_prefix="data/",
            results_prefix="data/results/",
            segment_name="list",
            phone_line_types=["FAX"],
            rows_per_range=5,
            default_country="usa",
        )
    message = str(error.value)
    for fragment in (
        "bucket_props",
        "overlap",
        "segment_name needs define_segment",
        "FAX",
        "rows_per_range",
        "default_country",
    ):
        assert fragment in message, fragment
