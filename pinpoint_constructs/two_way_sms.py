"""TwoWaySms: two-way SMS conversations on AWS End User Messaging SMS, fully declarative.

Origination identity (one of): a new phone number (default: a US ``SIMULATOR`` number, which needs no
registration, so ``cdk deploy`` works in any account), a new pool around a new number, or an existing number or
pool by id/ARN that the stack does not own (two-way is turned on by a custom resource calling UpdatePhoneNumber /
UpdatePool, which restores the previous settings when it is deleted).

Inbound path: End User Messaging publishes each inbound SMS to a standard SNS topic encrypted with a
customer-managed key that ``sms-voice.amazonaws.com`` may use (source account and ARN conditions) → an SQS queue
(SSE-SQS, TLS only) with a dead-letter queue → the inbound Lambda (``lambda_src/two_way_inbound``) with partial
batch failure reporting. For each message it drops duplicates (Powertools idempotency on ``inboundMessageId``,
DynamoDB with a TTL), writes an ``_sms.inbound`` event to the event lake when one is given, lets the opt-out
engine answer keywords when :class:`SelfManagedOptOut` is attached, then hands the parsed message to the partner's
function (``handler``) or the built-in auto-responder. Malformed messages go to the dead-letter queue with a reason.

Reply path: ``pinpoint_runtime.sms.sender.reply(inbound, text)`` sends with SendTextMessage from the same
origination identity, with the configuration set (events reach EventStreamToS3 when one is given);
:meth:`TwoWaySms.grant_send` lets other code send.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_smsvoice as smsvoice
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from pinpoint_runtime.core.environment import FunctionSettings
from pinpoint_runtime.sms.sender import MessageType, SmsSenderSettings
from pinpoint_runtime.sms.two_way import TwoWaySettings
from pinpoint_runtime.sms.two_way_identity import IdentityType

from .core import (
    EncryptedTopic,
    PropsValidation,
    PythonFunction,
    QueueWithDeadLetterQueue,
    TableData,
    add_settings,
    secure_table,
)
from .core.acknowledgments import acknowledge_invoke_grant
from .core.props import consolidate_props
from .event_stream_to_s3 import EventStreamToS3
from .two_way_identity import configure_existing_identity, identity_arn

DEFAULT_HELP_MESSAGE = (
    "Two-way SMS demo: for help reply HELP or contact support. Msg & data rates may apply. Reply STOP to cancel."
)
DEFAULT_STOP_MESSAGE = "You are unsubscribed and will receive no further messages. Reply START to resubscribe."
DEFAULT_AUTO_REPLY = "Thanks for your message. We will get back to you. Reply HELP for help, STOP to opt out."


class NumberType(StrEnum):
    """The type of a new phone number (``AWS::SMSVOICE::PhoneNumber`` ``NumberType``)."""

    SIMULATOR = "SIMULATOR"
    """A US simulator number: needs no registration, sends to simulator destinations only."""
    LONG_CODE = "LONG_CODE"
    TOLL_FREE = "TOLL_FREE"
    TEN_DLC = "TEN_DLC"
    SHORT_CODE = "SHORT_CODE"


NUMBER_TYPES: tuple[str, ...] = tuple(member.value for member in NumberType)


class TwoWaySms(Construct):
    """Two-way SMS: origination identity with two-way on, encrypted inbound topic, buffered handler, reply API.

    Keyword-only props (all optional):
      number_type: type of a new phone number, a :class:`NumberType`. @default ``NumberType.SIMULATOR`` (US
        simulator numbers need no registration).
      iso_country_code: country of a new phone number. @default ``"US"``.
      phone_number_props: partial ``smsvoice.CfnPhoneNumberProps`` merged over the defaults (e.g.
        ``optional_keywords``, ``deletion_protection_enabled``). Conflicts with the existing_* props.
      help_message / stop_message: the mandatory HELP and STOP replies of a new number (CTIA-style defaults).
      deploy_pool: put the new number into a new pool and send from the pool. @default False.
      existing_phone_number_id / existing_pool_id: use this number or pool (id or ARN) instead; two-way is
        turned on by a custom resource and restored on delete. A number that belongs to a pool must be given as
        its pool. At most one of them.
      handler: the partner's code: a Lambda function that receives the parsed inbound message
        (``originationNumber``, ``destinationNumber``, ``messageKeyword``, ``messageBody``, ``inboundMessageId``,
        ``previousPublishedMessageId``) and may answer ``{"reply": "text"}``; or ``lambda_.Code`` (entry
        ``handler_entry``) from which a function with the library's defaults is built. @default none: the
        built-in auto-responder answers.
      handler_entry: the handler of ``handler`` code. @default ``"index.handler"``.
      auto_reply_text: the auto-responder's text when there is no ``handler``. @default a short acknowledgement;
        ``""`` turns replies off.
      event_stream: an :class:`EventStreamToS3`: inbound messages become ``_sms.inbound`` events in the lake, and
        unless ``configuration_set_name`` is given, a configuration set feeding the lake is created for replies.
      configuration_set_name: send replies with this configuration set (e.g. one the lake already has).
      reply_message_type: a ``pinpoint_runtime.sms.sender.MessageType``, the type of auto replies and of partner
        replies that name none. @default ``MessageType.TRANSACTIONAL``.
      idempotency_ttl: how long an ``inboundMessageId`` is remembered. @default 24 hours.
      queue_props / dead_letter_queue_props / max_receive_count: the inbound queue (see
        :class:`QueueWithDeadLetterQueue`). @default max_receive_count 5.
      topic_props: partial ``sns.TopicProps`` of the inbound topic.
      batch_size: SQS messages per invocation. @default 10.
      reserved_concurrent_executions: cap on the inbound function. @default none.

    Attributes: ``phone_number`` (``CfnPhoneNumber`` or ``None``), ``pool`` (``CfnPool`` or ``None``),
    ``origination_identity`` (what replies are sent from), ``origination_identity_arn``, ``inbound_topic``,
    ``inbound_topic_key``, ``inbound_queue``, ``dead_letter_queue``, ``idempotency_table``, ``inbound_function``
    (:class:`PythonFunction`), ``partner_function`` (or ``None``), ``configuration_set_name`` (or ``None``),
    ``two_way_configuration`` (the custom resource for existing identities, or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        number_type: NumberType = NumberType.SIMULATOR,
        iso_country_code: str = "US",
        phone_number_props: smsvoice.CfnPhoneNumberProps | dict[str, Any] | None = None,
        help_message: str = DEFAULT_HELP_MESSAGE,
        stop_message: str = DEFAULT_STOP_MESSAGE,
        deploy_pool: bool = False,
        existing_phone_number_id: str | None = None,
        existing_pool_id: str | None = None,
        handler: lambda_.IFunction | lambda_.Code | None = None,
        handler_entry: str = "index.handler",
        auto_reply_text: str | None = None,
        event_stream: EventStreamToS3 | None = None,
        configuration_set_name: str | None = None,
        reply_message_type: MessageType = MessageType.TRANSACTIONAL,
        idempotency_ttl: cdk.Duration | None = None,
        queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        dead_letter_queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        max_receive_count: int = 5,
        topic_props: sns.TopicProps | dict[str, Any] | None = None,
        batch_size: int = 10,
        reserved_concurrent_executions: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        existing = existing_phone_number_id or existing_pool_id
        validation = PropsValidation(type(self).__name__)
        validation.require(
            not (existing_phone_number_id and existing_pool_id),
            "Either provide existing_phone_number_id or existing_pool_id, but not both.",
        )
        validation.exclusive(
            "phone_number_props", phone_number_props, "existing_phone_number_id/existing_pool_id", existing
        )
        validation.require(
            not (deploy_pool and existing), "deploy_pool cannot be combined with an existing number or pool."
        )
        # Enums only, as aws-cdk-lib's enum props: a plain string (even a valid value) is reported.
        validation.require(
            isinstance(number_type, NumberType), f"number_type must be one of {', '.join(NUMBER_TYPES)}."
        )
        validation.require(
            isinstance(reply_message_type, MessageType), "reply_message_type must be TRANSACTIONAL or PROMOTIONAL."
        )
        validation.require(
            handler is None or auto_reply_text is None,
            "auto_reply_text answers only when there is no handler; pass one of them.",
        )
        validation.require(1 <= batch_size <= 10, "batch_size must be between 1 and 10.")
        for name, text in (("help_message", help_message), ("stop_message", stop_message)):
            validation.require(len(text.strip()) > 0 and len(text) <= 1600, f"{name} must be 1 to 1600 characters.")
        validation.raise_if_any()
        stack = cdk.Stack.of(self)

        # --- inbound topic → queue ------------------------------------------------------------------------
        topic = EncryptedTopic(self, "InboundTopic", topic_props=topic_props)
        topic.allow_service_publish(
            "sms-voice.amazonaws.com",
            source_arn=stack.format_arn(service="sms-voice", resource="*", arn_format=cdk.ArnFormat.NO_RESOURCE_NAME),
        )
        self.inbound_topic = topic.topic
        self.inbound_topic_key = topic.encryption_key
        queues = QueueWithDeadLetterQueue(
            self,
            "InboundQueue",
            queue_props=consolidate_props(self, {"visibility_timeout": cdk.Duration.minutes(6)}, queue_props),
            dead_letter_queue_props=dead_letter_queue_props,
            max_receive_count=max_receive_count,
        )
        self.inbound_queue = queues.queue
        self.dead_letter_queue = queues.dead_letter_queue
        self.queues = queues
        self.inbound_topic.add_subscription(subscriptions.SqsSubscription(self.inbound_queue))

        # --- origination identity ----------------------------------------------------------------------
        self.phone_number: smsvoice.CfnPhoneNumber | None = None
        self.pool: smsvoice.CfnPool | None = None
        self.two_way_configuration: cdk.CustomResource | None = None
        self._self_managed_opt_outs = False
        self._opt_out_list_name: str | None = None
        two_way = smsvoice.CfnPhoneNumber.TwoWayProperty(enabled=True, channel_arn=self.inbound_topic.topic_arn)
        mandatory_keywords = smsvoice.CfnPhoneNumber.MandatoryKeywordsProperty(
            help=smsvoice.CfnPhoneNumber.MandatoryKeywordProperty(message=help_message),
            stop=smsvoice.CfnPhoneNumber.MandatoryKeywordProperty(message=stop_message),
        )
        if existing is None:
            self.phone_number = smsvoice.CfnPhoneNumber(
                self,
                "PhoneNumber",
                **consolidate_props(
                    self,
                    {
                        "iso_country_code": iso_country_code,
                        "number_type": number_type.value,
                        "number_capabilities": ["SMS"],
                        "mandatory_keywords": mandatory_keywords,
                        "deletion_protection_enabled": number_type is not NumberType.SIMULATOR,
                        "two_way": None if deploy_pool else two_way,
                    },
                    phone_number_props,
                ),
            )
            self.phone_number.node.add_dependency(self.inbound_topic)
            if number_type is not NumberType.SIMULATOR:
                self.phone_number.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            if deploy_pool:
                self.pool = smsvoice.CfnPool(
                    self,
                    "Pool",
                    origination_identities=[self.phone_number.attr_arn],
                    mandatory_keywords=smsvoice.CfnPool.MandatoryKeywordsProperty(
                        help=smsvoice.CfnPool.MandatoryKeywordProperty(message=help_message),
                        stop=smsvoice.CfnPool.MandatoryKeywordProperty(message=stop_message),
                    ),
                    two_way=smsvoice.CfnPool.TwoWayProperty(enabled=True, channel_arn=self.inbound_topic.topic_arn),
                    deletion_protection_enabled=number_type is not NumberType.SIMULATOR,
                )
                self.pool.node.add_dependency(self.inbound_topic)
                self.origination_identity = self.pool.attr_arn
            else:
                self.origination_identity = self.phone_number.attr_arn
            self.origination_identity_arn = self.origination_identity
        else:
            identity_type = IdentityType.POOL if existing_pool_id else IdentityType.PHONE_NUMBER
            self.origination_identity = existing
            self.origination_identity_arn = identity_arn(stack, identity_type, existing)
            self.two_way_configuration = configure_existing_identity(
                self, identity_type, existing, self.inbound_topic.topic_arn
            )

        # --- configuration set for replies ----------------------------------------------------------------
        self.configuration_set_name = configuration_set_name
        if event_stream is not None and configuration_set_name is None:
            configuration_set = event_stream.add_sms_configuration_set(f"{construct_id}SmsEvents")
            self.configuration_set_name = configuration_set.ref  # type: ignore[union-attr]

        # --- idempotency + inbound function -----------------------------------------------------------------
        self.idempotency_table = secure_table(
            self, "IdempotencyTable", partition_key="id", data=TableData.DISPOSABLE, expires=True
        )
        self.partner_function: lambda_.IFunction | None = None
        if isinstance(handler, lambda_.Code):
            self.partner_function = PythonFunction(
                self,
                "PartnerHandler",
                code=handler,
                handler=handler_entry,
                service_name="two-way-sms-partner-handler",
                description="The partner's two-way SMS handler",
            ).lambda_function
        elif handler is not None:
            self.partner_function = handler

        sending = SmsSenderSettings(
            origination_identity=self.origination_identity, configuration_set_name=self.configuration_set_name or None
        )
        inbound_settings = TwoWaySettings(
            idempotency_table=self.idempotency_table.table_name,
            idempotency_ttl_seconds=int((idempotency_ttl or cdk.Duration.hours(24)).to_seconds()),
            dead_letter_queue_url=self.dead_letter_queue.queue_url,  # type: ignore[union-attr]
            reply_message_type=reply_message_type,
            partner_handler_arn=self.partner_function.function_arn if self.partner_function is not None else None,
            auto_reply_text=(
                None
                if self.partner_function is not None
                else DEFAULT_AUTO_REPLY
                if auto_reply_text is None
                else auto_reply_text
            ),
        )
        self.inbound_function = PythonFunction(
            self,
            "InboundHandler",
            function_folder="two_way_inbound",
            service_name="two-way-sms-inbound",
            description="Handles inbound SMS: dedupe, lake event, opt-out keywords, partner handler or auto-reply",
            settings=[sending, inbound_settings],
            timeout=cdk.Duration.minutes(1),
            reserved_concurrent_executions=reserved_concurrent_executions,
        )
        function = self.inbound_function.lambda_function
        function.add_event_source(
            event_sources.SqsEventSource(
                self.inbound_queue,
                batch_size=batch_size,
                max_batching_window=cdk.Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )
        self.idempotency_table.grant_read_write_data(function)
        self.dead_letter_queue.grant_send_messages(function)  # type: ignore[union-attr]
        self.grant_send(function)
        if self.partner_function is not None:
            self.partner_function.grant_invoke(function)
            acknowledge_invoke_grant(
                self.inbound_function.role, self.partner_function, self.partner_function.function_arn
            )
        if event_stream is not None:
            event_stream.add_producer(function)

    # ----------------------------------------------------------------------------------------------- methods
    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send SMS from this origination identity (and with its configuration set)."""
        stack = cdk.Stack.of(self)
        resources = [self.origination_identity_arn]
        if self.configuration_set_name:
            resources.append(
                stack.format_arn(
                    service="sms-voice", resource="configuration-set", resource_name=self.configuration_set_name
                )
            )
        if self._opt_out_list_name:
            resources.append(
                stack.format_arn(service="sms-voice", resource="opt-out-list", resource_name=self._opt_out_list_name)
            )
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sms-voice:SendTextMessage"], resource_arns=resources
        )

    def enable_self_managed_opt_outs(self, *, opt_out_list_name: str, settings: Sequence[FunctionSettings]) -> None:
        """Called by :class:`SelfManagedOptOut`: self-managed opt-outs and the opt-out list on the identity, and
        the opt-out engine's ``settings`` (processor, keywords, registry) on the inbound function."""
        if self._self_managed_opt_outs:
            raise ValueError("self-managed opt-outs are already attached to this TwoWaySms")
        self._self_managed_opt_outs = True
        self._opt_out_list_name = opt_out_list_name
        if self.pool is not None:  # a number in a pool is configured through the pool
            self.pool.self_managed_opt_outs_enabled = True
            self.pool.opt_out_list_name = opt_out_list_name
        elif self.phone_number is not None:
            self.phone_number.self_managed_opt_outs_enabled = True
            self.phone_number.opt_out_list_name = opt_out_list_name
        elif self.two_way_configuration is not None:
            resource = self.two_way_configuration.node.default_child
            resource.add_property_override("SelfManagedOptOutsEnabled", "true")  # type: ignore[union-attr]
            resource.add_property_override("OptOutListName", opt_out_list_name)  # type: ignore[union-attr]
        for item in settings:
            add_settings(self.inbound_function.lambda_function, item)
        stack = cdk.Stack.of(self)
        self.inbound_function.lambda_function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sms-voice:SendTextMessage"],
                resources=[
                    stack.format_arn(service="sms-voice", resource="opt-out-list", resource_name=opt_out_list_name)
                ],
            )
        )

    @property
    def self_managed_opt_outs_enabled(self) -> bool:
        return self._self_managed_opt_outs


__all__: Sequence[str] = ["NUMBER_TYPES", "NumberType", "TwoWaySms"]
