"""EventStreamToS3: fine-grained template assertions for each behaviour and each prop variant."""

from __future__ import annotations

import base64
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs import EventStreamToS3, PropsConflictError
from pinpoint_constructs import event_lake_queries as lake_queries
from pinpoint_constructs import event_lake_schema as lake_schema
from pinpoint_constructs import event_lake_views as lake_views
from pinpoint_constructs.core import PythonFunction
from pinpoint_runtime.events.event_types import KIND_VALUES, SOURCES
from tests.conftest import ENV, new_app, only

ACCOUNT, REGION = ENV.account, ENV.region


def _default(stack: cdk.Stack) -> EventStreamToS3:
    lake = EventStreamToS3(stack, "Lake")
    lake.add_sms_configuration_set("Sms")
    lake.add_ses_configuration_set("Ses")
    # a partner's producer: its own code on the library's function type (a library function folder would be checked
    # against that function's settings contract)
    producer = PythonFunction(
        stack,
        "Producer",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        handler="index.handler",
        service_name="producer",
        description="producer",
    ).lambda_function
    lake.add_producer(producer)
    return lake


def _parquet_with_key(stack: cdk.Stack) -> EventStreamToS3:
    key = kms.Key(stack, "LakeKey", enable_key_rotation=True)
    return EventStreamToS3(
        stack,
        "Lake",
        parquet=True,
        encryption_key=key,
        buffering_interval=cdk.Duration.seconds(300),
        buffering_size_mib=128,
        application_id="partner-app",
    )


def _existing_resources(stack: cdk.Stack) -> EventStreamToS3:
    bucket = s3.Bucket.from_bucket_name(stack, "PartnerBucket", "partner-data-lake")
    lake = EventStreamToS3(stack, "Lake", existing_bucket_obj=bucket, log_s3_access_logs=False)
    lake.add_sms_configuration_set("Sms", existing_configuration_set_name="partner-sms-set")
    lake.add_ses_configuration_set(
        "Ses", existing_configuration_set_name="partner-ses-set", matching_event_types=["bounce"]
    )
    return lake


VARIANTS = {"Default": _default, "ParquetKms": _parquet_with_key, "Existing": _existing_resources}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[cdk.Stack, EventStreamToS3, Template]]:
    """Every variant in one app, synthesized once."""
    app = new_app()
    stacks = {}
    for name, build in VARIANTS.items():
        stack = cdk.Stack(app, f"Lake{name}", env=ENV)
        stacks[name] = (stack, build(stack))
    return {name: (stack, lake, Template.from_stack(stack)) for name, (stack, lake) in stacks.items()}


def _logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def _stream(template: Template) -> dict[str, Any]:
    return only(template.find_resources("AWS::KinesisFirehose::DeliveryStream"))["Properties"]


# -------------------------------------------------------------------------------------------------- stream
def test_firehose_partitions_by_source_kind_and_date_through_the_normaliser(built) -> None:
    stack, lake, template = built["Default"]
    stream = _stream(template)
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    destination = stream["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == (
        "events/source=!{partitionKeyFromLambda:source}/kind=!{partitionKeyFromLambda:kind}/"
        "dt=!{partitionKeyFromLambda:dt}/"
    )
    assert destination["ErrorOutputPrefix"] == "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert destination["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["FileExtension"] == ".json.gz"
    assert destination["BucketARN"] == {"Fn::GetAtt": [_logical_id(stack, lake.s3_bucket), "Arn"]}
    assert destination["CloudWatchLoggingOptions"]["Enabled"] is True
    processor = only({"p": destination["ProcessingConfiguration"]["Processors"][0]})
    assert destination["ProcessingConfiguration"]["Enabled"] is True
    assert processor["Type"] == "Lambda"
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters["LambdaArn"] == {"Fn::GetAtt": [_logical_id(stack, lake.normalizer.lambda_function), "Arn"]}
    assert parameters["BufferSizeInMBs"] == "1" and parameters["NumberOfRetries"] == "3"
    assert "DataFormatConversionConfiguration" not in destination


def test_firehose_role_is_confined_to_this_account_and_stream(built) -> None:
    stack, lake, template = built["Default"]
    role = template.find_resources("AWS::IAM::Role")[_logical_id(stack, lake.delivery_stream_role)]
    statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    stream_name = _stream(template)["DeliveryStreamName"]
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{stream_name}"
    }


