"""CampaignHookAttributes: a Pinpoint campaign hook (FILTER mode) that the library's campaign engine calls.

Pinpoint called a campaign hook Lambda with up to 50 endpoints before each send and used the map it answered as
the batch (hooks filter by leaving endpoints out and augment by changing them). Pinpoint's campaigns are gone;
``CampaignRunner`` calls the function this construct exposes in the same way (synchronously, 15 s budget, at most
3 attempts), so a hook written for Pinpoint ports unchanged. The contract is
``pinpoint_runtime.campaigns.payloads.hook_event`` / ``parse_hook_response``.

The function is the partner's (``handler``: a Lambda function, or ``lambda_.Code`` built with the library's
defaults) or a built-in (``built_in``, a :class:`BuiltInHook`, with the options of that built-in):

* ``ATTRIBUTE_LOOKUP`` (``lambda_src/hook_attribute_lookup``, :class:`AttributeLookupOptions`): a DynamoDB table
  (created, or yours) keyed by endpoint id or ``User.UserId`` (``key_type``); the item's values are added under
  ``Attributes`` as Pinpoint string lists, so messages use ``{{Attributes.Offer}}``.
* ``EXTERNAL_TEMPLATES`` (``lambda_src/hook_external_templates``, :class:`ExternalTemplatesOptions`): a JSON
  document ``{"subject", "html", "body"}`` per campaign/treatment/locale from S3 (``bucket`` + ``prefix``) or an
  HTTPS source (``url``), put as ``Attributes.subject``/``html``/``body``; cached per process for ``cache_ttl``;
  HTTPS with timeouts and no redirects to anything but HTTPS.
* ``FREQUENCY_CAP`` (``lambda_src/hook_frequency_cap``, :class:`FrequencyCapOptions`): drops endpoints (or users)
  that this hook let through ``max_messages`` times in the trailing ``window``. The hook records an admission in
  a DynamoDB counter table (created, or yours) when it lets an endpoint through; so it counts admissions, not
  deliveries (a message that later fails still counts: the cap is never exceeded), a retried batch is not counted
  twice (admissions are keyed by campaign, treatment and endpoint), and concurrent batches cannot both take the
  last slot (conditional writes). Items expire one window after their last admission (TTL ``expires_at``).

All built-ins are tolerant of endpoints without ``Attributes`` or ``User``, and raise on infrastructure errors so
the runner retries instead of sending un-augmented messages. Unlike the reference's project-wide
``ApplicationSettings.CampaignHook``, a hook applies only to the runners it is given to.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from pinpoint_runtime.campaigns.hooks.attribute_lookup import AttributeLookupSettings
from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.campaigns.hooks.external_templates import (
    DEFAULT_TEMPLATE_KEY,
    ExternalTemplatesSettings,
    OnMissingTemplate,
)
from pinpoint_runtime.campaigns.hooks.frequency_cap import FrequencyCapSettings
from pinpoint_runtime.core.environment import FunctionSettings

from .core import PropsValidation, PythonFunction, TableData, acknowledge, secure_table
from .core.acknowledgments import acknowledge_invoke_grant, nag_resource

TEMPLATE_PLACEHOLDERS = ("ApplicationId", "CampaignId", "TreatmentId", "ActivityId", "Locale")
MAX_TEMPLATE_BYTES = 100 * 1024
HOOK_BUDGET = cdk.Duration.seconds(15)
_DYNAMODB_ATTRIBUTE = re.compile(r"[A-Za-z0-9_.-]{1,255}")


class BuiltInHook(enum.StrEnum):
    """The built-in hooks of :class:`CampaignHookAttributes` (see the module docstring)."""

    ATTRIBUTE_LOOKUP = "ATTRIBUTE_LOOKUP"
    EXTERNAL_TEMPLATES = "EXTERNAL_TEMPLATES"
    FREQUENCY_CAP = "FREQUENCY_CAP"

    @property
    def function_folder(self) -> str:
        return f"hook_{self.value.lower()}"

    @property
    def options_prop(self) -> str:
        """The prop of :class:`CampaignHookAttributes` holding this built-in's options."""
        return self.value.lower()


@dataclass(frozen=True, kw_only=True)
class AttributeLookupOptions:
    """Options of ``BuiltInHook.ATTRIBUTE_LOOKUP`` (all optional: ``attribute_lookup=AttributeLookupOptions()``
    is the default).

    Keyword-only props:
      key_type: what the lookup table is keyed by: ``KeyType.ENDPOINT_ID`` or ``KeyType.USER_ID``
        (``User.UserId``). @default ENDPOINT_ID.
      partition_key: partition key name of ``existing_table_obj`` (string ids). @default ``"id"``.
      attribute_names: only these item attributes are added. @default all but the key.
      drop_missing: drop endpoints without an item (filter) instead of passing them unchanged. @default False.
    """

    key_type: KeyType = KeyType.ENDPOINT_ID
    partition_key: str = "id"
    attribute_names: Sequence[str] = ()
    drop_missing: bool = False


