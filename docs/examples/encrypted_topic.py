"""An SNS topic that End User Messaging SMS may publish to (customer-managed key)."""

import aws_cdk as cdk

from pinpoint_constructs import EncryptedTopic


def build(stack: cdk.Stack) -> EncryptedTopic:
    topic = EncryptedTopic(stack, "Topic")
    topic.allow_service_publish(
        "sms-voice.amazonaws.com",
        source_arn=stack.format_arn(service="sms-voice", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME),
    )
    return topic