def test_normaliser_function_gets_the_application_id(built) -> None:
    stack, lake, template = built["Default"]
    function = template.find_resources("AWS::Lambda::Function")[_logical_id(stack, lake.normalizer.lambda_function)]
    env = function["Properties"]["Environment"]["Variables"]
    assert env["APPLICATION_ID"] == lake.application_id and len(lake.application_id) == 32
    assert env["POWERTOOLS_SERVICE_NAME"] == "event-stream-normalizer"
    assert function["Properties"]["Handler"] == "handler.handler"


# -------------------------------------------------------------------------------------------------- catalogue
def test_glue_table_uses_partition_projection_with_the_runtime_enums(built) -> None:
    stack, lake, template = built["Default"]
    table = template.find_resources("AWS::Glue::Table")[stack.get_logical_id(lake.events_table)]["Properties"]
    assert table["DatabaseName"] == lake.database_name
    table_input = table["TableInput"]
    assert table_input["Name"] == "events" and table_input["TableType"] == "EXTERNAL_TABLE"
    assert [k["Name"] for k in table_input["PartitionKeys"]] == ["source", "kind", "dt"]
    params = table_input["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.source.values"].split(",") == list(SOURCES)
    assert params["projection.kind.values"].split(",") == list(KIND_VALUES)
    assert {"unknown", "custom", "email_open", "sms_success", "campaign_send"} <= set(KIND_VALUES)
    assert params["projection.dt.type"] == "date" and params["projection.dt.format"] == "yyyy-MM-dd"
    assert params["projection.dt.range"] == "2015-01-01,NOW"
    bucket_id = _logical_id(stack, lake.s3_bucket)
    assert params["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/events/source=${source}/kind=${kind}/dt=${dt}/"]]
    }
    storage = table_input["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == list(lake_schema.EVENT_COLUMNS)


def test_one_glue_view_per_event_type_with_decodable_presto_text(built) -> None:
    stack, lake, template = built["Default"]
    tables = template.find_resources("AWS::Glue::Table")
    assert set(lake.views) == {view.name for view in lake_views.VIEWS}
    assert len(lake.views) >= 15
    for view in lake_views.VIEWS:
        table_input = tables[stack.get_logical_id(lake.views[view.name])]["Properties"]["TableInput"]
        assert table_input["TableType"] == "VIRTUAL_VIEW"
        assert table_input["Parameters"] == {"presto_view": "true", "comment": "Presto View"}
        encoded = table_input["ViewOriginalText"].removeprefix("/* Presto View: ").removesuffix(" */")
        decoded = json.loads(base64.b64decode(encoded))
        assert decoded["originalSql"] == view.sql
        assert decoded["schema"] == lake.database_name and decoded["catalog"] == "awsdatacatalog"
        assert [c["name"] for c in decoded["columns"]] == view.column_names
        assert [c["Name"] for c in table_input["StorageDescriptor"]["Columns"]] == view.column_names


def test_athena_workgroup_is_enforced_encrypted_and_results_expire(built) -> None:
    stack, lake, template = built["Default"]
    workgroup = only(template.find_resources("AWS::Athena::WorkGroup"))["Properties"]
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    results_id = _logical_id(stack, lake.athena_results_bucket)
    assert config["ResultConfiguration"]["OutputLocation"] == {
        "Fn::Join": ["", ["s3://", {"Ref": results_id}, "/athena/"]]
    }
    assert config["BytesScannedCutoffPerQuery"] == 100 * 1000**3
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results_bucket = template.find_resources("AWS::S3::Bucket")[results_id]["Properties"]
    assert results_bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 30
    queries = template.find_resources("AWS::Athena::NamedQuery")
    assert sorted(q["Properties"]["Name"] for q in queries.values()) == sorted(
        q.name for q in lake_queries.NAMED_QUERIES
    )
    for query in queries.values():
        assert query["Properties"]["WorkGroup"] == workgroup["Name"]
        assert query["Properties"]["Database"] == lake.database_name


# -------------------------------------------------------------------------------------------------- sources
def _role_of(template: Template, role_arn: Any) -> dict[str, Any]:
    return template.find_resources("AWS::IAM::Role")[role_arn["Fn::GetAtt"][0]]["Properties"]


def _policies_of(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_sms_configuration_set_sends_events_through_a_confined_role(built) -> None:
    stack, lake, template = built["Default"]
    configuration_set = only(template.find_resources("AWS::SMSVOICE::ConfigurationSet"))["Properties"]
    name = configuration_set["ConfigurationSetName"]
    destination = only({"d": configuration_set["EventDestinations"][0]})
    assert destination["Enabled"] is True and destination["MatchingEventTypes"] == ["ALL"]
    firehose_destination = destination["KinesisFirehoseDestination"]
    stream_id = _logical_id(stack, lake.delivery_stream)
    assert firehose_destination["DeliveryStreamArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    role_id = firehose_destination["IamRoleArn"]["Fn::GetAtt"][0]
    trust = _role_of(template, firehose_destination["IamRoleArn"])["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:configuration-set/{name}"},
    }
    statements = _policies_of(template, role_id)
    assert statements == [
        {
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [stream_id, "Arn"]},
        }
    ]


def test_ses_configuration_set_requires_tls_and_sends_every_event_type(built) -> None:
    _stack, _lake, template = built["Default"]
    configuration_set_id, configuration_set = next(iter(template.find_resources("AWS::SES::ConfigurationSet").items()))
    assert configuration_set["Properties"]["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    destination = only(template.find_resources("AWS::SES::ConfigurationSetEventDestination"))["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": configuration_set_id}
    event_destination = destination["EventDestination"]
    assert set(event_destination["MatchingEventTypes"]) == {
        "send", "reject", "bounce", "complaint", "delivery", "open", "click",
        "renderingFailure", "deliveryDelay", "subscription",
    }  # fmt: skip
    role_arn = event_destination["KinesisFirehoseDestination"]["IAMRoleARN"]
    trust = _role_of(template, role_arn)["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "ses.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Join": ["", [f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/", {"Ref": configuration_set_id}]]
    }


