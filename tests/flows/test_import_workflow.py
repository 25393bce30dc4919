"""The S3TriggeredImport workflow end to end in moto: S3 drop → starter → the synthesized state machine run by
moto's Step Functions interpreter (Distributed Map over the manifest) → EndpointStore, rejects, segment,
notifications. The handlers run in process (tests/support/import_workflow_harness.py)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaBackend

from pinpoint_constructs import EndpointStore, S3TriggeredImport
from pinpoint_runtime.audience.import_source import ImportSource, import_execution_name
from pinpoint_runtime.audience.store import EndpointStore as StoreClient
from tests.conftest import TEST_DATA, new_app, new_stack
from tests.support.import_workflow_harness import (
    REGION,
    InProcessLambda,
    create_functions,
    definition_for,
    resolve,
    wait_for,
)

DATA = TEST_DATA / "imports"
BUCKET = "partner-imports"
TABLE = "endpoints"
APP = "app-1"


@pytest.fixture(scope="module")
def workflow_template() -> dict[str, Any]:
    stack = new_stack(new_app())
    store = EndpointStore(stack, "Store")
    S3TriggeredImport(
        stack, "Import", endpoint_store=store, application_id=APP, define_segment=True, rows_per_range=100
    )
    from aws_cdk.assertions import Template

    return Template.from_stack(stack).to_json()


@dataclass
class World:
    s3: Any
    sfn: Any
    sqs: Any
    queue_url: str
    machine_arn: str
    dispatcher: InProcessLambda
    store: StoreClient

    def drop(self, key: str, body: bytes) -> dict[str, Any]:
        """Put the object, deliver its EventBridge event to the starter, wait for the execution."""
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        event = self.object_created(key)
        self.start(event)
        name = import_execution_name(ImportSource.from_event(event))
        return wait_for(self.sfn, f"{self.machine_arn.replace(':stateMachine:', ':execution:')}:{name}")

    def object_created(self, key: str) -> dict[str, Any]:
        head = self.s3.head_object(Bucket=BUCKET, Key=key)
        return {
            "version": "0",
            "id": "e-1",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "region": REGION,
            "resources": [f"arn:aws:s3:::{BUCKET}"],
            "detail": {
                "version": "0",
                "bucket": {"name": BUCKET},
                "object": {
                    "key": key,
                    "size": head["ContentLength"],
                    "etag": head["ETag"].strip('"'),
                    "version-id": head.get("VersionId"),
                },
                "reason": "PutObject",
            },
        }

    def start(self, *events: dict[str, Any]) -> dict[str, Any]:
        from import_starter.handler import handler

        records = [{"messageId": f"m{i}", "body": json.dumps(e)} for i, e in enumerate(events)]
        return handler({"Records": records}, _context("Starter"))

    def notifications(self) -> list[dict[str, Any]]:
        out = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return out
            for message in messages:
                envelope = json.loads(message["Body"])
                body = json.loads(envelope["Message"])
                assert envelope["MessageAttributes"]["notification_type"]["Value"] == body["notification_type"]
                out.append(body)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def text(self, key: str) -> str:
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")


def _context(name: str) -> Any:
    from tests.support.import_workflow_harness import LambdaContext

    return LambdaContext(name)


@pytest.fixture
def world(fake_aws_credentials, monkeypatch, workflow_template) -> World:
    dispatcher = InProcessLambda()
    monkeypatch.setattr(LambdaBackend, "invoke", lambda backend, *args: dispatcher(backend, *args))
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "user_key")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_user",
                    "KeySchema": [
                        {"AttributeName": "user_key", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name="import-notifications")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

        # the environment the construct gives the functions, resolved to the moto resources
        names = {}
        for logical_id, resource in workflow_template["Resources"].items():
            if resource["Type"] == "AWS::S3::Bucket" and "ImportBucket" in logical_id and "Logs" not in logical_id:
                names[logical_id] = BUCKET
            elif resource["Type"] == "AWS::SNS::Topic":
                names[logical_id] = topic_arn
            elif resource["Type"] == "AWS::DynamoDB::Table":
                names[logical_id] = TABLE
        (planner,) = [
            r
            for k, r in workflow_template["Resources"].items()
            if r["Type"] == "AWS::Lambda::Function" and "Planner" in k
        ]
        for name, value in planner["Properties"]["Environment"]["Variables"].items():
            monkeypatch.setenv(name, str(resolve(value, names)))
        (writer,) = [
            r
            for k, r in workflow_template["Resources"].items()
            if r["Type"] == "AWS::Lambda::Function" and "RangeWriter" in k
        ]
        monkeypatch.setenv(
            "ENDPOINT_STORE_TABLE",
            resolve(writer["Properties"]["Environment"]["Variables"]["ENDPOINT_STORE_TABLE"], names),
        )
        create_functions()
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machine_arn = sfn.create_state_machine(
            name="import",
            definition=definition_for(workflow_template, BUCKET),
            roleArn="arn:aws:iam::123456789012:role/import-test",
        )["stateMachineArn"]
        monkeypatch.setenv("IMPORT_STATE_MACHINE_ARN", machine_arn)
        yield World(s3, sfn, sqs, queue_url, machine_arn, dispatcher, StoreClient(TABLE, client=dynamodb))


def _rejects(world: World, import_id: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(world.text(f"import-results/{import_id}/rejects.csv"))))


def test_the_reference_sample_imports_into_the_store_with_a_segment_and_notifications(world):
    execution = world.drop("incoming/sample data.csv", (DATA / "sample_data_S3_triggered_import.csv").read_bytes())
    assert execution["status"] == "SUCCEEDED", execution
    import_id = execution["name"]
    summary = json.loads(world.text(f"import-results/{import_id}/summary.json"))
    # 5 rows, none rejected: the two rows with 14256791901 are one endpoint (the second updates the first)
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (5, 5, 0)
    assert summary["status"] == "SUCCEEDED" and summary["key"] == "incoming/sample data.csv"
    assert _rejects(world, import_id) == []  # the rejects file exists (header only)
    endpoints = [
        json.loads(line) for line in world.text(summary["segment"]["endpoint_list"].split("/", 3)[3]).splitlines()
    ]
    assert sorted(e["Address"] for e in endpoints) == sorted(
        ["+14256791901", "+12025550191", "+16055550198", "+14256791901", "+351282435050"]
    )
    stored = world.store.get_endpoint(ApplicationId=APP, EndpointId=endpoints[1]["Id"])["EndpointResponse"]
    assert stored["Address"] == "+12025550191" and stored["Attributes"]["FirstName"] == ["Ivan"]
    assert stored["ChannelType"] == "SMS" and stored["OptOut"] == "NONE"
    segment = world.store.get_segment(ApplicationId=APP, SegmentId=summary["segment"]["id"])["SegmentResponse"]
    assert segment["Name"] == "sample data" and segment["SegmentType"] == "IMPORT"
    assert segment["ImportDefinition"]["ChannelCounts"] == {"SMS": 5}
    assert segment["EndpointList"]["Count"] == 5
    members = set(world.store.segment_endpoint_ids(ApplicationId=APP, SegmentId=summary["segment"]["id"]))
    assert members == {e["Id"] for e in endpoints} and len(members) == 4
    notes = world.notifications()
    assert [n["notification_type"] for n in notes] == ["started", "succeeded"]
    assert notes[1]["imported"] == 5 and notes[1]["segment"]["id"] == summary["segment"]["id"]
    assert notes[1]["duration_seconds"] >= 0


def test_the_sms_drop_sample_is_rejected_row_by_row_with_reasons_and_no_pii(world):
    execution = world.drop("incoming/sample_file.csv", (DATA / "sample_file.csv").read_bytes())
    assert execution["status"] == "SUCCEEDED"
    rejects = _rejects(world, execution["name"])
    assert [(r["line"], r["field"], r["reason"]) for r in rejects] == [
        ("2", "ChannelType", "is required for a new endpoint (no Id)"),
        ("3", "ChannelType", "is required for a new endpoint (no Id)"),
    ]
    assert "CUSTOMER_NUMBER" not in json.dumps(rejects)  # the sms_number column is masked
    summary = json.loads(world.text(f"import-results/{execution['name']}/summary.json"))
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (2, 0, 2)


def test_a_large_file_is_split_into_ranges_and_every_row_is_accounted_for(world):
    lines = ["ChannelType,Address,User.UserId,Attributes.Note"]
    for i in range(550):
        if i % 10 == 3:
            lines.append(f"SMS,12345,u{i},bad number")  # rejected
        elif i % 10 == 7:
            lines.append(f'EMAIL,user{i}@example.com,u{i},"quoted\nline break, comma"')
        else:
            lines.append(f"SMS,+1202555{i:04d},u{i},n{i}")
    execution = world.drop("incoming/big.csv", ("\n".join(lines) + "\n").encode())
    assert execution["status"] == "SUCCEEDED", execution
    summary = json.loads(world.text(f"import-results/{execution['name']}/summary.json"))
    assert (summary["rows"], summary["imported"] + summary["rejected"]) == (550, 550)
    assert summary["rejected"] == 55
    ranges = [event for name, event in world.dispatcher.calls if name == "RangeWriter"]
    assert len(ranges) == 6  # 100 rows per range
    assert all("header" in event["run"] and "chunk" in event for event in ranges)  # no rows travel in state
    rejects = _rejects(world, execution["name"])
    line_numbers = [int(r["line"]) for r in rejects]
    assert line_numbers == sorted(line_numbers) and len(rejects) == 55  # one file, in line order
    # physical lines: the quoted line breaks shift every later row; the first bad row is record 4 = line 5
    assert line_numbers[0] == 5 and all(r["reason"].startswith("is not a valid phone number") for r in rejects)
    user = world.store.get_user_endpoints(ApplicationId=APP, UserId="u7")["EndpointsResponse"]["Item"]
    assert user[0]["Attributes"]["Note"] == ["quoted\nline break, comma"]


def test_a_row_the_store_refuses_is_a_reject_and_the_rest_of_the_batch_is_written(world):
    rows = ["ChannelType,Address,User.UserId"] + [f"SMS,+1202555{i:04d},same-user" for i in range(12)]
    execution = world.drop("incoming/one-user.csv", ("\n".join(rows) + "\n").encode())
    assert execution["status"] == "SUCCEEDED"
    rejects = _rejects(world, execution["name"])
    assert len(rejects) == 2 and {r["field"] for r in rejects} == {"User.UserId"}
    assert all("the limit is 10" in r["reason"] for r in rejects)
    assert len(world.store.get_user_endpoints(ApplicationId=APP, UserId="same-user")["EndpointsResponse"]["Item"]) == 10


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\x1f\x8b\x08\x00gzip", "compressed"),
        ("ChannelType,Address,FirstName\nSMS,+12025550191,Jos\xe9\n".encode("latin-1"), "not UTF-8"),
        (b"\n\n", "no header"),
        (b"ChannelType,Location.Planet\nSMS,+12025550191\n", "unknown standard column"),
    ],
    ids=["empty", "binary", "gzip", "latin-1", "no-header", "bad-header"],
)
def test_a_malformed_file_fails_with_a_clear_reason_and_a_failed_notification(world, body, reason):
    execution = world.drop("incoming/bad.csv", body)
    assert execution["status"] == "FAILED"
    described = world.sfn.describe_execution(executionArn=execution["executionArn"])
    assert described.get("error") == "ImportFileRejected" and reason in described.get("cause", "")
    notes = world.notifications()
    assert [n["notification_type"] for n in notes] == ["started", "failed"]
    assert reason in notes[1]["reason"] and notes[1]["reason"].startswith("bad.csv: ")
    summary = json.loads(world.text(f"import-results/{execution['name']}/summary.json"))
    assert summary["status"] == "FAILED" and reason in summary["reason"]
    assert [name for name, _ in world.dispatcher.calls] == ["Planner", "Reporter"]  # nothing written


def test_a_range_that_keeps_failing_fails_the_import_with_a_notification(world):
    world.dispatcher.failures["RangeWriter"] = [RuntimeError("DynamoDB is on fire")] * 10
    execution = world.drop("incoming/fails.csv", b"ChannelType,Address\nSMS,+12025550191\n")
    assert execution["status"] == "FAILED"
    notes = world.notifications()
    assert [n["notification_type"] for n in notes] == ["started", "failed"]
    assert notes[1]["reason"]


def test_the_same_object_delivered_twice_is_imported_once_and_same_second_drops_do_not_collide(world):
    body = b"ChannelType,Address\nSMS,+12025550191\n"
    world.s3.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=body)
    first = world.object_created("incoming/a.csv")
    world.s3.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=body + b"SMS,+12025550192\n")
    second = world.object_created("incoming/a.csv")  # same key, same second, new version and ETag
    answer = world.start(first, first, second)  # the first event is delivered twice
    assert answer == {"batchItemFailures": []}
    executions = world.sfn.list_executions(stateMachineArn=world.machine_arn)["executions"]
    assert len(executions) == 2
    assert {e["name"] for e in executions} == {
        import_execution_name(ImportSource.from_event(first)),
        import_execution_name(ImportSource.from_event(second)),
    }
    for execution in executions:
        assert wait_for(world.sfn, execution["executionArn"])["status"] == "SUCCEEDED"
    assert len(world.store.get_endpoint(ApplicationId=APP, EndpointId=_id("+12025550192"))["EndpointResponse"]) > 0


def test_the_starter_sends_what_is_not_an_s3_event_to_the_dead_letter_queue(world):
    from import_starter.handler import handler

    answer = handler(
        {
            "Records": [
                {"messageId": "x", "body": "not json"},
                {"messageId": "y", "body": json.dumps({"source": "aws.s3", "detail": {}})},
            ]
        },
        _context("Starter"),
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "x"}, {"itemIdentifier": "y"}]}


def test_a_url_encoded_key_is_found(world):
    world.s3.put_object(Bucket=BUCKET, Key="incoming/my file.csv", Body=b"ChannelType,Address\nSMS,+12025550191\n")
    event = world.object_created("incoming/my file.csv")
    event["detail"]["object"]["key"] = "incoming/my+file.csv"
    world.start(event)
    name = import_execution_name(ImportSource.from_event(event))
    execution = wait_for(world.sfn, f"{world.machine_arn.replace(':stateMachine:', ':execution:')}:{name}")
    assert execution["status"] == "SUCCEEDED"


def _id(e164: str) -> str:
    import hashlib

    return "imp-" + hashlib.sha256(f"SMS:{e164}".encode()).hexdigest()[:32]
