"""Runs the S3TriggeredImport workflow in moto's Step Functions interpreter with the real handlers in process.

The state machine definition is the one the construct synthesizes (CloudFormation tokens resolved to the moto
resources); moto's Lambda ``invoke`` is replaced by a dispatcher that calls the handler modules of
``lambda_src`` directly (moto would need Docker to run them), answering errors the way Lambda does
(``FunctionError: Unhandled`` with ``errorType``/``errorMessage``).
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS = {"Planner": "import_planner", "RangeWriter": "import_chunk_writer", "Reporter": "import_reporter"}


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"


def resolve(value: Any, names: dict[str, str]) -> Any:
    """Resolve Fn::Join / Ref / Fn::GetAtt(…, Arn) in a synthesized value, given logical id -> value."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Fn::Join":
            return arg[0].join(str(resolve(part, names)) for part in arg[1])
        if key == "Ref":
            return {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}.get(arg) or names[arg]
        if key == "Fn::GetAtt":
            return names[f"{arg[0]}.{arg[1]}"]
    if isinstance(value, str):
        return value
    raise AssertionError(f"cannot resolve {value!r}")


def definition_for(template: dict[str, Any], bucket_name: str) -> str:
    """The workflow's ASL with the construct's functions and bucket replaced by the moto ones."""
    names: dict[str, str] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            for construct_name in FUNCTIONS:
                if construct_name in logical_id:
                    names[f"{logical_id}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{construct_name}"
        if resource["Type"] == "AWS::S3::Bucket" and "ImportBucket" in logical_id and "Logs" not in logical_id:
            names[logical_id] = bucket_name
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    return resolve(machine["Properties"]["DefinitionString"], names)


class InProcessLambda:
    """Replaces moto's LambdaBackend.invoke: calls ``lambda_src/<folder>/handler.py`` in this process."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.failures: dict[str, list[Exception]] = {}  # function -> errors to raise on the next calls
        # moto's interpreter runs Map iterations in threads, but moto's backends are not thread-safe (a Query that
        # iterates a table while another thread writes it raises "dictionary changed size during iteration").
        # Deployed, each invocation is its own process against a concurrent service; here they take turns.
        self._one_at_a_time = threading.Lock()

    def __call__(
        self, backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
        name = name.split(":")[0]
        event = json.loads(body) if isinstance(body, (str, bytes)) and body else (body or {})
        module = importlib.import_module(f"{FUNCTIONS[name]}.handler")
        try:
            with self._one_at_a_time:
                self.calls.append((name, event))
                planned = self.failures.get(name)
                if planned:
                    raise planned.pop(0)
                result = module.handler(event, LambdaContext(name))
        except Exception as error:  # noqa: BLE001 - answered as Lambda answers an unhandled error
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_tb(error.__traceback__)[-3:],
            }
            return json.dumps(payload).encode()
        return json.dumps(result).encode()


def create_functions() -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName="import-test", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    client = boto3.client("lambda", region_name=REGION)
    for name in FUNCTIONS:
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )


def wait_for(sfn: Any, execution_arn: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"execution still running after {timeout}s")
        time.sleep(0.05)