def test_producer_gets_the_stream_name_and_only_put_permissions(built) -> None:
    stack, lake, template = built["Default"]
    producer = stack.node.find_child("Producer").lambda_function
    function = template.find_resources("AWS::Lambda::Function")[_logical_id(stack, producer)]["Properties"]
    stream_id = _logical_id(stack, lake.delivery_stream)
    assert function["Environment"]["Variables"]["PINPOINT_EVENT_STREAM_NAME"] == {"Ref": stream_id}
    role_id = function["Role"]["Fn::GetAtt"][0]
    assert {
        "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [stream_id, "Arn"]},
    } in _policies_of(template, role_id)


def test_existing_configuration_sets_and_bucket(built) -> None:
    _stack, lake, template = built["Existing"]
    template.resource_count_is("AWS::SES::ConfigurationSet", 0)
    template.resource_count_is("AWS::SMSVOICE::ConfigurationSet", 0)
    buckets = template.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 1  # only the Athena results bucket; the lake writes into the partner's bucket
    assert lake.s3_bucket is None and lake.s3_bucket_interface.bucket_name == "partner-data-lake"
    assert _stream(template)["ExtendedS3DestinationConfiguration"]["BucketARN"] == "arn:aws:s3:::partner-data-lake"
    ses_destination = only(template.find_resources("AWS::SES::ConfigurationSetEventDestination"))["Properties"]
    assert ses_destination["ConfigurationSetName"] == "partner-ses-set"
    assert ses_destination["EventDestination"]["MatchingEventTypes"] == ["bounce"]
    # SMS: a custom resource adds the event destination to the existing set, and removes it on delete
    custom = only(template.find_resources("Custom::AWS"))["Properties"]
    create = json.loads(_join_literal(custom["Create"]))
    delete = json.loads(_join_literal(custom["Delete"]))
    assert create["service"] == "PinpointSMSVoiceV2" and create["action"] == "createEventDestination"
    assert create["parameters"]["ConfigurationSetName"] == "partner-sms-set"
    assert delete["action"] == "deleteEventDestination"
    assert delete["ignoreErrorCodesMatching"] == "ResourceNotFoundException"
    custom_policy = next(
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any(s.get("Action") == "iam:PassRole" for s in p["Properties"]["PolicyDocument"]["Statement"])
    )
    sms_statement = next(s for s in custom_policy if s["Action"] != "iam:PassRole")
    assert set(sms_statement["Action"]) == {
        "sms-voice:CreateEventDestination",
        "sms-voice:UpdateEventDestination",
        "sms-voice:DeleteEventDestination",
    }
    assert sms_statement["Resource"] == f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:configuration-set/partner-sms-set"


