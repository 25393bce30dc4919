"""A partner's own code with the library's function defaults and the shared layer."""

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from pinpoint_constructs import PythonFunction


def build(stack: cdk.Stack) -> PythonFunction:
    return PythonFunction(
        stack,
        "Function",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        handler="index.handler",
        service_name="my-service",
        description="A partner function with the library's defaults",
    )