@dataclass(frozen=True, kw_only=True)
class ExternalTemplatesOptions:
    """Options of ``BuiltInHook.EXTERNAL_TEMPLATES``: exactly one source, ``bucket`` or ``url``.

    Keyword-only props:
      bucket / prefix: the documents in S3 (read-only grant on the prefix). @default prefix ``""``.
      url: the documents under an ``https://`` base URL (the key is appended).
      key_pattern: the document key under the prefix/URL; placeholders ``{ApplicationId}``, ``{CampaignId}``,
        ``{TreatmentId}``, ``{ActivityId}``, ``{Locale}`` (endpoint ``Demographic.Locale``, falling back to
        ``default``). @default ``"{CampaignId}/{TreatmentId}/{Locale}.json"``.
      cache_ttl: how long a fetched (or missing) document is cached per process. @default 5 minutes.
      max_bytes: largest document accepted. @default 64 KiB (at most 100 KiB: 50 endpoints per answer must stay
        under Lambda's 6 MB response limit).
      on_missing: ``OnMissingTemplate.FAIL`` (the hook fails; the runner retries, then fails the batch) or
        ``OnMissingTemplate.DROP`` (endpoints without a document are filtered out). @default FAIL.
    """

    bucket: s3.IBucket | None = None
    prefix: str = ""
    url: str | None = None
    key_pattern: str = DEFAULT_TEMPLATE_KEY
    cache_ttl: cdk.Duration | None = None
    max_bytes: int = 64 * 1024
    on_missing: OnMissingTemplate = OnMissingTemplate.FAIL


@dataclass(frozen=True, kw_only=True)
class FrequencyCapOptions:
    """Options of ``BuiltInHook.FREQUENCY_CAP``.

    Keyword-only props:
      max_messages / window: at most ``max_messages`` admissions per subject per trailing ``window`` (required).
      key_type: what a subject is: ``KeyType.ENDPOINT_ID`` or ``KeyType.USER_ID`` (endpoints without a user are
        then capped by endpoint id). @default ENDPOINT_ID.
      partition_key: partition key name of ``existing_table_obj`` (string ids). @default ``"id"``.
    """

    max_messages: int
    window: cdk.Duration
    key_type: KeyType = KeyType.ENDPOINT_ID
    partition_key: str = "id"


def _choice(enum_type: type[enum.StrEnum], value: Any) -> Any:
    """``value`` as a member of ``enum_type``, or ``None`` when it is none."""
    try:
        return enum_type(value)
    except ValueError:
        return None


def _names(enum_type: type[enum.StrEnum]) -> str:
    return ", ".join(member.value for member in enum_type)


