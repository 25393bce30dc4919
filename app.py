#!/usr/bin/env python3
"""The sample app: every construct of pinpoint-constructs composed into stacks that deploy as they are.

``cdk synth`` / ``cdk deploy`` run this file (see cdk.json). cdk-nag's AwsSolutions pack checks every stack at
synth time; synth fails on any unacknowledged finding.

Stacks:
  PinpointEvents: EventStreamToS3 fed by a new End User Messaging SMS configuration set and a new SES
  configuration set (send with these configuration sets and the events land in the lake).
  PinpointSms: a US simulator number with TwoWaySms (built-in auto-responder) and SelfManagedOptOut; its replies
  use the events stack's SMS configuration set, and inbound messages land in the lake as _sms.inbound.
  PinpointAdobeBridge: AdobeSmsBridge for Adobe Journey Optimizer custom actions, sending from the SMS stack's
  simulator number (checking its opt-out registry) with the events stack's SMS configuration set.
  PinpointAudience: an EndpointStore and an S3TriggeredImport that defines a static segment from every file
  dropped under incoming/; started/succeeded/failed notifications on an SNS topic and in the lake.
  PinpointCampaigns: a CampaignRunner over the audience stack's segments with an attribute-lookup hook, an in-app
  inbox and a webhook channel, SMS from the simulator number, email when -c ses_identity=... is given.
"""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pinpoint_constructs import (
    AdobeSmsBridge,
    AttributeLookupOptions,
    BridgeSendingOptions,
    BuiltInChannel,
    BuiltInHook,
    CampaignHookAttributes,
    CampaignRunner,
    CustomChannel,
    EndpointStore,
    EventStreamToS3,
    KeyType,
    S3TriggeredImport,
    SelfManagedOptOut,
    TwoWaySms,
    WebhookOptions,
)


class EventsSampleStack(cdk.Stack):
    """The event data lake with SMS and SES configuration sets as sources."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.event_lake = EventStreamToS3(self, "EventLake")
        self.sms_configuration_set = self.event_lake.add_sms_configuration_set("SmsEvents")
        self.ses_configuration_set = self.event_lake.add_ses_configuration_set("EmailEvents")
        cdk.CfnOutput(self, "SmsConfigurationSetName", value=self.sms_configuration_set.ref)
        cdk.CfnOutput(self, "SesConfigurationSetName", value=self.ses_configuration_set.configuration_set_name)


class SmsSampleStack(cdk.Stack):
    """Two-way SMS on a simulator number, with compliant self-managed opt-outs."""

    def __init__(self, scope: Construct, construct_id: str, *, events: EventsSampleStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.two_way = TwoWaySms(
            self,
            "TwoWaySms",
            event_stream=events.event_lake,
            configuration_set_name=events.sms_configuration_set.ref,  # replies' events feed the lake
        )
        self.opt_out = SelfManagedOptOut(
            self,
            "OptOut",
            two_way=self.two_way,
            program_name="Example Co alerts",
            support_contact="support@example.com",
            message_frequency="Up to 4 msgs/month",
        )
        cdk.CfnOutput(self, "PhoneNumber", value=self.two_way.phone_number.attr_phone_number)
        cdk.CfnOutput(self, "OptOutListName", value=self.opt_out.opt_out_list_name)


class AudienceSampleStack(cdk.Stack):
    """Endpoints and users on DynamoDB, filled by dropping Pinpoint import files into S3."""

    def __init__(self, scope: Construct, construct_id: str, *, events: EventsSampleStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.endpoint_store = EndpointStore(self, "Endpoints", event_stream=events.event_lake)
        self.endpoint_import = S3TriggeredImport(
            self,
            "Import",
            endpoint_store=self.endpoint_store,
            define_segment=True,  # each file becomes a static segment (record in the store, list in S3)
            event_stream=events.event_lake,  # _import.started/succeeded/failed events in the lake
        )
        cdk.CfnOutput(self, "ImportBucketName", value=self.endpoint_import.bucket.bucket_name)
        cdk.CfnOutput(self, "ImportPrefix", value=self.endpoint_import.import_prefix)
        cdk.CfnOutput(self, "NotificationTopicArn", value=self.endpoint_import.notification_topic.topic_arn)
        cdk.CfnOutput(self, "EndpointTableName", value=self.endpoint_store.table_name)


class AdobeBridgeSampleStack(cdk.Stack):
    """Adobe Journey Optimizer custom action -> SMS from the SMS stack's simulator number (queue + consumer)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, events: EventsSampleStack, sms: SmsSampleStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.bridge = AdobeSmsBridge(
            self,
            "AdobeSmsBridge",
            two_way=sms.two_way,
            opt_out=sms.opt_out,
            # delivery events feed the lake
            sending=BridgeSendingOptions(configuration_set_name=events.sms_configuration_set.ref),
        )
        cdk.CfnOutput(self, "CustomActionUrl", value=self.bridge.custom_action_url)
        cdk.CfnOutput(self, "ApiKeySecretArn", value=self.bridge.api_key_secret.secret_arn)


