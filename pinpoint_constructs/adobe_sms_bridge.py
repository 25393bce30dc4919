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
  queue), answering 202 with a request id well under AJO's 0.75 s slow-lane threshold. With ``send_inline=True``
  it sends at once instead (202 with the service's message id; 429 when the SMS service throttles);
* the consumer (``lambda_src/adobe_bridge_consumer``) sends queued messages at ``message_parts_per_second`` (shared
  by its at most ``consumer_concurrency`` copies) through the library's rate-limited sender, once per request;
* the stage has throttling (rate and burst props; AJO's throttled floor is 200 requests per second), JSON access
  logs without request data, execution logs at ERROR level, X-Ray, an optional WAF web ACL; sends carry a
  configuration set, so delivery events (with ``request_id``, ``journey_id``, ``action_id``, ``profile_id`` in
  their context) reach EventStreamToS3.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
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
from pinpoint_runtime.bridge.contract import MessageType
from pinpoint_runtime.bridge.idempotency import IdempotencyStoreSettings
from pinpoint_runtime.bridge.send import BridgeSendSettings, DeliveryMode
from pinpoint_runtime.bridge.senders import BridgeSenderSettings

from .core import PropsValidation, PythonFunction, QueueWithDeadLetterQueue, TableData, acknowledge, secure_table
from .core.props import consolidate_props
from .event_stream_to_s3 import EventStreamToS3
from .self_managed_opt_out import SelfManagedOptOut
from .two_way_sms import TwoWaySms

OPENAPI_DOCUMENT = Path(__file__).resolve().parent / "openapi" / "adobe_sms_bridge.json"
RESOURCE_PATH = "/messages"
ADOBE_MIN_THROTTLE_RPS = 200
"""AJO's throttling API cannot be set below 200 calls per second: the endpoint must take at least that."""
MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_CONSUMER_TIMEOUT = cdk.Duration.minutes(2)
_API_FUNCTION_TIMEOUT = cdk.Duration.seconds(10)
_CLOUDWATCH_ROLE_ID = "PinpointConstructsApiGatewayCloudWatchRole"


@cache
def _document_text() -> str:
    return OPENAPI_DOCUMENT.read_text(encoding="utf-8")


def load_openapi_document() -> dict[str, Any]:
    """A fresh copy of the bridge's OpenAPI document (as shipped; the construct adds the AWS integrations)."""
    return json.loads(_document_text())


class AdobeSmsBridge(Construct):
    """REST API for AJO custom actions: API key authorizer, validation, idempotency, opt-out check, SMS send.

    Keyword-only props (one of ``two_way`` / ``origination_identity`` is required):
      two_way: a :class:`TwoWaySms` whose origination identity (and opt-out list) sends the messages.
      origination_identity: instead, a phone number / pool / sender id (id or ARN) to send from.
      additional_origination_identities: identities a request may pick with ``originationIdentity``.
      opt_out: a :class:`SelfManagedOptOut`: its ``may_send`` registry is checked before accepting (409) and
        again before sending.
      event_stream: an :class:`EventStreamToS3`: a configuration set feeding it is created for the sends.
        Conflicts with ``configuration_set_name``.
      configuration_set_name: send with this configuration set (e.g. one the lake already has).
      additional_configuration_sets: configuration sets a request may pick with ``configurationSetName``.
      send_inline: send from the API handler instead of queueing. @default False (queue + rate-limited consumer).
      message_parts_per_second: the consumer's send rate per origination identity, in message parts (MPS).
        @default 1 (US 10DLC's default; toll-free is 3, short codes 100).
      consumer_concurrency: most concurrent consumer copies (SQS maximum concurrency, 2-1000); each sends at
        ``message_parts_per_second / consumer_concurrency``. @default 2.
      batch_size: queued messages per consumer invocation (1-10). @default 10.
      default_country: ISO country for national numbers. @default ``"US"``.
      default_message_type: TRANSACTIONAL or PROMOTIONAL when a request does not say. @default TRANSACTIONAL.
      api_key_header: the header carrying the API key. @default ``"x-api-key"``.
      api_key_secret_props: partial ``secretsmanager.SecretProps`` of the created secret. Conflicts with
        ``existing_api_key_secret_obj``.
      existing_api_key_secret_obj: use this secret (plain key, or JSON with ``api_key_json_field``); grant the
        authorizer its KMS key yourself if it has a customer-managed one.
      api_key_json_field: the JSON member holding the key. @default ``"apiKey"``; ``""`` = the whole string.
      secret_cache_ttl: how long the authorizer caches the secret. @default 60 seconds.
      rotation_grace_period: how long the previous key stays valid after a rotation. @default 24 hours.
      authorizer_cache_ttl: API Gateway's cache of authorizer answers per key value (0-3600 s). @default 300 s.
      idempotency_header: header with the caller's idempotency key. @default ``"Idempotency-Key"``.
      idempotency_ttl: how long a request is remembered. @default 1 hour (AJO retries within at most 30 s).
      throttling_rate_limit / throttling_burst_limit: stage throttling. @default 500 requests/s, burst 1000.
      web_acl_arn: a regional WAFv2 web ACL to associate with the stage. @default none.
      stage_name: @default ``"v1"``.
      deploy_api_gateway_cloudwatch_role: set this region's API Gateway CloudWatch Logs role (needed once per
        account and region for access and execution logs; one per stack, retained). @default True.
      access_log_group_props: partial ``logs.LogGroupProps`` of the access logs (one year, retained).
      queue_props / dead_letter_queue_props / max_receive_count: the send queue (queue mode only).
      idempotency_table_props: partial ``dynamodb.TableProps`` of the idempotency table.
      rest_api_props: partial ``apigateway.SpecRestApiProps`` merged over the defaults.

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
        additional_origination_identities: Sequence[str] = (),
        opt_out: SelfManagedOptOut | None = None,
        event_stream: EventStreamToS3 | None = None,
        configuration_set_name: str | None = None,
        additional_configuration_sets: Sequence[str] = (),
        send_inline: bool = False,
        message_parts_per_second: float = 1.0,
        consumer_concurrency: int = 2,
        batch_size: int = 10,
        default_country: str = "US",
        default_message_type: str = "TRANSACTIONAL",
        api_key_header: str = "x-api-key",
        api_key_secret_props: secretsmanager.SecretProps | dict[str, Any] | None = None,
        existing_api_key_secret_obj: secretsmanager.ISecret | None = None,
        api_key_json_field: str = "apiKey",
        secret_cache_ttl: cdk.Duration | None = None,
        rotation_grace_period: cdk.Duration | None = None,
        authorizer_cache_ttl: cdk.Duration | None = None,
        idempotency_header: str = "Idempotency-Key",
        idempotency_ttl: cdk.Duration | None = None,
        throttling_rate_limit: float = 500,
        throttling_burst_limit: int = 1000,
        web_acl_arn: str | None = None,
        stage_name: str = "v1",
        deploy_api_gateway_cloudwatch_role: bool = True,
        access_log_group_props: logs.LogGroupProps | dict[str, Any] | None = None,
        queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        dead_letter_queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        max_receive_count: int = 5,
        idempotency_table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        rest_api_props: apigateway.SpecRestApiProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        secret_cache_ttl = secret_cache_ttl or cdk.Duration.seconds(60)
        rotation_grace_period = rotation_grace_period or cdk.Duration.hours(24)
        authorizer_cache_ttl = authorizer_cache_ttl if authorizer_cache_ttl is not None else cdk.Duration.seconds(300)
        idempotency_ttl = idempotency_ttl or cdk.Duration.hours(1)

        validation = PropsValidation(type(self).__name__)
        validation.require(
            (two_way is None) != (origination_identity is None),
            "Provide exactly one of two_way or origination_identity (the identity messages are sent from).",
        )
        for identity in (origination_identity, *additional_origination_identities):
            validation.require(
                identity is None
                or cdk.Token.is_unresolved(identity)
                or re.fullmatch(r"[A-Za-z0-9_:/-]{1,256}", identity) is not None,
                "origination identities must be phone number ids, pool ids, sender ids or their ARNs (not E.164 "
                "numbers: IAM grants need the id).",
            )
        validation.exclusive(
            "api_key_secret_props", api_key_secret_props, "existing_api_key_secret_obj", existing_api_key_secret_obj
        )
        validation.exclusive("event_stream", event_stream, "configuration_set_name", configuration_set_name)
        validation.require(
            not send_inline or (queue_props is None and dead_letter_queue_props is None),
            "queue_props and dead_letter_queue_props apply to the send queue, which send_inline=True does not have.",
        )
        validation.require(
            isinstance(message_parts_per_second, (int, float)) and message_parts_per_second > 0,
            "message_parts_per_second must be a positive number.",
        )
        validation.require(2 <= consumer_concurrency <= 1000, "consumer_concurrency must be between 2 and 1000.")
        validation.require(1 <= batch_size <= 10, "batch_size must be between 1 and 10.")
        validation.require(
            default_message_type in MESSAGE_TYPES, "default_message_type must be TRANSACTIONAL or PROMOTIONAL."
        )
        validation.require(
            re.fullmatch(r"[A-Z]{2}", default_country) is not None,
            "default_country must be an ISO 3166-1 alpha-2 code such as US.",
        )
        for name, header in (("api_key_header", api_key_header), ("idempotency_header", idempotency_header)):
            validation.require(
                _HEADER_NAME.fullmatch(header) is not None, f"{name} must be 1-64 letters, digits or '-'."
            )
        validation.require(
            api_key_header.lower() != idempotency_header.lower(), "api_key_header and idempotency_header must differ."
        )
        validation.require(
            re.fullmatch(r"[A-Za-z0-9_]*", api_key_json_field) is not None,
            "api_key_json_field must be letters, digits or '_' (or '' for a plain-string secret).",
        )
        validation.require(
            0 <= authorizer_cache_ttl.to_seconds() <= 3600, "authorizer_cache_ttl must be between 0 and 3600 seconds."
        )
        validation.require(
            secret_cache_ttl.to_seconds() < rotation_grace_period.to_seconds(),
            "secret_cache_ttl must be shorter than rotation_grace_period.",
        )
        validation.require(
            throttling_rate_limit > 0 and throttling_burst_limit > 0,
            "throttling_rate_limit and throttling_burst_limit must be positive.",
        )
        validation.require(
            web_acl_arn is None
            or cdk.Token.is_unresolved(web_acl_arn)
            or re.fullmatch(r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+", web_acl_arn) is not None,
            "web_acl_arn must be the ARN of a regional WAFv2 web ACL.",
        )
        validation.require(re.fullmatch(r"[A-Za-z0-9_]{1,128}", stage_name) is not None, "stage_name is invalid.")
        validation.raise_if_any()
        if throttling_rate_limit < ADOBE_MIN_THROTTLE_RPS:
            cdk.Annotations.of(self).add_warning_v2(
                "pinpoint-constructs:adobe-throttle-floor",
                f"throttling_rate_limit {throttling_rate_limit} is under {ADOBE_MIN_THROTTLE_RPS}/s, the lowest rate "
                "Adobe Journey Optimizer's throttling can be set to: expect 429s at AJO's floor.",
            )
        stack = cdk.Stack.of(self)

        # --- origination identity and configuration set -------------------------------------------------------
        self.two_way = two_way
        self.origination_identity: str = two_way.origination_identity if two_way else origination_identity  # type: ignore[assignment]
        self.configuration_set_name: str | None = configuration_set_name
        if event_stream is not None:
            self.configuration_set_name = event_stream.add_sms_configuration_set(f"{construct_id}SmsEvents").ref  # type: ignore[union-attr]
        allowed_identities = [self.origination_identity, *additional_origination_identities]
        allowed_sets = [s for s in (self.configuration_set_name, *additional_configuration_sets) if s]

        # --- API key secret ---------------------------------------------------------------------------------
        self.api_key_secret_key: kms.IKey | None = None
        if existing_api_key_secret_obj is not None:
            self.api_key_secret: secretsmanager.ISecret = existing_api_key_secret_obj
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
                    generate_string_key=api_key_json_field,
                    exclude_punctuation=True,
                    password_length=48,
                )
                if api_key_json_field
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
                    api_key_secret_props,
                    {"encryption_key": self.api_key_secret_key},
                ),
            )
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                "The API key is also configured in Adobe Journey Optimizer, which a rotation Lambda cannot update; "
                "rotate by putting a new value and updating AJO within rotation_grace_period (the previous key "
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
            table_props=idempotency_table_props,
        )

        # --- send queue -----------------------------------------------------------------------------------
        self.send_queue: sqs.IQueue | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.queues: QueueWithDeadLetterQueue | None = None
        if not send_inline:
            self.queues = QueueWithDeadLetterQueue(
                self,
                "SendQueue",
                queue_props=consolidate_props(
                    self,
                    {"visibility_timeout": cdk.Duration.seconds(_CONSUMER_TIMEOUT.to_seconds() * 6)},
                    queue_props,
                ),
                dead_letter_queue_props=dead_letter_queue_props,
                max_receive_count=max_receive_count,
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
                    header=api_key_header,
                    cache_ttl_seconds=int(secret_cache_ttl.to_seconds()),
                    grace_period_seconds=int(rotation_grace_period.to_seconds()),
                    json_field=api_key_json_field,
                )
            ],
            timeout=_API_FUNCTION_TIMEOUT,
        )
        self.api_key_secret.grant_read(self.authorizer_function.lambda_function)

        store_settings = IdempotencyStoreSettings(
            table_name=self.idempotency_table.table_name, ttl_seconds=int(idempotency_ttl.to_seconds())
        )
        sender_settings = BridgeSenderSettings(
            origination_identity=self.origination_identity, configuration_set_name=self.configuration_set_name or None
        )
        send_settings = BridgeSendSettings(
            delivery_mode=DeliveryMode.INLINE if send_inline else DeliveryMode.QUEUE,
            default_country=default_country,
            default_message_type=MessageType(default_message_type),
            idempotency_header=idempotency_header,
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
        if send_inline:
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
                        message_parts_per_second=message_parts_per_second,
                        consumer_concurrency=consumer_concurrency,
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
                    batch_size=batch_size,
                    max_concurrency=consumer_concurrency,
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
        self.openapi_document = self._document(
            api_key_header=api_key_header,
            idempotency_header=idempotency_header,
            authorizer_ttl=int(authorizer_cache_ttl.to_seconds()),
        )
        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            **consolidate_props(
                self,
                {"retention": logs.RetentionDays.ONE_YEAR, "removal_policy": cdk.RemovalPolicy.RETAIN},
                access_log_group_props,
            ),
        )
        self.cloudwatch_role: iam.Role | None = None
        account_setting: apigateway.CfnAccount | None = None
        if deploy_api_gateway_cloudwatch_role:
            account_setting = _api_gateway_account(stack)
            self.cloudwatch_role = account_setting.node.scope.node.find_child("Role")  # type: ignore[union-attr]
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
                        stage_name=stage_name,
                        throttling_rate_limit=throttling_rate_limit,
                        throttling_burst_limit=throttling_burst_limit,
                        access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                        access_log_format=apigateway.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS)),
                        logging_level=apigateway.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                        tracing_enabled=True,
                    ),
                },
                rest_api_props,
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
            source_arn=self.api.arn_for_execute_api("POST", RESOURCE_PATH, stage_name),
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
        if web_acl_arn is not None:
            self.web_acl_association = wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.stage.stage_arn, web_acl_arn=web_acl_arn
            )
        else:
            acknowledge(
                self.stage,
                "AwsSolutions-APIG3",
                "No web_acl_arn was given. The stage is protected by the API key authorizer and stage throttling; "
                "pass web_acl_arn to add AWS WAF (Adobe publishes no fixed source IPs to allow-list).",
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

    def _document(self, *, api_key_header: str, idempotency_header: str, authorizer_ttl: int) -> dict[str, Any]:
        stack = cdk.Stack.of(self)
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
            "authorizerUri": invocation_uri(self.authorizer_function.lambda_function.function_arn),
            "authorizerResultTtlInSeconds": authorizer_ttl,
        }
        operation = document["paths"][RESOURCE_PATH]["post"]
        for parameter in operation["parameters"]:
            if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                parameter["name"] = idempotency_header
        operation["x-amazon-apigateway-integration"] = {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": invocation_uri(self.send_function.lambda_function.function_arn),
            "passthroughBehavior": "when_no_match",
            "timeoutInMillis": int(_API_FUNCTION_TIMEOUT.to_milliseconds()),
        }
        return document


# Access log: who called what and how it went, no request data (no headers: the API key; no validation error
# strings: they can quote a phone number).
_ACCESS_LOG_FIELDS = {
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


def _identity_arn(stack: cdk.Stack, identity: str) -> str:
    """The IAM resource ARN of an origination identity given as an ARN, a pool id or a phone number id."""
    if cdk.Token.is_unresolved(identity) or identity.startswith("arn:"):
        return identity
    if identity.startswith("pool-"):
        return stack.format_arn(service="sms-voice", resource="pool", resource_name=identity)
    if identity.startswith("phone-"):
        return stack.format_arn(service="sms-voice", resource="phone-number", resource_name=identity)
    return stack.format_arn(service="sms-voice", resource="sender-id", resource_name=f"{identity}/*")


def _nag(value: str, pseudo: str) -> str:
    """How cdk-nag writes a pseudo parameter in a finding: the value when the stack's environment fixes it."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value


def _api_gateway_account(stack: cdk.Stack) -> apigateway.CfnAccount:
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


__all__: Sequence[str] = ["AdobeSmsBridge", "load_openapi_document"]
