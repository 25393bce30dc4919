"""pinpoint_runtime.core.sqs_batch: partial batch responses and dead-lettering with a reason (moto SQS)."""

from __future__ import annotations

import logging

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.core.sqs_batch import DeadLetterQueue, RetryRecord, describe_error, process_sqs_batch


class _ClientError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__("secret detail +14255550182")
        self.response = {"Error": {"Code": code}}


def test_records_that_raise_are_reported_and_the_rest_are_not(caplog: pytest.LogCaptureFixture) -> None:
    def handle(record):
        if record["body"] == "retry":
            raise RetryRecord()
        if record["body"] == "boom":
            raise _ClientError("ThrottlingException")

    event = {"Records": [{"messageId": "1", "body": "ok"}, {"messageId": "2", "body": "retry"},
                         {"messageId": "3", "body": "boom"}]}  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert process_sqs_batch(event, handle) == {
            "batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]
        }
    assert "ThrottlingException" in [r.error for r in caplog.records]
    assert "+14255550182" not in caplog.text  # the error's text is never logged


def test_errors_are_described_by_code_or_type() -> None:
    assert describe_error(_ClientError("AccessDenied")) == "AccessDenied"
    assert describe_error(KeyError("x")) == "KeyError"


def test_a_record_is_dead_lettered_with_its_reason_and_source_id(fake_aws_credentials: None) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        DeadLetterQueue(url, sqs_client=sqs).send({"messageId": "m-1", "body": '{"a": 1}'}, "x" * 300)
        DeadLetterQueue(url, sqs_client=sqs).send({"messageId": "", "attributes": {}}, "no body")
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    first, second = sorted(messages, key=lambda m: m["MessageAttributes"]["reason"]["StringValue"], reverse=True)
    assert first["Body"] == '{"a": 1}'
    assert first["MessageAttributes"]["reason"]["StringValue"] == "x" * 256
    assert first["MessageAttributes"]["source_message_id"]["StringValue"] == "m-1"
    assert second["Body"] == '{"messageId": "", "attributes": {}}'
    assert second["MessageAttributes"]["source_message_id"]["StringValue"] == "unknown"


def test_without_a_queue_sending_fails_so_the_record_is_kept() -> None:
    queue = DeadLetterQueue("")
    assert not queue.configured
    with pytest.raises(RuntimeError):
        queue.send({"body": "x"}, "reason")
