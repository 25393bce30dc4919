"""AdobeSmsBridge: Adobe Journey Optimizer (AJO) custom actions → SMS on AWS End User Messaging SMS.

A REST API (API Gateway) built from the OpenAPI document shipped with the library
(``pinpoint_constructs/openapi/adobe_sms_bridge.json``; the same document defines API Gateway's request
validation and drives the tests) with one ``POST /messages`` for the custom action:

* a Lambda REQUEST authorizer (``lambda_src/adobe_bridge_authorizer``) checks the API key header against a
  Secrets Manager secret (created with a generated key and a customer-managed KMS key, or yours), read at run
  time, cached briefly, compared in constant time; after a rotation the previous key stays valid for a grace
  period. No key in environment variables, templates or logs;
* the send handler (``lambda_src/adobe_bridge_send``) validates the payload (400 naming the field), normalises the
  number to E.164, makes the request idempotent (``Idempotency-Key`` header or a hash of journey, action, profile
  and payload, in DynamoDB), checks the opt-out registry (409) and queues the send into SQS (with a dead-letter
  queue), answering 202 with a request id well under AJO's 0.75 s slow-lane threshold. With
  ``sending.delivery=DeliveryMode.INLINE`` it sends at once instead (202 with the service's message id; 429
  when the SMS service throttles);
* the consumer (``lambda_src/adobe_bridge_consumer``) sends queued messages at ``queue.message_parts_per_second``
  (shared by its at most ``queue.consumer_concurrency`` copies) through the library's rate-limited sender, once
  per request;
* the stage has throttling (rate and burst props; AJO's throttled floor is 200 requests per second), JSON access
  logs without request data, execution logs at ERROR level, X-Ray, an optional WAF web ACL; sends carry a
  configuration set, so delivery events (with ``request_id``, ``journey_id``, ``action_id``, ``profile_id`` in
  their context) reach EventStreamToS3.

The option objects are :mod:`pinpoint_constructs.adobe_sms_bridge_options`, the OpenAPI document, access log format
and the account's API Gateway role :mod:`pinpoint_constructs.adobe_sms_bridge_api`. This module is over 400 lines
because the construct's ``__init__`` wires one resource graph (secret, table, queues, three functions, the API, its
stage and WAF) whose steps share the resolved options and each other's resources; split further, the steps would only
pass those around.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from pinpoint_runtime.bridge.authorizer import AuthorizerSettings
from pinpoint_runtime.bridge.consumer import BridgeConsumerSettings
from pinpoint_runtime.bridge.idempotency import IdempotencyStoreSettings
from pinpoint_runtime.bridge.send import BridgeSendSettings
from pinpoint_runtime.sms.sender import SmsSenderSettings

from .adobe_sms_bridge_api import (
    ACCESS_LOG_FIELDS,
    RESOURCE_PATH,
    api_gateway_account,
    load_openapi_document,
    openapi_document,
)
from .adobe_sms_bridge_options import (
    BridgeApiKeyOptions,
    BridgeApiOptions,
    BridgeIdempotencyOptions,
    BridgeQueueOptions,
    BridgeSendingOptions,
    DeliveryMode,
    MessageType,
    options,
    valid_identity,
)
from .core import PropsValidation, PythonFunction, QueueWithDeadLetterQueue, TableData, acknowledge, secure_table
from .core.props import consolidate_props
from .event_stream_to_s3 import EventStreamToS3
from .self_managed_opt_out import SelfManagedOptOut
from .two_way_sms import TwoWaySms

ADOBE_MIN_THROTTLE_RPS = 200
"""AJO's throttling API cannot be set below 200 calls per second: the endpoint must take at least that."""
_CONSUMER_TIMEOUT = cdk.Duration.minutes(2)
_API_FUNCTION_TIMEOUT = cdk.Duration.seconds(10)


