"""The start of an import (``import_starter``): one Step Functions execution per S3 object, named from it.

:func:`start_imports` handles an SQS batch (fed by the EventBridge rule on the import bucket): each message body
is an EventBridge "Object Created" event. Two drops in the same second get two executions, and the same object
delivered twice is started once (``ExecutionAlreadyExists`` is the expected answer to a redelivery and is logged,
not an error). Messages that are not S3 events, and calls Step Functions refuses, are reported as batch item
failures, so SQS retries them and then moves them to the dead-letter queue: nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pinpoint_runtime.audience.import_source import ImportSource, import_execution_name
from pinpoint_runtime.core.aws_clients import error_code


def start_import(sfn: Any, state_machine_arn: str, source: ImportSource) -> tuple[str, bool]:
    """StartExecution named :func:`import_execution_name`; returns (name, started). A second delivery of the
    same object finds the name taken (``ExecutionAlreadyExists``) and is not imported again: (name, False)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    name = import_execution_name(source)
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=name,
            input=json.dumps({"source": source.to_dict()}, sort_keys=True),
        )
    except ClientError as error:
        if error_code(error) == "ExecutionAlreadyExists":
            return name, False
        raise
    return name, True


def start_imports(
    records: Iterable[Mapping[str, Any]], *, sfn: Any, state_machine_arn: str, logger: Any
) -> list[dict[str, str]]:
    """Start one import per SQS record; returns the batch item failures (``[{"itemIdentifier": id}]``)."""
    failures: list[dict[str, str]] = []
    for record in records:
        message_id = record.get("messageId", "")
        try:
            source = ImportSource.from_event(json.loads(record.get("body") or ""))
        except ValueError as error:
            logger.error(
                "not an S3 Object Created event; left for the dead-letter queue",
                extra={"message_id": message_id, "problem": str(error)},
            )
            failures.append({"itemIdentifier": message_id})
            continue
        if source.key.endswith("/"):
            logger.info("folder marker ignored", extra={"bucket": source.bucket, "key": source.key})
            continue
        try:
            name, started = start_import(sfn, state_machine_arn, source)
        except Exception:
            logger.exception("StartExecution failed", extra={"message_id": message_id, "key": source.key})
            failures.append({"itemIdentifier": message_id})
            continue
        logger.info(
            "import started" if started else "already imported or importing (same object delivered again)",
            extra={"execution": name, "bucket": source.bucket, "key": source.key},
        )
    return failures
