"""The start of an import (pinpoint_runtime.audience.import_start_step): one execution per S3 object, failures
reported per SQS message."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from pinpoint_runtime.audience.import_start_step import start_imports


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, message: str, **_: Any) -> None:
        self.lines.append(("info", message))

    def error(self, message: str, **_: Any) -> None:
        self.lines.append(("error", message))

    def exception(self, message: str, **_: Any) -> None:
        self.lines.append(("exception", message))


class Sfn:
    def __init__(self) -> None:
        self.names: list[str] = []

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict:
        key = json.loads(input)["source"]["key"]
        if key.endswith("refused.csv"):
            raise RuntimeError("refused")
        if name in self.names:
            raise ClientError({"Error": {"Code": "ExecutionAlreadyExists", "Message": "taken"}}, "StartExecution")
        self.names.append(name)
        return {}


def _record(message_id: str, key: str | None) -> dict[str, str]:
    if key is None:
        return {"messageId": message_id, "body": "not json"}
    event = {"source": "aws.s3", "detail": {"bucket": {"name": "b"}, "object": {"key": key, "etag": "e"}}}
    return {"messageId": message_id, "body": json.dumps(event)}


def test_one_execution_per_object_and_failures_per_message():
    sfn, log = Sfn(), Log()
    records = [
        _record("1", "incoming/a.csv"),
        _record("2", "incoming/a.csv"),  # the same object delivered again: started once, not a failure
        _record("3", None),
        _record("4", "incoming/"),  # folder marker
        _record("5", "incoming/refused.csv"),
    ]
    failures = start_imports(records, sfn=sfn, state_machine_arn="arn:machine", logger=log)
    assert failures == [{"itemIdentifier": "3"}, {"itemIdentifier": "5"}]
    assert len(sfn.names) == 1
    assert [level for level, _ in log.lines] == ["info", "info", "error", "info", "exception"]