class AdobeSmsBridge(Construct):
    """REST API for AJO custom actions: API key authorizer, validation, idempotency, opt-out check, SMS send.

    Keyword-only props (one of ``two_way`` / ``origination_identity`` is required):
      two_way: a :class:`TwoWaySms` whose origination identity (and opt-out list) sends the messages.
      origination_identity: instead, a phone number / pool / sender id (id or ARN) to send from.
      opt_out: a :class:`SelfManagedOptOut`: its ``may_send`` registry is checked before accepting (409) and
        again before sending.
      event_stream: an :class:`EventStreamToS3`: a configuration set feeding it is created for the sends.
        Conflicts with ``sending.configuration_set_name``.
      sending: :class:`BridgeSendingOptions`: identities and configuration sets a request may pick, the default
        country and message type, queue or inline delivery.
      queue: :class:`BridgeQueueOptions`: the consumer's rate, concurrency and batch size, the send queue and its
        dead-letter queue (queue delivery only).
      api_key: :class:`BridgeApiKeyOptions`: the key header, the secret (created, or yours), caching and the
        rotation grace period.
      idempotency: :class:`BridgeIdempotencyOptions`: the idempotency header, how long requests are remembered,
        the table.
      api: :class:`BridgeApiOptions`: stage throttling, WAF, stage name, the API Gateway CloudWatch role, access
        logs, the REST API props.
    Each option object defaults to its defaults; a mapping of its fields is accepted too.

    Attributes: ``api`` (``SpecRestApi``), ``stage``, ``custom_action_url`` (what AJO calls),
    ``openapi_document`` (the deployed document), ``access_log_group``, ``api_key_secret``,
    ``api_key_secret_key`` (or ``None``), ``authorizer_function``, ``send_function``, ``consumer_function`` (or
    ``None``), ``send_queue`` / ``dead_letter_queue`` (or ``None``), ``idempotency_table``,
    ``origination_identity``, ``configuration_set_name`` (or ``None``), ``web_acl_association`` (or ``None``),
    ``cloudwatch_role`` (or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        two_way: TwoWaySms | None = None,
        origination_identity: str | None = None,
        opt_out: SelfManagedOptOut | None = None,
        event_stream: EventStreamToS3 | None = None,
        sending: BridgeSendingOptions | Mapping[str, Any] | None = None,
        queue: BridgeQueueOptions | Mapping[str, Any] | None = None,
        api_key: BridgeApiKeyOptions | Mapping[str, Any] | None = None,
        idempotency: BridgeIdempotencyOptions | Mapping[str, Any] | None = None,
        api: BridgeApiOptions | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        sending = options(BridgeSendingOptions, sending)
        queue = options(BridgeQueueOptions, queue)
        api_key = options(BridgeApiKeyOptions, api_key)
        idempotency = options(BridgeIdempotencyOptions, idempotency)
        api = options(BridgeApiOptions, api)

        validation = PropsValidation(type(self).__name__)
        validation.require(
            (two_way is None) != (origination_identity is None),
            "Provide exactly one of two_way or origination_identity (the identity messages are sent from).",
        )
        validation.require(
            all(valid_identity(i) for i in (origination_identity, *sending.additional_origination_identities)),
            "origination identities must be phone number ids, pool ids, sender ids or their ARNs (not E.164 "
            "numbers: IAM grants need the id).",
        )
        validation.exclusive(
            "event_stream", event_stream, "sending.configuration_set_name", sending.configuration_set_name
        )
        sending.validate(validation)
        queue.validate(validation, inline=sending.inline)
        api_key.validate(validation)
        idempotency.validate(validation, api_key_header=api_key.header)
        api.validate(validation)
        validation.raise_if_any()
        if api.throttling_rate_limit < ADOBE_MIN_THROTTLE_RPS:
            cdk.Annotations.of(self).add_warning_v2(
                "pinpoint-constructs:adobe-throttle-floor",
                f"api.throttling_rate_limit {api.throttling_rate_limit} is under {ADOBE_MIN_THROTTLE_RPS}/s, the "
                "lowest rate Adobe Journey Optimizer's throttling can be set to: expect 429s at AJO's floor.",
            )
        stack = cdk.Stack.of(self)

        # --- origination identity and configuration set -------------------------------------------------------
        self.two_way = two_way
        self.origination_identity: str = two_way.origination_identity if two_way else origination_identity  # type: ignore[assignment]
        self.configuration_set_name: str | None = sending.configuration_set_name
        if event_stream is not None:
            self.configuration_set_name = event_stream.add_sms_configuration_set(f"{construct_id}SmsEvents").ref  # type: ignore[union-attr]
        allowed_identities = [self.origination_identity, *sending.additional_origination_identities]
        allowed_sets = [s for s in (self.configuration_set_name, *sending.additional_configuration_sets) if s]

        # --- API key secret ---------------------------------------------------------------------------------
        self.api_key_secret_key: kms.IKey | None = None
        if api_key.existing_secret_obj is not None:
            self.api_key_secret: secretsmanager.ISecret = api_key.existing_secret_obj
        else:
            self.api_key_secret_key = kms.Key(
                self,
                "ApiKeySecretKey",
                enable_key_rotation=True,
                description=f"Encrypts the API key secret of {self.node.path}",
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            generator = (
                secretsmanager.SecretStringGenerator(
                    secret_string_template="{}",
                    generate_string_key=api_key.json_field,
                    exclude_punctuation=True,
                    password_length=48,
                )
                if api_key.json_field
                else secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48)
            )
            secret = secretsmanager.Secret(
                self,
                "ApiKeySecret",
                **consolidate_props(
                    self,
                    {
                        "description": "API key Adobe Journey Optimizer sends to the SMS bridge (rotate: put a new "
                        "value; the previous one stays valid for the grace period)",
                        "generate_secret_string": generator,
                        "removal_policy": cdk.RemovalPolicy.RETAIN,
                    },
                    api_key.secret_props,
                    {"encryption_key": self.api_key_secret_key},
                ),
            )
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "The API key is also configured in Adobe Journey Optimizer, which a rotation Lambda cannot update; "
                "rotate by putting a new value and updating AJO within api_key.rotation_grace_period (the previous key "
                "stays valid until then).",
            )
            self.api_key_secret = secret

        # --- idempotency table ----------------------------------------------------------------------------
        self.idempotency_table = secure_table(
            self,
            "IdempotencyTable",
            partition_key="id",
            data=TableData.DISPOSABLE,
            expires=True,
            table_props=idempotency.table_props,
        )

        # --- send queue -----------------------------------------------------------------------------------
        self.send_queue: sqs.IQueue | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.queues: QueueWithDeadLetterQueue | None = None
        if not sending.inline:
            self.queues = QueueWithDeadLetterQueue(
                self,
                "SendQueue",
                queue_props=consolidate_props(
                    self,
                    {"visibility_timeout": cdk.Duration.seconds(_CONSUMER_TIMEOUT.to_seconds() * 6)},
                    queue.queue_props,
                ),
                dead_letter_queue_props=queue.dead_letter_queue_props,
                max_receive_count=queue.max_receive_count,
            )
            self.send_queue = self.queues.queue
            self.dead_letter_queue = self.queues.dead_letter_queue

        # --- functions ------------------------------------------------------------------------------------
        self.authorizer_function = PythonFunction(
            self,
            "Authorizer",
            function_folder="adobe_bridge_authorizer",
            service_name="adobe-bridge-authorizer",
            description="API key authorizer of the Adobe Journey Optimizer SMS bridge (key in Secrets Manager)",
            settings=[
                AuthorizerSettings(
                    secret_id=self.api_key_secret.secret_arn,
                    header=api_key.header,
                    cache_ttl_seconds=int(api_key.secret_cache_ttl.to_seconds()),
                    grace_period_seconds=int(api_key.rotation_grace_period.to_seconds()),
                    json_field=api_key.json_field,
                )
            ],
            timeout=_API_FUNCTION_TIMEOUT,
        )
        self.api_key_secret.grant_read(self.authorizer_function.lambda_function)

        store_settings = IdempotencyStoreSettings(
            table_name=self.idempotency_table.table_name, ttl_seconds=int(idempotency.ttl.to_seconds())
        )
        sender_settings = SmsSenderSettings(
            origination_identity=self.origination_identity, configuration_set_name=self.configuration_set_name or None
        )
        send_settings = BridgeSendSettings(
            delivery_mode=DeliveryMode.INLINE if sending.inline else DeliveryMode.QUEUE,
            default_country=sending.default_country,
            default_message_type=MessageType(sending.default_message_type),
            idempotency_header=idempotency.header,
            allowed_origination_identities=tuple(allowed_identities),
            allowed_configuration_sets=tuple(allowed_sets),
            queue_url=self.send_queue.queue_url if self.send_queue is not None else None,
        )
        self.send_function = PythonFunction(
            self,
            "SendHandler",
            function_folder="adobe_bridge_send",
            service_name="adobe-bridge-send",
            description="Adobe Journey Optimizer custom action: validate, dedupe, opt-out check, queue or send SMS",
            settings=[send_settings, store_settings, sender_settings],
            memory_size=512,
            timeout=_API_FUNCTION_TIMEOUT,
        )
        self.idempotency_table.grant_read_write_data(self.send_function.lambda_function)
        senders: list[PythonFunction] = []
        if sending.inline:
            senders.append(self.send_function)
        else:
            assert self.send_queue is not None
            self.send_queue.grant_send_messages(self.send_function.lambda_function)

        self.consumer_function: PythonFunction | None = None
        if self.send_queue is not None:
            self.consumer_function = PythonFunction(
                self,
                "Consumer",
                function_folder="adobe_bridge_consumer",
                service_name="adobe-bridge-consumer",
                description="Sends the Adobe bridge's queued SMS at the configured message parts per second",
                settings=[
                    BridgeConsumerSettings(
                        message_parts_per_second=queue.message_parts_per_second,
                        consumer_concurrency=queue.consumer_concurrency,
                        dead_letter_queue_url=self.dead_letter_queue.queue_url,  # type: ignore[union-attr]
                    ),
                    store_settings,
                    sender_settings,
                ],
                timeout=_CONSUMER_TIMEOUT,
            )
            consumer = self.consumer_function.lambda_function
            consumer.add_event_source(
                event_sources.SqsEventSource(
                    self.send_queue,
                    batch_size=queue.batch_size,
                    max_concurrency=queue.consumer_concurrency,
                    report_batch_item_failures=True,
                )
            )
            self.idempotency_table.grant_read_write_data(consumer)
            self.dead_letter_queue.grant_send_messages(consumer)  # type: ignore[union-attr]
            senders.append(self.consumer_function)

        for function in senders:
            self._grant_send(function, allowed_identities, allowed_sets)
        if opt_out is not None:
            for function in (self.send_function, *senders):
                opt_out.bind_may_send(function.lambda_function)

        # --- API ------------------------------------------------------------------------------------------
        self.openapi_document = openapi_document(
            stack,
            authorizer_function_arn=self.authorizer_function.lambda_function.function_arn,
            send_function_arn=self.send_function.lambda_function.function_arn,
            api_key_header=api_key.header,
            idempotency_header=idempotency.header,
            authorizer_ttl=int(api_key.authorizer_cache_ttl.to_seconds()),
            integration_timeout=_API_FUNCTION_TIMEOUT,
        )
        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            **consolidate_props(
                self,
                {"retention": logs.RetentionDays.ONE_YEAR, "removal_policy": cdk.RemovalPolicy.RETAIN},
                api.access_log_group_props,
            ),
        )
        self.cloudwatch_role: iam.Role | None = None
        account_setting: apigateway.CfnAccount | None = None
        if api.deploy_api_gateway_cloudwatch_role:
            account_setting = api_gateway_account(stack)
            holder = account_setting.node.scope
            assert holder is not None  # the account setting lives in its holder construct
            self.cloudwatch_role = cast(iam.Role, holder.node.find_child("Role"))
        self.api = apigateway.SpecRestApi(
            self,
            "Api",
            **consolidate_props(
                self,
                {
                    "description": "Adobe Journey Optimizer custom action -> SMS (pinpoint-constructs AdobeSmsBridge)",
                    "endpoint_types": [apigateway.EndpointType.REGIONAL],
                    "cloud_watch_role": False,
                    "fail_on_warnings": True,
                    "deploy_options": apigateway.StageOptions(
                        stage_name=api.stage_name,
                        throttling_rate_limit=api.throttling_rate_limit,
                        throttling_burst_limit=api.throttling_burst_limit,
                        access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                        access_log_format=apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                        logging_level=apigateway.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                        tracing_enabled=True,
                    ),
                },
                api.rest_api_props,
                {"api_definition": apigateway.ApiDefinition.from_inline(self.openapi_document)},
            ),
        )
        self.stage = self.api.deployment_stage
        if account_setting is not None:
            self.stage.node.add_dependency(account_setting)
        if self.api.latest_deployment is not None:  # redeploy whenever the document changes
            self.api.latest_deployment.add_to_logical_id(self.openapi_document)
        self.custom_action_url = self.api.url_for_path(RESOURCE_PATH)
        self.authorizer_function.lambda_function.add_permission(
            "InvokeFromApiGateway",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=stack.format_arn(
                service="execute-api", resource=self.api.rest_api_id, resource_name="authorizers/*"
            ),
        )
        self.send_function.lambda_function.add_permission(
            "InvokeFromApiGateway",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.api.arn_for_execute_api("POST", RESOURCE_PATH, api.stage_name),
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG2",
            "Request validation is declared in the OpenAPI body (x-amazon-apigateway-request-validators, 'all' on "
            "every method), which cdk-nag does not read; the send handler validates again and names the field.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "The only method is protected by the Lambda REQUEST authorizer declared in the OpenAPI body.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Adobe Journey Optimizer authenticates custom actions with an API key header, not Cognito tokens; the "
            "key is checked by the Lambda authorizer against Secrets Manager.",
        )

        self.web_acl_association: wafv2.CfnWebACLAssociation | None = None
        if api.web_acl_arn is not None:
            self.web_acl_association = wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=api.web_acl_arn
            )
        else:
            acknowledge(
                self.stage,
                "AwsSolutions-APIG3",
                "No api.web_acl_arn was given. The stage is protected by the API key authorizer and stage throttling; "
                "pass api=BridgeApiOptions(web_acl_arn=...) to add AWS WAF (Adobe publishes no fixed source IPs to "
                "allow-list).",
            )

    # ----------------------------------------------------------------------------------------------- methods
    def grant_read_api_key(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the API key (e.g. the operator who enters it in AJO)."""
        return self.api_key_secret.grant_read(grantee)

    def grant_rotate_api_key(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put a new API key value (a rotation; the previous key stays valid for the grace)."""
        return self.api_key_secret.grant_write(grantee)

    def grant_enqueue(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put jobs on the send queue directly (queue mode only)."""
        if self.send_queue is None:
            raise ValueError("this bridge sends inline; it has no send queue")
        return self.send_queue.grant_send_messages(grantee)

    # ----------------------------------------------------------------------------------------------- parts
    def _grant_send(self, function: PythonFunction, identities: list[str], configuration_sets: list[str]) -> None:
        stack = cdk.Stack.of(self)
        resources = [_identity_arn(stack, identity) for identity in identities]
        resources += [
            s if not cdk.Token.is_unresolved(s) and s.startswith("arn:")
            else stack.format_arn(service="sms-voice", resource="configuration-set", resource_name=s)
            for s in configuration_sets
        ]  # fmt: skip
        if self.two_way is not None:
            self.two_way.grant_send(function.lambda_function)  # its identity, set and opt-out list
        function.lambda_function.add_to_role_policy(
            iam.PolicyStatement(actions=["sms-voice:SendTextMessage"], resources=resources)
        )


def _identity_arn(stack: cdk.Stack, identity: str) -> str:
    """The IAM resource ARN of an origination identity given as an ARN, a pool id or a phone number id."""
    if cdk.Token.is_unresolved(identity) or identity.startswith("arn:"):
        return identity
    if identity.startswith("pool-"):
        return stack.format_arn(service="sms-voice", resource="pool", resource_name=identity)
    if identity.startswith("phone-"):
        return stack.format_arn(service="sms-voice", resource="phone-number", resource_name=identity)
    return stack.format_arn(service="sms-voice", resource="sender-id", resource_name=f"{identity}/*")


__all__: Sequence[str] = [
    "AdobeSmsBridge",
    "BridgeApiKeyOptions",
    "BridgeApiOptions",
    "BridgeIdempotencyOptions",
    "BridgeQueueOptions",
    "BridgeSendingOptions",
    "DeliveryMode",
    "MessageType",
    "load_openapi_document",
]