class CampaignHookAttributes(Construct):
    """A campaign hook (FILTER) for ``CampaignRunner``: the partner's function or a built-in.

    Keyword-only props:
      handler: the partner's hook: a Lambda function, or ``lambda_.Code`` (entry ``handler_entry``) built into a
        function with the library's defaults. Exactly one of ``handler`` and ``built_in``.
      handler_entry: the entry point of ``handler`` code. @default ``"index.handler"``.
      built_in: a :class:`BuiltInHook` (see the module docstring); its options go in the prop of the same name.
      attribute_lookup: ATTRIBUTE_LOOKUP: :class:`AttributeLookupOptions`. @default ``AttributeLookupOptions()``.
      external_templates: EXTERNAL_TEMPLATES: :class:`ExternalTemplatesOptions` (required: the source).
      frequency_cap: FREQUENCY_CAP: :class:`FrequencyCapOptions` (required: ``max_messages`` and ``window``).
      table_props: partial ``dynamodb.TableProps`` of the created lookup or counter table. Conflicts with
        ``existing_table_obj``.
      existing_table_obj: your table (ATTRIBUTE_LOOKUP or FREQUENCY_CAP); string partition key named by the
        options' ``partition_key``. A customer-managed key is granted too when the table object knows it.
      timeout: @default 15 seconds (the runner's budget per hook call; longer is an error).
      memory_size: MB. @default 256.
      reserved_concurrent_executions: @default none.
      function_props: partial ``lambda_.FunctionProps`` for the built-in or ``handler`` code function.

    Options of a built-in other than ``built_in`` are an error, and every problem of one call is reported
    together in one :class:`~pinpoint_constructs.PropsConflictError`.

    Attributes: ``function`` (``lambda_.IFunction`` the runner invokes), ``python_function``
    (:class:`PythonFunction`, or ``None`` for a partner function object), ``built_in`` (a :class:`BuiltInHook` or
    ``None``), ``table`` (``dynamodb.ITable`` or ``None``), ``template_bucket`` (or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction | lambda_.Code | None = None,
        handler_entry: str = "index.handler",
        built_in: BuiltInHook | None = None,
        attribute_lookup: AttributeLookupOptions | None = None,
        external_templates: ExternalTemplatesOptions | None = None,
        frequency_cap: FrequencyCapOptions | None = None,
        table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        existing_table_obj: dynamodb.ITable | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or HOOK_BUDGET
        kind: BuiltInHook | None = _choice(BuiltInHook, built_in) if built_in is not None else None
        options: dict[BuiltInHook, Any] = {
            BuiltInHook.ATTRIBUTE_LOOKUP: attribute_lookup,
            BuiltInHook.EXTERNAL_TEMPLATES: external_templates,
            BuiltInHook.FREQUENCY_CAP: frequency_cap,
        }
        if kind == BuiltInHook.ATTRIBUTE_LOOKUP and attribute_lookup is None:
            attribute_lookup = AttributeLookupOptions()
        v = PropsValidation(type(self).__name__)
        v.require((handler is None) != (built_in is None), "Provide exactly one of handler or built_in.")
        v.require(built_in is None or kind is not None, f"built_in must be one of {_names(BuiltInHook)}.")
        for other, given in options.items():
            if other != kind:
                v.require(given is None, f"{other.options_prop} applies only to {other.value}.")
        v.exclusive("table_props", table_props, "existing_table_obj", existing_table_obj)
        uses_table = kind in (BuiltInHook.ATTRIBUTE_LOOKUP, BuiltInHook.FREQUENCY_CAP)
        v.require(
            uses_table or (table_props is None and existing_table_obj is None),
            "table_props/existing_table_obj apply only to ATTRIBUTE_LOOKUP and FREQUENCY_CAP.",
        )
        keyed = attribute_lookup if kind == BuiltInHook.ATTRIBUTE_LOOKUP else frequency_cap
        if kind is not None and uses_table and keyed is not None:
            name = kind.options_prop
            v.require(
                _choice(KeyType, keyed.key_type) is not None, f"{name}.key_type must be one of {_names(KeyType)}."
            )
            v.require(
                bool(_DYNAMODB_ATTRIBUTE.fullmatch(keyed.partition_key)),
                f"{name}.partition_key must be a DynamoDB attribute name.",
            )
        if kind == BuiltInHook.EXTERNAL_TEMPLATES:
            self._validate_templates(v, external_templates)
        if kind == BuiltInHook.FREQUENCY_CAP:
            v.require(
                frequency_cap is not None,
                "FREQUENCY_CAP needs frequency_cap=FrequencyCapOptions(max_messages=..., window=...).",
            )
            if frequency_cap is not None:
                v.require(frequency_cap.max_messages >= 1, "frequency_cap.max_messages must be 1 or more.")
                v.require(frequency_cap.window.to_milliseconds() >= 1000, "frequency_cap.window must be 1 s or more.")
        v.require(
            timeout.to_seconds() <= HOOK_BUDGET.to_seconds(),
            "timeout must be 15 seconds or less (the runner's budget per hook call, as in Pinpoint).",
        )
        v.raise_if_any()

        self.built_in = kind
        self.table: dynamodb.ITable | None = None
        self.template_bucket = external_templates.bucket if external_templates is not None else None
        self.python_function: PythonFunction | None = None

        if handler is not None and not isinstance(handler, lambda_.Code):
            self.function: lambda_.IFunction = handler  # the partner's function object
            return

        settings: list[FunctionSettings] = []
        if kind is not None and uses_table:
            table = existing_table_obj or self._create_table(kind, table_props)
            self.table = table
            if attribute_lookup is not None:
                settings.append(
                    AttributeLookupSettings(
                        table_name=table.table_name,
                        key_type=KeyType(attribute_lookup.key_type),
                        partition_key=attribute_lookup.partition_key,
                        attribute_names=tuple(attribute_lookup.attribute_names),
                        drop_missing=attribute_lookup.drop_missing,
                    )
                )
            elif frequency_cap is not None:
                settings.append(
                    FrequencyCapSettings(
                        table_name=table.table_name,
                        max_messages=frequency_cap.max_messages,
                        window_seconds=int(frequency_cap.window.to_seconds()),
                        key_type=KeyType(frequency_cap.key_type),
                        partition_key=frequency_cap.partition_key,
                    )
                )
        elif external_templates is not None:
            bucket = external_templates.bucket
            settings.append(
                ExternalTemplatesSettings(
                    key_pattern=external_templates.key_pattern,
                    cache_ttl_seconds=int((external_templates.cache_ttl or cdk.Duration.minutes(5)).to_seconds()),
                    max_bytes=external_templates.max_bytes,
                    on_missing=OnMissingTemplate(external_templates.on_missing),
                    http_timeout_seconds=max(1, int(timeout.to_seconds()) // 4),
                    bucket=bucket.bucket_name if bucket is not None else None,
                    prefix=external_templates.prefix if bucket is not None else None,
                    base_url=external_templates.url if bucket is None else None,
                )
            )

        source: dict[str, Any] = (
            {"code": handler, "handler": handler_entry, "service_name": "campaign-hook-partner",
             "description": "The partner's campaign hook (Pinpoint FILTER contract)"}
            if kind is None
            else {"function_folder": kind.function_folder,
                  "service_name": f"campaign-hook-{kind.value.lower().replace('_', '-')}",
                  "description": f"Campaign hook (Pinpoint FILTER contract): built-in {kind.value}"}
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
        self._grant_built_in(kind, external_templates.prefix if external_templates is not None else "")

    @staticmethod
    def _validate_templates(v: PropsValidation, options: ExternalTemplatesOptions | None) -> None:
        v.require(
            options is not None,
            "EXTERNAL_TEMPLATES needs external_templates=ExternalTemplatesOptions(bucket=... or url=...).",
        )
        if options is None:
            return
        url = options.url
        v.require((options.bucket is None) != (url is None), "external_templates needs exactly one of bucket or url.")
        v.require(
            url is None or cdk.Token.is_unresolved(url) or url.lower().startswith("https://"),
            "external_templates.url must be an https:// URL.",
        )
        v.require(options.bucket is not None or not options.prefix, "external_templates.prefix needs bucket.")
        unknown = set(re.findall(r"\{([A-Za-z]+)\}", options.key_pattern)) - set(TEMPLATE_PLACEHOLDERS)
        v.require(not unknown, f"external_templates.key_pattern has unknown placeholders: {sorted(unknown)}.")
        v.require(
            1 <= options.max_bytes <= MAX_TEMPLATE_BYTES,
            f"external_templates.max_bytes must be between 1 and {MAX_TEMPLATE_BYTES}.",
        )
        v.require(
            _choice(OnMissingTemplate, options.on_missing) is not None,
            f"external_templates.on_missing must be one of {_names(OnMissingTemplate)}.",
        )

    # ----------------------------------------------------------------------------------------------- methods
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the campaign runner) invoke the hook. aws-cdk-lib also grants the function's versions
        and aliases (``<arn>:*``); that cdk-nag finding is acknowledged on the grantee, narrowly."""
        grant = self.function.grant_invoke(grantee)
        acknowledge_invoke_grant(grantee.grant_principal, self.function, self.function.function_arn)
        return grant

    # ----------------------------------------------------------------------------------------------- parts
    def _create_table(self, built_in: BuiltInHook, table_props: Any) -> dynamodb.Table:
        lookup = built_in == BuiltInHook.ATTRIBUTE_LOOKUP
        return secure_table(
            self,
            "LookupTable" if lookup else "CounterTable",
            partition_key="id",
            # lookup data is the partner's; counters are rebuilt by the next sends
            data=TableData.KEPT if lookup else TableData.DISPOSABLE,
            expires=built_in == BuiltInHook.FREQUENCY_CAP,
            table_props=table_props,
        )

    def _grant_built_in(self, built_in: BuiltInHook | None, template_prefix: str) -> None:
        function = self.function
        if self.table is not None:
            actions = (
                ["dynamodb:BatchGetItem"]
                if built_in == BuiltInHook.ATTRIBUTE_LOOKUP
                else ["dynamodb:GetItem", "dynamodb:UpdateItem"]
            )
            self.table.grant(function, *actions)
            if self.table.encryption_key is not None:
                if built_in == BuiltInHook.ATTRIBUTE_LOOKUP:
                    self.table.encryption_key.grant_decrypt(function)
                else:
                    self.table.encryption_key.grant_encrypt_decrypt(function)
        if self.template_bucket is not None:
            objects = self.template_bucket.arn_for_objects(f"{template_prefix}*")
            function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]))
            # ListBucket on the prefix: a missing document is then NoSuchKey (fall back / DROP), not AccessDenied
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[self.template_bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{template_prefix}*"]}},
                )
            )
            if self.template_bucket.encryption_key is not None:
                self.template_bucket.encryption_key.grant_decrypt(function)
            acknowledge(
                self.python_function.role,  # type: ignore[union-attr]
                "AwsSolutions-IAM5",
                "The hook reads template documents by key under the configured prefix only (s3:GetObject).",
                applies_to=f"Resource::{nag_resource(self, objects)}",
            )


__all__: Sequence[str] = [
    "AttributeLookupOptions",
    "BuiltInHook",
    "CampaignHookAttributes",
    "ExternalTemplatesOptions",
    "FrequencyCapOptions",
    "KeyType",
    "OnMissingTemplate",
]
