"""CustomChannel: a Pinpoint custom channel (``CustomDeliveryConfiguration.DeliveryUri``) that the library's
campaign engine delivers CUSTOM endpoints through.

Pinpoint invoked a custom-channel Lambda with the campaign's ``CustomMessage.Data`` and up to 50 endpoints and
ignored its answer. ``CampaignRunner`` invokes the function this construct exposes with the same payload
(``pinpoint_runtime.campaigns.payloads.custom_channel_event``), so Pinpoint-era channel functions port unchanged, and
reads per-endpoint results when the function answers them: ``{"Results": {endpoint id: {"Status": "SUCCESS" |
"FAILURE", "Reason": ...}}}`` (nothing = all delivered). Every built-in answers them, one per endpoint, and one
endpoint's failure never aborts the others.

The function is the partner's (``handler``) or a built-in (``built_in``):

* ``WEBHOOK`` (``lambda_src/channel_webhook``): HTTPS POST of the payload to ``webhook_url``, signed with
  HMAC-SHA256 over ``"<timestamp>.<body>"`` using a Secrets Manager secret (generated, customer-managed KMS key, or
  yours): headers ``X-Pinpoint-Timestamp``, ``X-Pinpoint-Signature: sha256=<hex>`` and an ``Idempotency-Key`` that
  is the same on every retry of a batch. 2xx delivered (the receiver may answer ``Results`` per endpoint),
  ``retry_status_codes`` and network errors retried with full-jitter backoff (``Retry-After`` honoured up to the
  cap) for ``max_attempts``, anything else (including 3xx: redirects are not followed) a failure.
* ``CONNECT_VOICE`` (``lambda_src/channel_connect_voice``): Amazon Connect ``StartOutboundVoiceContact`` per
  endpoint with an E.164 address, ``Data`` as the ``Message`` contact attribute, ``ClientToken`` derived from
  application/campaign/treatment/endpoint (so a retry while the call is live returns the same contact instead of
  dialling again; Connect keeps tokens 7 days but starts a new call once the first has ended, so the runner's send
  ledger is what stops a late re-send), paced at ``calls_per_second`` per function instance (Connect's API limit is
  2/s with bursts of 5: set ``reserved_concurrent_executions=1`` to make it a global rate).
* ``INAPP_INBOX`` (``lambda_src/channel_inapp_inbox``): a DynamoDB table (created) the app reads on load:
  ``pk`` user id (or endpoint id: ``inbox_key_type``), ``sk`` ``<ScheduledTime>#<CampaignId>#<TreatmentId>``,
  TTL ``expires_at`` (``message_ttl``); conditional puts, so retries write nothing twice.
  :meth:`grant_read_inbox` lets the app's backend read it.
* ``CDP_WRITEBACK`` (``lambda_src/channel_cdp_writeback``): HTTPS POST of ``{"records": [...]}`` (one per
  endpoint: ids, channel type, campaign ids, attributes, data; addresses only with ``include_addresses``) to
  ``cdp_url`` with ``auth_header_name: <secret value>``; same retry policy as the webhook.
"""

from __future__ import annotations

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

WEBHOOK = "WEBHOOK"
CONNECT_VOICE = "CONNECT_VOICE"
INAPP_INBOX = "INAPP_INBOX"
CDP_WRITEBACK = "CDP_WRITEBACK"
BUILT_INS = (WEBHOOK, CONNECT_VOICE, INAPP_INBOX, CDP_WRITEBACK)
DEFAULT_RETRY_STATUS_CODES = (408, 425, 429, 500, 502, 503, 504)
MAX_ENDPOINTS_PER_CALL = 50
_FOLDERS = {
    WEBHOOK: "channel_webhook",
    CONNECT_VOICE: "channel_connect_voice",
    INAPP_INBOX: "channel_inapp_inbox",
    CDP_WRITEBACK: "channel_cdp_writeback",
}


