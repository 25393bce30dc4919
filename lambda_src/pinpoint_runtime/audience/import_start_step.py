"""The start of an import (``import_starter``): one Step Functions execution per S3 object, named from it."""

from __future__ import annotations

import json
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
