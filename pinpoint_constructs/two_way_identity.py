"""The custom resource of :class:`~pinpoint_constructs.two_way_sms.TwoWaySms` for an existing phone number or pool:
two-way turned on by the ``origination_two_way`` function (``pinpoint_runtime.sms.two_way_identity``) through the
CDK Provider framework, and restored when the resource is deleted."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr
from constructs import Construct

from pinpoint_runtime.sms.two_way_identity import IdentityType, TwoWayIdentitySettings

from .core import PythonFunction, acknowledge
from .core.acknowledgments import acknowledge_invoke_grant


def configure_existing_identity(
    scope: Construct, identity_type: IdentityType, identity_id: str, channel_arn: str
) -> cdk.CustomResource:
    """A custom resource in ``scope`` that turns two-way on (to the SNS topic ``channel_arn``) for an identity the
    stack does not own, restoring it on delete."""
    stack = cdk.Stack.of(scope)
    configurator = PythonFunction(
        scope,
        "TwoWayConfigurator",
        function_folder="origination_two_way",
        service_name="origination-two-way",
        description="Turns two-way SMS on for an existing number or pool and restores it on delete",
        settings=[TwoWayIdentitySettings()],
        timeout=cdk.Duration.minutes(2),
        deploy_async_dead_letter_queue=False,
    )
    acknowledge(
        configurator.lambda_function,
        "AwsSolutions-SQS3",
        "CloudFormation's custom resource provider invokes this function synchronously; no async DLQ applies.",
    )
    arn = identity_arn(stack, identity_type, identity_id)
    describe = "sms-voice:DescribePools" if identity_type is IdentityType.POOL else "sms-voice:DescribePhoneNumbers"
    update = "sms-voice:UpdatePool" if identity_type is IdentityType.POOL else "sms-voice:UpdatePhoneNumber"
    configurator.lambda_function.add_to_role_policy(iam.PolicyStatement(actions=[update], resources=[arn]))
    configurator.lambda_function.add_to_role_policy(iam.PolicyStatement(actions=[describe], resources=["*"]))
    acknowledge(
        configurator.role,
        "AwsSolutions-IAM5",
        f"{describe} is read-only and is not documented to support resource-level permissions; the update "
        "itself is limited to the one identity.",
        applies_to="Resource::*",
    )
    provider = cr.Provider(
        scope,
        "TwoWayProvider",
        on_event_handler=configurator.lambda_function,
        log_group=configurator.log_group,
    )
    _acknowledge_provider(provider, configurator.lambda_function)
    return cdk.CustomResource(
        scope,
        "TwoWayConfiguration",
        service_token=provider.service_token,
        resource_type="Custom::SmsTwoWayConfiguration",
        properties={
            "IdentityType": identity_type.value,
            "IdentityId": identity_id,
            "TwoWayChannelArn": channel_arn,
            "SelfManagedOptOutsEnabled": "false",
            "OptOutListName": "",
        },
    )


def identity_arn(stack: cdk.Stack, identity_type: IdentityType, identity_id: str) -> str:
    """The ARN of an identity given by id or ARN."""
    if not cdk.Token.is_unresolved(identity_id) and identity_id.startswith("arn:"):
        return identity_id
    return stack.format_arn(service="sms-voice", resource=identity_type.value, resource_name=identity_id)


def _acknowledge_provider(provider: cr.Provider, on_event: lambda_.IFunction) -> None:
    framework = provider.node.try_find_child("framework-onEvent")
    target = framework if framework is not None else provider
    acknowledge(
        target,
        "AwsSolutions-IAM4",
        "aws-cdk-lib's custom resource provider framework uses AWSLambdaBasicExecutionRole for its own logs.",
        applies_to="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    acknowledge_invoke_grant(target, on_event, on_event.function_arn)  # the provider framework invokes it
    acknowledge(
        target,
        "AwsSolutions-L1",
        "aws-cdk-lib pins the provider framework's Node.js runtime; it is updated with aws-cdk-lib.",
    )


__all__ = ["configure_existing_identity", "identity_arn"]