class CustomChannel(Construct):
    """A custom channel for ``CampaignRunner``: the partner's function or a built-in.

    Keyword-only props:
      handler: the partner's channel: a Lambda function, or ``lambda_.Code`` (entry ``handler_entry``) built
        with the library's defaults. Exactly one of ``handler`` and ``built_in``.
      handler_entry: entry point of ``handler`` code. @default ``"index.handler"``.
      built_in: ``"WEBHOOK"``, ``"CONNECT_VOICE"``, ``"INAPP_INBOX"`` or ``"CDP_WRITEBACK"``.
      webhook_url: WEBHOOK: the ``https://`` receiver.
      cdp_url: CDP_WRITEBACK: the ``https://`` endpoint records are POSTed to.
      secret_props: partial ``secretsmanager.SecretProps`` of the created secret (WEBHOOK: the signing secret,
        generated; CDP_WRITEBACK: the auth header value, generated as a placeholder: put the CDP's token).
        Conflicts with ``existing_secret_obj``.
      existing_secret_obj: your secret (WEBHOOK or CDP_WRITEBACK).
      secret_json_field: read this field of a JSON secret instead of the whole string. @default whole string.
      secret_cache_ttl: how long the function caches the secret (a rotated value is used within it).
        @default 5 minutes.
      auth_header_name: CDP_WRITEBACK: the header carrying the secret. @default ``"Authorization"``.
      include_addresses: CDP_WRITEBACK: add each endpoint's ``Address`` to its record. @default False.
      retry_status_codes: WEBHOOK/CDP_WRITEBACK: statuses retried (2xx is success, everything else a failure).
        @default 408, 425, 429, 500, 502, 503, 504.
      max_attempts: WEBHOOK/CDP_WRITEBACK: attempts per call, CONNECT_VOICE: attempts per throttled call.
        @default 4.
      request_timeout: WEBHOOK/CDP_WRITEBACK: per attempt. @default 5 seconds.
      connect_instance_id / contact_flow_id: CONNECT_VOICE (ids, not ARNs): the instance and the outbound flow
        (it reads ``$.Attributes.Message``).
      source_phone_number: CONNECT_VOICE: E.164 caller id claimed in the instance. One of it or
        ``connect_queue_id`` is required.
      connect_queue_id: CONNECT_VOICE: the queue (its outbound caller id is used when no source number is given).
      calls_per_second: CONNECT_VOICE: pacing per function instance. @default 1.
      inbox_key_type: INAPP_INBOX: ``"USER_ID"`` (one message per user per campaign; endpoints without a user
        fail) or ``"ENDPOINT_ID"``. @default USER_ID.
      message_ttl: INAPP_INBOX: how long messages live. @default 30 days.
      table_props: INAPP_INBOX: partial ``dynamodb.TableProps`` of the inbox table.
      timeout: @default 60 s (CONNECT_VOICE: enough for 50 calls at ``calls_per_second``, at least 60 s).
      memory_size: MB. @default 256.
      reserved_concurrent_executions: @default none.
      function_props: partial ``lambda_.FunctionProps`` of the built-in or ``handler`` code function.

    Attributes: ``function`` (the ``lambda_.IFunction`` the runner invokes), ``python_function`` (or ``None``),
    ``built_in`` (or ``None``), ``inbox_table`` (or ``None``), ``secret`` (``secretsmanager.ISecret`` or
    ``None``), ``secret_key`` (the created secret's ``kms.Key`` or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction | lambda_.Code | None = None,
        handler_entry: str = "index.handler",
        built_in: str | None = None,
        webhook_url: str | None = None,
        cdp_url: str | None = None,
        secret_props: secretsmanager.SecretProps | dict[str, Any] | None = None,
        existing_secret_obj: secretsmanager.ISecret | None = None,
        secret_json_field: str | None = None,
        secret_cache_ttl: cdk.Duration | None = None,
        auth_header_name: str = "Authorization",
        include_addresses: bool = False,
        retry_status_codes: Sequence[int] | None = None,
        max_attempts: int = 4,
        request_timeout: cdk.Duration | None = None,
        connect_instance_id: str | None = None,
        contact_flow_id: str | None = None,
        source_phone_number: str | None = None,
        connect_queue_id: str | None = None,
        calls_per_second: float = 1.0,
        inbox_key_type: str = "USER_ID",
        message_ttl: cdk.Duration | None = None,
        table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        request_timeout = request_timeout or cdk.Duration.seconds(5)
        retry_codes = list(DEFAULT_RETRY_STATUS_CODES if retry_status_codes is None else retry_status_codes)
        https = built_in in (WEBHOOK, CDP_WRITEBACK)
        v = PropsValidation(type(self).__name__)
        v.require((handler is None) != (built_in is None), "Provide exactly one of handler or built_in.")
        v.require(built_in is None or built_in in BUILT_INS, f"built_in must be one of {', '.join(BUILT_INS)}.")
        v.exclusive("secret_props", secret_props, "existing_secret_obj", existing_secret_obj)
        v.require(
            https or (secret_props is None and existing_secret_obj is None and secret_json_field is None),
            "secret_props/existing_secret_obj/secret_json_field apply only to WEBHOOK and CDP_WRITEBACK.",
        )
        for name, url, kind in (("webhook_url", webhook_url, WEBHOOK), ("cdp_url", cdp_url, CDP_WRITEBACK)):
            if built_in == kind:
                v.require(url is not None, f"{kind} needs {name}.")
                v.require(
                    url is None or cdk.Token.is_unresolved(url) or url.lower().startswith("https://"),
                    f"{name} must be an https:// URL.",
                )
            else:
                v.require(url is None, f"{name} applies only to {kind}.")
        if https:
            v.require(
                all(100 <= int(c) <= 599 and not 200 <= int(c) < 300 for c in retry_codes),
                "retry_status_codes must be non-2xx HTTP statuses.",
            )
            v.require(
                request_timeout.to_seconds() >= 1 and request_timeout.to_seconds() <= 30,
                "request_timeout must be between 1 and 30 seconds.",
            )
        v.require(1 <= max_attempts <= 10, "max_attempts must be between 1 and 10.")
        v.require(
            secret_json_field is None or bool(re.fullmatch(r"\w{1,128}", secret_json_field)),
            "secret_json_field must be letters, digits or '_'.",
        )
        v.require(
            bool(re.fullmatch(r"[A-Za-z0-9-]{1,64}", auth_header_name)), "auth_header_name must be an HTTP header name."
        )
        v.require(
            built_in == CDP_WRITEBACK or not include_addresses, "include_addresses applies only to CDP_WRITEBACK."
        )
        connect_props = (connect_instance_id, contact_flow_id, source_phone_number, connect_queue_id)
        if built_in == CONNECT_VOICE:
            v.require(
                bool(connect_instance_id) and bool(contact_flow_id),
                "CONNECT_VOICE needs connect_instance_id and contact_flow_id.",
            )
            v.require(
                connect_instance_id is None
                or cdk.Token.is_unresolved(connect_instance_id)
                or not connect_instance_id.startswith("arn:"),
                "connect_instance_id is the instance id, not its ARN.",
            )
            v.require(
                bool(source_phone_number) or bool(connect_queue_id),
                "CONNECT_VOICE needs source_phone_number or connect_queue_id (whose caller id is used).",
            )
            v.require(
                source_phone_number is None
                or cdk.Token.is_unresolved(source_phone_number)
                or is_e164(source_phone_number),
                "source_phone_number must be E.164 (e.g. +12065550100).",
            )
            v.require(0 < calls_per_second <= 100, "calls_per_second must be above 0 and at most 100.")
        else:
            v.require(
                all(p is None for p in connect_props),
                "connect_instance_id/contact_flow_id/source_phone_number/connect_queue_id apply only to CONNECT_VOICE.",
            )
        if built_in == INAPP_INBOX:
            v.require(inbox_key_type in ("USER_ID", "ENDPOINT_ID"), "inbox_key_type must be USER_ID or ENDPOINT_ID.")
            v.require(message_ttl is None or message_ttl.to_seconds() >= 60, "message_ttl must be at least 1 minute.")
        else:
            v.require(table_props is None and message_ttl is None, "table_props/message_ttl apply only to INAPP_INBOX.")
        if timeout is None:
            timeout = cdk.Duration.seconds(60)
            if built_in == CONNECT_VOICE and calls_per_second > 0:
                timeout = cdk.Duration.seconds(
                    min(900, max(60, math.ceil(MAX_ENDPOINTS_PER_CALL / calls_per_second) + 30))
                )
        v.require(timeout.to_seconds() <= 900, "timeout must be at most 15 minutes.")
        if https:
            v.require(
                timeout.to_seconds() > request_timeout.to_seconds() + 1, "timeout must be longer than request_timeout."
            )
        if built_in == CONNECT_VOICE and calls_per_second > 0:
            v.require(
                timeout.to_seconds() > MAX_ENDPOINTS_PER_CALL / calls_per_second,
                f"timeout must exceed {MAX_ENDPOINTS_PER_CALL} calls at calls_per_second.",
            )
        v.raise_if_any()

        self.built_in = built_in
        self.python_function: PythonFunction | None = None
        self.inbox_table: dynamodb.Table | None = None
        self.secret: secretsmanager.ISecret | None = None
        self.secret_key: kms.IKey | None = None

        if handler is not None and not isinstance(handler, lambda_.Code):
            self.function: lambda_.IFunction = handler  # the partner's function object
            return

        settings: list[FunctionSettings] = []
        if https:
            self.secret = existing_secret_obj or self._create_secret(built_in, secret_props)  # type: ignore[arg-type]
            delivery: dict[str, Any] = {
                "secret_id": self.secret.secret_arn,
                "secret_cache_ttl_seconds": int((secret_cache_ttl or cdk.Duration.minutes(5)).to_seconds()),
                "retry_status_codes": tuple(int(c) for c in retry_codes),
                "max_attempts": max_attempts,
                "request_timeout_seconds": int(request_timeout.to_seconds()),
                "secret_json_field": secret_json_field or None,
            }
            if built_in == WEBHOOK:
                settings.append(WebhookSettings(**delivery, url=webhook_url))  # type: ignore[arg-type]
            else:
                settings.append(
                    CdpWriteBackSettings(
                        **delivery,
                        url=cdp_url,  # type: ignore[arg-type]
                        auth_header=auth_header_name,
                        include_addresses=include_addresses,
                    )
                )
        elif built_in == CONNECT_VOICE:
            settings.append(
                ConnectVoiceSettings(
                    instance_id=connect_instance_id,  # type: ignore[arg-type]
                    contact_flow_id=contact_flow_id,  # type: ignore[arg-type]
                    calls_per_second=float(calls_per_second),
                    max_attempts=max_attempts,
                    source_phone_number=source_phone_number or None,
                    queue_id=connect_queue_id or None,
                )
            )
        elif built_in == INAPP_INBOX:
            self.inbox_table = self._create_inbox_table(table_props)
            settings.append(
                InAppInboxSettings(
                    table_name=self.inbox_table.table_name,
                    key_type=KeyType(inbox_key_type),
                    ttl_seconds=int((message_ttl or cdk.Duration.days(30)).to_seconds()),
                )
            )

        source: dict[str, Any] = (
            {"code": handler, "handler": handler_entry, "service_name": "custom-channel-partner",
             "description": "The partner's custom channel (Pinpoint custom-channel contract)"}
            if built_in is None
            else {"function_folder": _FOLDERS[built_in],
                  "service_name": f"custom-channel-{built_in.lower().replace('_', '-')}",
                  "description": f"Custom channel (Pinpoint custom-channel contract): built-in {built_in}"}
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
        self._grant_built_in(built_in, connect_instance_id)

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
            raise ValueError("grant_read_inbox needs built_in='INAPP_INBOX'")
        return self.inbox_table.grant_read_data(grantee)

    # ----------------------------------------------------------------------------------------------- parts
    def _create_secret(self, built_in: str, secret_props: Any) -> secretsmanager.Secret:
        self.secret_key = kms.Key(
            self,
            "SecretKey",
            enable_key_rotation=True,
            description=f"Encrypts the {'signing' if built_in == WEBHOOK else 'auth'} secret of {self.node.path}",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        description = (
            "HMAC-SHA256 signing key of the campaign webhook (share it with the receiver, which verifies "
            "X-Pinpoint-Signature)"
            if built_in == WEBHOOK
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

    def _grant_built_in(self, built_in: str | None, connect_instance_id: str | None) -> None:
        function = self.function
        if self.secret is not None:
            self.secret.grant_read(function)
        if self.inbox_table is not None:
            self.inbox_table.grant(function, "dynamodb:PutItem")
        if built_in == CONNECT_VOICE:
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
