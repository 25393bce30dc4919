"""pinpoint-constructs: AWS CDK L3 constructs for the Amazon Pinpoint integration patterns, on live services.

Amazon Pinpoint's engagement features ended support on 2026-10-30. These constructs keep Pinpoint's data
contracts (event-stream records, endpoint JSON, import CSV, campaign-hook and custom-channel payloads) on AWS End
User Messaging SMS, SES v2, S3, Firehose, Glue/Athena, Step Functions, Lambda, SQS, SNS and DynamoDB.

The constructs are imported lazily, so ``python -m pinpoint_constructs.cli`` does not start the jsii runtime.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EncryptedTopic": ".core",
    "PropsConflictError": ".core",
    "PythonFunction": ".core",
    "QueueWithDeadLetterQueue": ".core",
    "SecureBucket": ".core",
    "EventStreamToS3": ".event_stream_to_s3",
    "SesEventType": ".event_stream_to_s3",
    "EndpointStore": ".endpoint_store",
    "TwoWaySms": ".two_way_sms",
    "NumberType": ".two_way_sms",
    "MessageType": ".two_way_sms",
    "SelfManagedOptOut": ".self_managed_opt_out",
    "AdobeSmsBridge": ".adobe_sms_bridge",
    "DeliveryMode": ".adobe_sms_bridge",
    "BridgeApiKeyOptions": ".adobe_sms_bridge_options",
    "BridgeApiOptions": ".adobe_sms_bridge_options",
    "BridgeIdempotencyOptions": ".adobe_sms_bridge_options",
    "BridgeQueueOptions": ".adobe_sms_bridge_options",
    "BridgeSendingOptions": ".adobe_sms_bridge_options",
    "S3TriggeredImport": ".s3_triggered_import",
    "CampaignHookAttributes": ".campaign_hook_attributes",
    "BuiltInHook": ".campaign_hook_attributes",
    "AttributeLookupOptions": ".campaign_hook_attributes",
    "ExternalTemplatesOptions": ".campaign_hook_attributes",
    "FrequencyCapOptions": ".campaign_hook_attributes",
    "KeyType": ".campaign_hook_attributes",
    "OnMissingTemplate": ".campaign_hook_attributes",
    "CustomChannel": ".custom_channel",
    "BuiltInChannel": ".custom_channel_options",
    "HttpsDeliveryOptions": ".custom_channel_options",
    "WebhookOptions": ".custom_channel_options",
    "ConnectVoiceOptions": ".custom_channel_options",
    "InAppInboxOptions": ".custom_channel_options",
    "CdpWriteBackOptions": ".custom_channel_options",
    "CampaignRunner": ".campaign_runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
