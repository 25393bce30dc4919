"""An event destination on an existing End User Messaging SMS configuration set, for
``EventStreamToS3.add_sms_configuration_set(existing_configuration_set_name=...)``: CloudFormation has no resource
for a destination alone, so an ``AwsCustomResource`` creates, updates and deletes it (``PinpointSMSVoiceV2``), with
a policy confined to that configuration set and the source role."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from .core import acknowledge


def existing_sms_event_destination(
    scope: Construct, name: str, configuration_set_arn: str, destination: dict[str, Any], role: iam.Role
) -> cr.AwsCustomResource:
    parameters = {"ConfigurationSetName": name, **destination}
    update = {
        "ConfigurationSetName": name,
        "EventDestinationName": destination["EventDestinationName"],
        "MatchingEventTypes": destination["MatchingEventTypes"],
        "KinesisFirehoseDestination": destination["KinesisFirehoseDestination"],
        "Enabled": True,
    }
    physical_id = cr.PhysicalResourceId.of(f"{name}/{destination['EventDestinationName']}")
    resource = cr.AwsCustomResource(
        scope,
        "EventDestination",
        on_create=cr.AwsSdkCall(
            service="PinpointSMSVoiceV2",
            action="createEventDestination",
            parameters=parameters,
            physical_resource_id=physical_id,
        ),
        on_update=cr.AwsSdkCall(
            service="PinpointSMSVoiceV2",
            action="updateEventDestination",
            parameters=update,
            physical_resource_id=physical_id,
        ),
        on_delete=cr.AwsSdkCall(
            service="PinpointSMSVoiceV2",
            action="deleteEventDestination",
            parameters={"ConfigurationSetName": name, "EventDestinationName": destination["EventDestinationName"]},
            ignore_error_codes_matching="ResourceNotFoundException",
        ),
        policy=cr.AwsCustomResourcePolicy.from_statements(
            [
                iam.PolicyStatement(
                    actions=[
                        "sms-voice:CreateEventDestination",
                        "sms-voice:UpdateEventDestination",
                        "sms-voice:DeleteEventDestination",
                    ],
                    resources=[configuration_set_arn],
                ),
                iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]),
            ]
        ),
        install_latest_aws_sdk=False,
        log_group=logs.LogGroup(
            scope,
            "EventDestinationLogs",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        ),
    )
    resource.node.add_dependency(role)
    _acknowledge_custom_resource_provider(scope)
    return resource


def _acknowledge_custom_resource_provider(scope: Construct) -> None:
    """The AwsCustomResource provider function is a stack-level singleton owned by aws-cdk-lib."""
    stack = cdk.Stack.of(scope)
    provider = stack.node.try_find_child("AWS679f53fac002430cb0da5b7982bd2287")
    if provider is None:
        return
    acknowledge(
        provider,
        "AwsSolutions-IAM4",
        "aws-cdk-lib's AwsCustomResource provider uses AWSLambdaBasicExecutionRole for its own logs.",
        applies_to="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    acknowledge(
        provider,
        "AwsSolutions-L1",
        "aws-cdk-lib pins the AwsCustomResource provider's Node.js runtime; it is updated with aws-cdk-lib.",
    )
