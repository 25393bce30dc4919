"""The finish / failure steps (pinpoint_runtime.audience.import_finish_step): streaming concatenation,
failure reasons."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from pinpoint_runtime.audience.import_finish_step import concatenate_objects, failure_reason


@pytest.mark.usefixtures("fake_aws_credentials")
def test_concatenation_streams_parts_into_one_multipart_object_with_one_header():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="results")
        keys = []
        for index in range(3):
            key = f"parts/{index}.csv"
            s3.put_object(Bucket="results", Key=key, Body=b"line,field\r\n" + f"{index},x\r\n".encode() * 400_000)
            keys.append(key)
        size = concatenate_objects(
            s3,
            "results",
            keys,
            "out.csv",
            header=b"line,field\r\n",
            skip_first_line=True,
            content_type="text/csv",
            part_bytes=5 * 1024 * 1024,
        )
        body = s3.get_object(Bucket="results", Key="out.csv")["Body"].read()
        assert size == len(body) and body.count(b"line,field") == 1
        assert body.count(b"\r\n") == 1 + 3 * 400_000 and body.endswith(b"2,x\r\n")
        assert s3.head_object(Bucket="results", Key="out.csv")["ETag"].strip('"').endswith("-2")  # multipart: 2 parts
        concatenate_objects(
            s3, "results", [], "empty.csv", header=b"h\n", skip_first_line=True, content_type="text/csv"
        )
        assert s3.get_object(Bucket="results", Key="empty.csv")["Body"].read() == b"h\n"


def test_failure_reasons_are_the_error_message_not_a_stack_trace():
    cause = json.dumps(
        {"errorMessage": "bad.csv: the file is empty", "errorType": "ImportFileRejected", "stackTrace": ["  File x"]}
    )
    assert failure_reason({"Error": "ImportFileRejected", "Cause": cause}) == "bad.csv: the file is empty"
    assert (
        failure_reason({"Error": "States.ExceedToleratedFailureThreshold", "Cause": "1 item failed"}) == "1 item failed"
    )
    assert failure_reason({"Error": "States.Timeout"}) == "States.Timeout"
    assert failure_reason({}) == "the import failed for an unknown reason"
