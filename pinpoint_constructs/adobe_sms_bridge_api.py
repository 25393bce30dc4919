"""The REST API parts of :class:`~pinpoint_constructs.adobe_sms_bridge.AdobeSmsBridge`: the OpenAPI document (as
shipped, and as deployed with the AWS integrations), the access log format, and the account's API Gateway CloudWatch
Logs role."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from constructs import Construct

from .core import acknowledge

OPENAPI_DOCUMENT = Path(__file__).resolve().parent / "openapi" / "adobe_sms_bridge.json"
RESOURCE_PATH = "/messages"
_CLOUDWATCH_ROLE_ID = "PinpointConstructsApiGatewayCloudWatchRole"


@cache
def _document_text() -> str:
    return OPENAPI_DOCUMENT.read_text(encoding="utf-8")


def load_openapi_document() -> dict[str, Any]:
    """A fresh copy of the bridge's OpenAPI document (as shipped; the construct adds the AWS integrations)."""
    return json.loads(_document_text())


def openapi_document(
    stack: cdk.Stack,
    *,
    authorizer_function_arn: str,
    send_function_arn: str,
    api_key_header: str,
    idempotency_header: str,
    authorizer_ttl: int,
    integration_timeout: cdk.Duration,
) -> dict[str, Any]:
    """The deployed document: the shipped one with the key header, the Lambda authorizer and the proxy integration."""
    document = copy.deepcopy(load_openapi_document())

    def invocation_uri(function_arn: str) -> str:
        return (
            f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        )

    scheme = document["components"]["securitySchemes"]["AdobeApiKey"]
    scheme["name"] = api_key_header
    scheme["x-amazon-apigateway-authtype"] = "custom"
    scheme["x-amazon-apigateway-authorizer"] = {
        "type": "request",
        "identitySource": f"method.request.header.{api_key_header}",
        "authorizerUri": invocation_uri(authorizer_function_arn),
        "authorizerResultTtlInSeconds": authorizer_ttl,
    }
    operation = document["paths"][RESOURCE_PATH]["post"]
    for parameter in operation["parameters"]:
        if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
            parameter["name"] = idempotency_header
    operation["x-amazon-apigateway-integration"] = {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": invocation_uri(send_function_arn),
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": int(integration_timeout.to_milliseconds()),
    }
    return document


# Access log: who called what and how it went, no request data (no headers: the API key; no validation error
# strings: they can quote a phone number).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "authorizerStatus": "$context.authorizer.status",
    "authorizerLatency": "$context.authorizer.latency",
    "principalId": "$context.authorizer.principalId",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "wafStatus": "$context.waf.status",
}


def _nag(value: str, pseudo: str) -> str:
    """How cdk-nag writes a pseudo parameter in a finding: the value when the stack's environment fixes it."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value


def api_gateway_account(stack: cdk.Stack) -> apigateway.CfnAccount:
    """The stack's one API Gateway account setting with a CloudWatch Logs role (inline policy, no managed one)."""
    holder = stack.node.try_find_child(_CLOUDWATCH_ROLE_ID)
    if holder is not None:
        return holder.node.find_child("Account")  # type: ignore[return-value]
    holder = Construct(stack, _CLOUDWATCH_ROLE_ID)
    role = iam.Role(
        holder,
        "Role",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway's CloudWatch Logs role for this account and region (access and execution logs)",
        inline_policies={
            "CloudWatchLogs": iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        actions=[
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:DescribeLogGroups",
                            "logs:DescribeLogStreams",
                            "logs:PutLogEvents",
                            "logs:GetLogEvents",
                            "logs:FilterLogEvents",
                        ],
                        resources=[
                            stack.format_arn(service="logs", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
                        ],
                    )
                ]
            )
        },
    )
    role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    acknowledge(
        role,
        "AwsSolutions-IAM5",
        "API Gateway writes execution and access logs of every API in the account and region through this one "
        "role, into log groups it names itself (API-Gateway-Execution-Logs_*): the resource is this account's "
        "and region's logs.",
        applies_to=f"Resource::arn:{_nag(stack.partition, 'Partition')}:logs:{_nag(stack.region, 'Region')}:"
        f"{_nag(stack.account, 'AccountId')}:*",
    )
    account = apigateway.CfnAccount(holder, "Account", cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    return account


__all__ = [
    "ACCESS_LOG_FIELDS",
    "OPENAPI_DOCUMENT",
    "RESOURCE_PATH",
    "api_gateway_account",
    "load_openapi_document",
    "openapi_document",
]