def _join_literal(value: Any) -> str:
    """Render an Fn::Join of strings and tokens as one string (tokens become '<token>')."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else "<token>" for p in parts)


# -------------------------------------------------------------------------------------------------- variants
def test_parquet_conversion_reads_the_glue_schema_and_kms_everywhere(built) -> None:
    stack, lake, template = built["ParquetKms"]
    destination = _stream(template)["ExtendedS3DestinationConfiguration"]
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert conversion["SchemaConfiguration"]["TableName"] == {"Ref": stack.get_logical_id(lake.events_table)}
    assert destination.get("CompressionFormat", "UNCOMPRESSED") == "UNCOMPRESSED"  # Snappy inside the files
    assert destination["FileExtension"] == ".parquet"
    assert destination["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}
    key_arn = {"Fn::GetAtt": [stack.get_logical_id(stack.node.find_child("LakeKey").node.default_child), "Arn"]}
    assert destination["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"] == key_arn
    table = template.find_resources("AWS::Glue::Table")[stack.get_logical_id(lake.events_table)]["Properties"][
        "TableInput"
    ]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert table["Parameters"]["classification"] == "parquet"
    workgroup = only(template.find_resources("AWS::Athena::WorkGroup"))["Properties"]["WorkGroupConfiguration"]
    assert workgroup["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": key_arn,
    }
    for bucket_id, bucket in template.find_resources("AWS::S3::Bucket").items():
        algorithm = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        if bucket_id == _logical_id(stack, lake.s3_logging_bucket):
            assert algorithm["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"  # log delivery: SSE-S3 only
        else:
            assert algorithm["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    glue_actions = {
        action
        for statement in _policies_of(template, _logical_id(stack, lake.delivery_stream_role))
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert {"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"} <= glue_actions
    normalizer = template.find_resources("AWS::Lambda::Function")[_logical_id(stack, lake.normalizer.lambda_function)]
    assert normalizer["Properties"]["Environment"]["Variables"]["APPLICATION_ID"] == "partner-app"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_has_zero_unacknowledged_nag_findings(built, variant: str) -> None:
    stack, _, _ = built[variant]
    report = AwsSolutionsChecks().validate_scope(stack)
    findings = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
    assert findings == []


def test_grant_query_reads_the_lake_and_runs_athena_in_the_workgroup() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Query", env=ENV)
    lake = EventStreamToS3(stack, "Lake")
    analyst = lambda_.Function(
        stack,
        "Analyst",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    lake.grant_query(analyst)
    template = Template.from_stack(stack)
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    glue = next(s for s in statements if "glue:GetTable" in s["Action"])
    assert f"arn:aws:glue:{REGION}:{ACCOUNT}:database/{lake.database_name}" in glue["Resource"]
    query_statements = [
        s for s in statements if "athena:" in json.dumps(s["Action"]) or "glue:" in json.dumps(s["Action"])
    ]
    assert query_statements and all(s["Resource"] != "*" for s in query_statements)  # scoped, never "*"
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["athena:StartQueryExecution"]),
                                "Resource": f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{lake.workgroup_name}",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_invalid_props_are_all_reported_in_one_error() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "B", "some-bucket")
    with pytest.raises(PropsConflictError) as caught:
        EventStreamToS3(
            stack,
            "Lake",
            bucket_props={"versioned": True},
            existing_bucket_obj=bucket,
            buffering_size_mib=32,
            buffering_interval=cdk.Duration.seconds(30),
            application_id="not valid!",
        )
    assert caught.value.problems == [
        "Either provide bucket_props or existing_bucket_obj, but not both.",
        "buffering_size_mib must be between 64 and 128 with dynamic partitioning (got 32).",
        "buffering_interval must be between 60 and 900 seconds (got 30).",
        "application_id must be 1-64 letters, digits, '_' or '-'.",
    ]