class CampaignSampleStack(cdk.Stack):
    """The campaign engine: runs against the audience stack's endpoints and segments, one attribute-lookup hook,
    an in-app inbox channel and a webhook channel, SMS from the SMS stack's simulator number, and email from the
    SES identity given as context ``ses_identity`` (email is left out, with a note at synth, when it is absent)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        events: EventsSampleStack,
        sms: SmsSampleStack,
        audience: AudienceSampleStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        ses_identity = self.node.try_get_context("ses_identity")
        webhook_url = self.node.try_get_context("campaign_webhook_url") or "https://webhook.example.com/pinpoint"
        self.attribute_hook = CampaignHookAttributes(
            self,
            "AttributeLookup",
            built_in=BuiltInHook.ATTRIBUTE_LOOKUP,
            attribute_lookup=AttributeLookupOptions(key_type=KeyType.USER_ID),
        )
        self.inbox = CustomChannel(self, "InAppInbox", built_in=BuiltInChannel.INAPP_INBOX)
        self.webhook = CustomChannel(
            self, "Webhook", built_in=BuiltInChannel.WEBHOOK, webhook=WebhookOptions(url=webhook_url)
        )
        self.runner = CampaignRunner(
            self,
            "Campaigns",
            endpoint_store=audience.endpoint_store,
            hooks=[self.attribute_hook],
            custom_channels={"inbox": self.inbox, "webhook": self.webhook},
            two_way=sms.two_way,
            opt_out=sms.opt_out,
            event_stream=events.event_lake,
            email_identity=ses_identity,
            email_configuration_set_name=(
                events.ses_configuration_set.configuration_set_name if ses_identity else None
            ),
        )
        if not ses_identity:
            cdk.Annotations.of(self).add_info(
                "Campaign email is off: pass -c ses_identity=<verified domain or address> to send EMAIL endpoints "
                "(they are recorded as UNSUPPORTED_CHANNEL until then)."
            )
        cdk.CfnOutput(self, "StateMachineArn", value=self.runner.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "ScheduleGroupName", value=self.runner.schedule_group_name)
        cdk.CfnOutput(self, "SchedulerRoleArn", value=self.runner.scheduler_role.role_arn)
        cdk.CfnOutput(self, "AttributeTableName", value=self.attribute_hook.table.table_name)


def build_sample_app(app: cdk.App) -> list[cdk.Stack]:
    """Add every sample stack to ``app`` and return them (tests build the same stacks)."""
    events = EventsSampleStack(app, "PinpointEvents", description="pinpoint-constructs sample: event data lake")
    sms = SmsSampleStack(
        app,
        "PinpointSms",
        events=events,
        description="pinpoint-constructs sample: two-way SMS with self-managed opt-outs",
    )
    audience = AudienceSampleStack(
        app,
        "PinpointAudience",
        events=events,
        description="pinpoint-constructs sample: endpoint store and S3-triggered imports with segments",
    )
    adobe = AdobeBridgeSampleStack(
        app,
        "PinpointAdobeBridge",
        events=events,
        sms=sms,
        description="pinpoint-constructs sample: Adobe Journey Optimizer custom action -> SMS",
    )
    campaigns = CampaignSampleStack(
        app,
        "PinpointCampaigns",
        events=events,
        sms=sms,
        audience=audience,
        description="pinpoint-constructs sample: campaign engine with a hook, custom channels, SMS and email",
    )
    return [events, sms, audience, adobe, campaigns]


def check_with_cdk_nag(app: cdk.App) -> None:
    """Register cdk-nag's AwsSolutions pack: synth then fails on any unacknowledged finding."""
    from cdk_nag import AwsSolutionsChecks  # the sample app's check; the library itself does not need cdk-nag  # noqa: PLC0415

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def main() -> None:
    # No construct stack traces in the assembly's metadata: the CLI prints the first frame of each annotation's
    # trace, which for a Python app is a line of the jsii runtime (``../tmpXXXX/lib/program.js:1:5591``), not
    # of app.py. CDK_DEBUG=1 keeps them for debugging.
    app = cdk.App(stack_traces=bool(os.environ.get("CDK_DEBUG")))
    build_sample_app(app)
    check_with_cdk_nag(app)
    app.synth()


if __name__ == "__main__":
    main()
