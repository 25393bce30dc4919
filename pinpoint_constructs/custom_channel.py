"""CustomChannel: a Pinpoint custom channel (``CustomDeliveryConfiguration.DeliveryUri``) that the library's
campaign engine delivers CUSTOM endpoints through.

Pinpoint invoked a custom-channel Lambda with the campaign's ``CustomMessage.Data`` and up to 50 endpoints and
ignored its answer. ``CampaignRunner`` invokes the function this construct exposes with the same payload
(``pinpoint_runtime.campaigns.payloads.custom_channel_event``), so Pinpoint-era channel functions port unchanged, and
reads per-endpoint results when the function answers them: ``{"Results": {endpoint id: {"Status": "SUCCESS" |
"FAILURE", "Reason": ...}}}`` (nothing = all delivered). Every built-in answers them, one per endpoint, and one
endpoint's failure never aborts the others.

The function is the partner's (``handler``) or a built-in (``built_in``, a :class:`BuiltInChannel`, with the
options of that built-in, :mod:`pinpoint_constructs.custom_channel_options`):

* ``WEBHOOK`` (``lambda_src/channel_webhook``, :class:`WebhookOptions`): HTTPS POST of the payload to ``url``,
  signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` using a Secrets Manager secret (generated, customer-managed
  KMS key, or yours): headers ``X-Pinpoint-Timestamp``, ``X-Pinpoint-Signature: sha256=<hex>`` and an
  ``Idempotency-Key`` that is the same on every retry of a batch. 2xx delivered (the receiver may answer
  ``Results`` per endpoint), ``retry_status_codes`` and network errors retried with full-jitter backoff
  (``Retry-After`` honoured up to the cap) for ``max_attempts``, anything else (including 3xx: redirects are not
  followed) a failure.
* ``CONNECT_VOICE`` (``lambda_src/channel_connect_voice``, :class:`ConnectVoiceOptions`): Amazon Connect
  ``StartOutboundVoiceContact`` per endpoint with an E.164 address, ``Data`` as the ``Message`` contact attribute,
  ``ClientToken`` derived from application/campaign/treatment/endpoint (so a retry while the call is live returns
  the same contact instead of dialling again; Connect keeps tokens 7 days but starts a new call once the first has
  ended, so the runner's send ledger is what stops a late re-send), paced at ``calls_per_second`` per function
  instance (Connect's API limit is 2/s with bursts of 5: set ``reserved_concurrent_executions=1`` to make it a
  global rate).
* ``INAPP_INBOX`` (``lambda_src/channel_inapp_inbox``, :class:`InAppInboxOptions`): a DynamoDB table (created) the
  app reads on load: ``pk`` user id (or endpoint id: ``key_type``), ``sk``
  ``<ScheduledTime>#<CampaignId>#<TreatmentId>``, TTL ``expires_at`` (``message_ttl``); conditional puts, so
  retries write nothing twice. :meth:`grant_read_inbox` lets the app's backend read it.
* ``CDP_WRITEBACK`` (``lambda_src/channel_cdp_writeback``, :class:`CdpWriteBackOptions`): HTTPS POST of
  ``{"records": [...]}`` (one per endpoint: ids, channel type, campaign ids, attributes, data; addresses only with
  ``include_addresses``) to ``url`` with ``auth_header_name: <secret value>``; same retry policy as the webhook.

(Over 400 lines: the validation of the four built-ins' options and the resources only one built-in needs, its secret,
inbox table and Connect grants, belong to the one construct; the option types are in
:mod:`pinpoint_constructs.custom_channel_options`.)
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from pinpoint_runtime.campaigns.channels.cdp_writeback import CdpWriteBackSettings
from pinpoint_runtime.campaigns.channels.connect_voice import ConnectVoiceSettings
from pinpoint_runtime.campaigns.channels.inapp_inbox import InAppInboxSettings
from pinpoint_runtime.campaigns.channels.webhook import WebhookSettings
from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.core.environment import FunctionSettings
from pinpoint_runtime.phone import is_e164

from .core import PropsValidation, PythonFunction, TableData, acknowledge, consolidate_props, secure_table
from .core.acknowledgments import acknowledge_invoke_grant, nag_resource
from .custom_channel_options import (
    DEFAULT_RETRY_STATUS_CODES,
    BuiltInChannel,
    CdpWriteBackOptions,
    ConnectVoiceOptions,
    HttpsDeliveryOptions,
    InAppInboxOptions,
    WebhookOptions,
)

MAX_ENDPOINTS_PER_CALL = 50


def _choice(enum_type: type[enum.StrEnum], value: Any) -> Any:
    """``value`` as a member of ``enum_type``, or ``None`` when it is none."""
    try:
        return enum_type(value)
    except ValueError:
        return None


def _names(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(member.value for member in enum_type)


_OPTION_CLASSES: dict[BuiltInChannel, type] = {
    BuiltInChannel.WEBHOOK: WebhookOptions,
    BuiltInChannel.CONNECT_VOICE: ConnectVoiceOptions,
    BuiltInChannel.INAPP_INBOX: InAppInboxOptions,
    BuiltInChannel.CDP_WRITEBACK: CdpWriteBackOptions,
}


def _retry_codes(options: HttpsDeliveryOptions) -> Sequence[int]:
    return DEFAULT_RETRY_STATUS_CODES if options.retry_status_codes is None else options.retry_status_codes


def _is_https(url: str) -> bool:
    return cdk.Token.is_unresolved(url) or url.lower().startswith("https://")


class CustomChannel(Construct):
    """A custom channel for ``CampaignRunner``: the partner's function or a built-in.

    Keyword-only props:
      handler: the partner's channel: a Lambda function, or ``lambda_.Code`` (entry ``handler_entry``) built
        with the library's defaults. Exactly one of ``handler`` and ``built_in``.
      handler_entry: entry point of ``handler`` code. @default ``"index.handler"``.
      built_in: a :class:`BuiltInChannel` (see the module docstring); its options go in the prop of the same name.
      webhook: WEBHOOK: :class:`WebhookOptions` (required: the ``url``).
      connect_voice: CONNECT_VOICE: :class:`ConnectVoiceOptions` (required: instance, flow and caller id).
      inapp_inbox: INAPP_INBOX: :class:`InAppInboxOptions`. @default ``InAppInboxOptions()``.
      cdp_writeback: CDP_WRITEBACK: :class:`CdpWriteBackOptions` (required: the ``url``).
      secret_props: partial ``secretsmanager.SecretProps`` of the created secret (WEBHOOK: the signing secret,
        generated; CDP_WRITEBACK: the auth header value, generated as a placeholder: put the CDP's token).
        Conflicts with ``existing_secret_obj``.
      existing_secret_obj: your secret (WEBHOOK or CDP_WRITEBACK).
      table_props: INAPP_INBOX: partial ``dynamodb.TableProps`` of the inbox table.
      timeout: @default 60 s (CONNECT_VOICE: enough for 50 calls at ``calls_per_second``, at least 60 s).
      memory_size: MB. @default 256.
      reserved_concurrent_executions: @default none.
      function_props: partial ``lambda_.FunctionProps`` of the built-in or ``handler`` code function.

    Options of a built-in other than ``built_in`` are an error, and every problem of one call is reported
    together in one :class:`~pinpoint_constructs.PropsConflictError`.

    Attributes: ``function`` (the ``lambda_.IFunction`` the runner invokes), ``python_function`` (or ``None``),
    ``built_in`` (a :class:`BuiltInChannel` or ``None``), ``inbox_table`` (or ``None``), ``secret``
    (``secretsmanager.ISecret`` or ``None``), ``secret_key`` (the created secret's ``kms.Key`` or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction | lambda_.Code | None = None,
        handler_entry: str = "index.handler",
        built_in: BuiltInChannel | None = None,
        webhook: WebhookOptions | None = None,
        connect_voice: ConnectVoiceOptions | None = None,
        inapp_inbox: InAppInboxOptions | None = None,
        cdp_writeback: CdpWriteBackOptions | None = None,
        secret_props: secretsmanager.SecretProps | dict[str, Any] | None = None,
        existing_secret_obj: secretsmanager.ISecret | None = None,
        table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        kind: BuiltInChannel | None = _choice(BuiltInChannel, built_in) if built_in is not None else None
        if kind == BuiltInChannel.INAPP_INBOX and inapp_inbox is None:
            inapp_inbox = InAppInboxOptions()
        options: dict[BuiltInChannel, Any] = {
            BuiltInChannel.WEBHOOK: webhook,
            BuiltInChannel.CONNECT_VOICE: connect_voice,
            BuiltInChannel.INAPP_INBOX: inapp_inbox,
            BuiltInChannel.CDP_WRITEBACK: cdp_writeback,
        }
        https: HttpsDeliveryOptions | None = webhook if kind == BuiltInChannel.WEBHOOK else None
        if kind == BuiltInChannel.CDP_WRITEBACK:
            https = cdp_writeback
        connect = connect_voice if kind == BuiltInChannel.CONNECT_VOICE else None
        inbox = inapp_inbox if kind == BuiltInChannel.INAPP_INBOX else None
        v = PropsValidation(type(self).__name__)
        v.require((handler is None) != (built_in is None), "Provide exactly one of handler or built_in.")
        v.require(built_in is None or kind is not None, f"built_in must be one of {_names(BuiltInChannel)}.")
        v.exclusive("secret_props", secret_props, "existing_secret_obj", existing_secret_obj)
        v.require(
            kind in (BuiltInChannel.WEBHOOK, BuiltInChannel.CDP_WRITEBACK)
            or (secret_props is None and existing_secret_obj is None),
            "secret_props/existing_secret_obj apply only to WEBHOOK and CDP_WRITEBACK.",
        )
        for other, given in options.items():
            if other == kind:
                v.require(
                    given is not None,
                    f"{other.value} needs {other.options_prop}={_OPTION_CLASSES[other].__name__}(...).",
                )
            else:
                v.require(given is None, f"{other.options_prop} applies only to {other.value}.")
        v.require(kind == BuiltInChannel.INAPP_INBOX or table_props is None, "table_props applies only to INAPP_INBOX.")
        https_prop = kind.options_prop if kind is not None else ""
        if https is not None:
            self._validate_https(v, https_prop, https)
        if connect is not None:
            self._validate_connect(v, connect)
        if inbox is not None:
            v.require(
                _choice(KeyType, inbox.key_type) is not None, f"inapp_inbox.key_type must be one of {_names(KeyType)}."
            )
            v.require(
                inbox.message_ttl is None or inbox.message_ttl.to_seconds() >= 60,
                "inapp_inbox.message_ttl must be at least 1 minute.",
            )
        calls_per_second = connect.calls_per_second if connect is not None else 0
        if timeout is None:
            timeout = cdk.Duration.seconds(60)
            if calls_per_second > 0:
                timeout = cdk.Duration.seconds(
                    min(900, max(60, math.ceil(MAX_ENDPOINTS_PER_CALL / calls_per_second) + 30))
                )
        v.require(timeout.to_seconds() <= 900, "timeout must be at most 15 minutes.")
        if https is not None:
            request_timeout = https.request_timeout or cdk.Duration.seconds(5)
            v.require(
                timeout.to_seconds() > request_timeout.to_seconds() + 1,
                f"timeout must be longer than {https_prop}.request_timeout.",
            )
        if calls_per_second > 0:
            v.require(
                timeout.to_seconds() > MAX_ENDPOINTS_PER_CALL / calls_per_second,
                f"timeout must exceed {MAX_ENDPOINTS_PER_CALL} calls at connect_voice.calls_per_second.",
            )
        v.raise_if_any()

        self.built_in = kind
        self.python_function: PythonFunction | None = None
        self.inbox_table: dynamodb.Table | None = None
        self.secret: secretsmanager.ISecret | None = None
        self.secret_key: kms.IKey | None = None

        if handler is not None and not isinstance(handler, lambda_.Code):
            self.function: lambda_.IFunction = handler  # the partner's function object
            return

        settings: list[FunctionSettings] = []
        if kind is not None and https is not None:
            secret = existing_secret_obj or self._create_secret(kind, secret_props)
            self.secret = secret
            delivery: dict[str, Any] = {
                "secret_id": secret.secret_arn,
                "secret_cache_ttl_seconds": int((https.secret_cache_ttl or cdk.Duration.minutes(5)).to_seconds()),
                "retry_status_codes": tuple(int(c) for c in _retry_codes(https)),
                "max_attempts": https.max_attempts,
                "request_timeout_seconds": int((https.request_timeout or cdk.Duration.seconds(5)).to_seconds()),
                "secret_json_field": https.secret_json_field or None,
            }
            if isinstance(https, WebhookOptions):
                settings.append(WebhookSettings(**delivery, url=https.url))
            elif isinstance(https, CdpWriteBackOptions):
                settings.append(
                    CdpWriteBackSettings(
                        **delivery,
                        url=https.url,
                        auth_header=https.auth_header_name,
                        include_addresses=https.include_addresses,
                    )
                )
        elif connect is not None:
            settings.append(
                ConnectVoiceSettings(
                    instance_id=connect.instance_id,
                    contact_flow_id=connect.contact_flow_id,
                    calls_per_second=float(connect.calls_per_second),
                    max_attempts=connect.max_attempts,
                    source_phone_number=connect.source_phone_number or None,
                    queue_id=connect.queue_id or None,
                )
            )
        elif inbox is not None:
            self.inbox_table = self._create_inbox_table(table_props)
            settings.append(
                InAppInboxSettings(
                    table_name=self.inbox_table.table_name,
                    key_type=KeyType(inbox.key_type),
                    ttl_seconds=int((inbox.message_ttl or cdk.Duration.days(30)).to_seconds()),
                )
            )

        source: dict[str, Any] = (
            {"code": handler, "handler": handler_entry, "service_name": "custom-channel-partner",
             "description": "The partner's custom channel (Pinpoint custom-channel contract)"}
            if kind is None
            else {"function_folder": kind.function_folder,
                  "service_name": f"custom-channel-{kind.value.lower().replace('_', '-')}",
                  "description": f"Custom channel (Pinpoint custom-channel contract): built-in {kind.value}"}
        )  # fmt: skip
        self.python_function = PythonFunction(
            self,
            "Function",
            settings=settings,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            function_props=function_props,
            **source,
        )
        self.function = self.python_function.lambda_function
        self._grant_built_in(connect.instance_id if connect is not None else None)

    @staticmethod
    def _validate_https(v: PropsValidation, name: str, options: HttpsDeliveryOptions) -> None:
        url = getattr(options, "url", "")
        v.require(bool(url) and _is_https(url), f"{name}.url must be an https:// URL.")
        v.require(
            all(100 <= int(c) <= 599 and not 200 <= int(c) < 300 for c in _retry_codes(options)),
            f"{name}.retry_status_codes must be non-2xx HTTP statuses.",
        )
        request_timeout = (options.request_timeout or cdk.Duration.seconds(5)).to_seconds()
        v.require(1 <= request_timeout <= 30, f"{name}.request_timeout must be between 1 and 30 seconds.")
        v.require(1 <= options.max_attempts <= 10, f"{name}.max_attempts must be between 1 and 10.")
        field = options.secret_json_field
        v.require(
            field is None or bool(re.fullmatch(r"\w{1,128}", field)),
            f"{name}.secret_json_field must be letters, digits or '_'.",
        )
        if isinstance(options, CdpWriteBackOptions):
            v.require(
                bool(re.fullmatch(r"[A-Za-z0-9-]{1,64}", options.auth_header_name)),
                "cdp_writeback.auth_header_name must be an HTTP header name.",
            )

    @staticmethod
    def _validate_connect(v: PropsValidation, options: ConnectVoiceOptions) -> None:
        instance, number = options.instance_id, options.source_phone_number
        v.require(
            bool(instance) and bool(options.contact_flow_id),
            "connect_voice needs instance_id and contact_flow_id.",
        )
        v.require(
            cdk.Token.is_unresolved(instance) or not instance.startswith("arn:"),
            "connect_voice.instance_id is the instance id, not its ARN.",
        )
        v.require(
            bool(number) or bool(options.queue_id),
            "connect_voice needs source_phone_number or queue_id (whose caller id is used).",
        )
        v.require(
            number is None or cdk.Token.is_unresolved(number) or is_e164(number),
            "connect_voice.source_phone_number must be E.164 (e.g. +12065550100).",
        )
        v.require(
            0 < options.calls_per_second <= 100, "connect_voice.calls_per_second must be above 0 and at most 100."
        )
        v.require(1 <= options.max_attempts <= 10, "connect_voice.max_attempts must be between 1 and 10.")

    # ----------------------------------------------------------------------------------------------- methods
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the campaign runner) invoke the channel. aws-cdk-lib also grants the function's versions
        and aliases (``<arn>:*``); that cdk-nag finding is acknowledged on the grantee, narrowly."""
        grant = self.function.grant_invoke(grantee)
        acknowledge_invoke_grant(grantee.grant_principal, self.function, self.function.function_arn)
        return grant

    def grant_read_inbox(self, grantee: iam.IGrantable) -> iam.Grant:
        """INAPP_INBOX: let ``grantee`` (the app's backend) read the inbox table."""
        if self.inbox_table is None:
            raise ValueError("grant_read_inbox needs built_in=BuiltInChannel.INAPP_INBOX")
        return self.inbox_table.grant_read_data(grantee)

    # ----------------------------------------------------------------------------------------------- parts
    def _create_secret(self, built_in: BuiltInChannel, secret_props: Any) -> secretsmanager.Secret:
        webhook = built_in == BuiltInChannel.WEBHOOK
        self.secret_key = kms.Key(
            self,
            "SecretKey",
            enable_key_rotation=True,
            description=f"Encrypts the {'signing' if webhook else 'auth'} secret of {self.node.path}",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        description = (
            "HMAC-SHA256 signing key of the campaign webhook (share it with the receiver, which verifies "
            "X-Pinpoint-Signature)"
            if webhook
            else "Auth header value for the CDP write-back (replace the generated placeholder with the CDP's token)"
        )
        secret = secretsmanager.Secret(
            self,
            "Secret",
            **consolidate_props(
                self,
                {
                    "description": description,
                    "generate_secret_string": secretsmanager.SecretStringGenerator(
                        exclude_punctuation=True, password_length=48
                    ),
                    "removal_policy": cdk.RemovalPolicy.RETAIN,
                },
                secret_props,
                {"encryption_key": self.secret_key},
            ),
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "The value is shared with a system outside AWS (the webhook receiver or the CDP), which a rotation "
            "Lambda cannot update; rotate by putting a new value and updating the other side (the function re-reads "
            "the secret within secret_cache_ttl).",
        )
        return secret

    def _create_inbox_table(self, table_props: Any) -> dynamodb.Table:
        return secure_table(
            self,
            "InboxTable",
            partition_key="pk",
            sort_key="sk",
            data=TableData.KEPT,
            expires=True,
            table_props=table_props,
        )

    def _grant_built_in(self, connect_instance_id: str | None) -> None:
        function = self.function
        if self.secret is not None:
            self.secret.grant_read(function)
        if self.inbox_table is not None:
            self.inbox_table.grant(function, "dynamodb:PutItem")
        if connect_instance_id is not None:
            contacts = cdk.Stack.of(self).format_arn(
                service="connect", resource="instance", resource_name=f"{connect_instance_id}/contact/*"
            )
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["connect:StartOutboundVoiceContact"], resources=[contacts])
            )
            acknowledge(
                self.python_function.role,  # type: ignore[union-attr]
                "AwsSolutions-IAM5",
                "StartOutboundVoiceContact creates the contact, so its id is unknown beforehand; the grant is "
                "limited to contacts of the one Connect instance.",
                applies_to=f"Resource::{nag_resource(self, contacts)}",
            )


__all__: Sequence[str] = ["CustomChannel"]
