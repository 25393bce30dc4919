"""CampaignHookAttributes: a Pinpoint campaign hook (FILTER mode) that the library's campaign engine calls.

Pinpoint called a campaign hook Lambda with up to 50 endpoints before each send and used the map it answered as
the batch (hooks filter by leaving endpoints out and augment by changing them). Pinpoint's campaigns are gone;
``CampaignRunner`` calls the function this construct exposes in the same way (synchronously, 15 s budget, at most
3 attempts), so a hook written for Pinpoint ports unchanged. The contract is
``pinpoint_runtime.campaigns.payloads.hook_event`` / ``parse_hook_response``.

The function is the partner's (``handler``: a Lambda function, or ``lambda_.Code`` built with the library's
defaults) or a built-in (``built_in``):

* ``ATTRIBUTE_LOOKUP`` (``lambda_src/hook_attribute_lookup``): a DynamoDB table (created, or yours) keyed by
  endpoint id or ``User.UserId`` (``key_type``); the item's values are added under ``Attributes`` as Pinpoint
  string lists, so messages use ``{{Attributes.Offer}}``.
* ``EXTERNAL_TEMPLATES`` (``lambda_src/hook_external_templates``): a JSON document ``{"subject", "html",
  "body"}`` per campaign/treatment/locale from S3 (``template_bucket`` + ``template_prefix``) or an HTTPS source
  (``template_url``), put as ``Attributes.subject``/``html``/``body``; cached per process for
  ``template_cache_ttl``; HTTPS with timeouts and no redirects to anything but HTTPS.
* ``FREQUENCY_CAP`` (``lambda_src/hook_frequency_cap``): drops endpoints (or users) that this hook let through
  ``max_messages`` times in the trailing ``window``. The hook records an admission in a DynamoDB counter table
  (created, or yours) when it lets an endpoint through; so it counts admissions, not deliveries (a message that
  later fails still counts: the cap is never exceeded), a retried batch is not counted twice (admissions are
  keyed by campaign, treatment and endpoint), and concurrent batches cannot both take the last slot (conditional
  writes). Items expire one window after their last admission (TTL ``expires_at``).

All built-ins are tolerant of endpoints without ``Attributes`` or ``User``, and raise on infrastructure errors so
the runner retries instead of sending un-augmented messages. Unlike the reference's project-wide
``ApplicationSettings.CampaignHook``, a hook applies only to the runners it is given to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from pinpoint_runtime.campaigns.hooks.attribute_lookup import AttributeLookupSettings
from pinpoint_runtime.campaigns.hooks.contract import KeyType
from pinpoint_runtime.campaigns.hooks.external_templates import ExternalTemplatesSettings, OnMissingTemplate
from pinpoint_runtime.campaigns.hooks.frequency_cap import FrequencyCapSettings
from pinpoint_runtime.core.environment import FunctionSettings

from .core import PropsValidation, PythonFunction, TableData, acknowledge, secure_table
from .core.acknowledgments import acknowledge_invoke_grant, nag_resource

ATTRIBUTE_LOOKUP = "ATTRIBUTE_LOOKUP"
EXTERNAL_TEMPLATES = "EXTERNAL_TEMPLATES"
FREQUENCY_CAP = "FREQUENCY_CAP"
BUILT_INS = (ATTRIBUTE_LOOKUP, EXTERNAL_TEMPLATES, FREQUENCY_CAP)
KEY_TYPES = ("ENDPOINT_ID", "USER_ID")
DEFAULT_TEMPLATE_KEY_PATTERN = "{CampaignId}/{TreatmentId}/{Locale}.json"
TEMPLATE_PLACEHOLDERS = ("ApplicationId", "CampaignId", "TreatmentId", "ActivityId", "Locale")
MAX_TEMPLATE_BYTES = 100 * 1024
HOOK_BUDGET = cdk.Duration.seconds(15)
_FOLDERS = {
    ATTRIBUTE_LOOKUP: "hook_attribute_lookup",
    EXTERNAL_TEMPLATES: "hook_external_templates",
    FREQUENCY_CAP: "hook_frequency_cap",
}


class CampaignHookAttributes(Construct):
    """A campaign hook (FILTER) for ``CampaignRunner``: the partner's function or a built-in.

    Keyword-only props:
      handler: the partner's hook: a Lambda function, or ``lambda_.Code`` (entry ``handler_entry``) built into a
        function with the library's defaults. Exactly one of ``handler`` and ``built_in``.
      handler_entry: the entry point of ``handler`` code. @default ``"index.handler"``.
      built_in: ``"ATTRIBUTE_LOOKUP"``, ``"EXTERNAL_TEMPLATES"`` or ``"FREQUENCY_CAP"`` (see the module docstring).
      key_type: ``"ENDPOINT_ID"`` or ``"USER_ID"`` (``User.UserId``): what the lookup / counter table is keyed by.
        @default ENDPOINT_ID. (Frequency cap by user: endpoints without a user are capped by endpoint id.)
      table_props: partial ``dynamodb.TableProps`` of the created lookup or counter table. Conflicts with
        ``existing_table_obj``.
      existing_table_obj: your table (ATTRIBUTE_LOOKUP or FREQUENCY_CAP); string partition key
        ``table_partition_key``. A customer-managed key is granted too when the table object knows it.
      table_partition_key: partition key name of ``existing_table_obj``. @default ``"id"``.
      attribute_names: ATTRIBUTE_LOOKUP: only these item attributes are added. @default all but the key.
      drop_missing: ATTRIBUTE_LOOKUP: drop endpoints without an item (filter) instead of passing them unchanged.
        @default False.
      template_bucket / template_prefix: EXTERNAL_TEMPLATES from S3 (read-only grant on the prefix).
      template_url: EXTERNAL_TEMPLATES from an ``https://`` base URL (the key is appended). One of the two sources.
      template_key_pattern: the document key under the prefix/URL; placeholders ``{ApplicationId}``,
        ``{CampaignId}``, ``{TreatmentId}``, ``{ActivityId}``, ``{Locale}`` (endpoint ``Demographic.Locale``,
        falling back to ``default``). @default ``"{CampaignId}/{TreatmentId}/{Locale}.json"``.
      template_cache_ttl: how long a fetched (or missing) document is cached per process. @default 5 minutes.
      template_max_bytes: largest document accepted. @default 64 KiB (at most 100 KiB: 50 endpoints per answer
        must stay under Lambda's 6 MB response limit).
      on_missing_template: ``"FAIL"`` (the hook fails; the runner retries, then fails the batch) or ``"DROP"``
        (endpoints without a document are filtered out). @default FAIL.
      max_messages / window: FREQUENCY_CAP: at most ``max_messages`` admissions per subject per trailing
        ``window``. Both required for FREQUENCY_CAP.
      timeout: @default 15 seconds (the runner's budget per hook call; longer is an error).
      memory_size: MB. @default 256.
      reserved_concurrent_executions: @default none.
      function_props: partial ``lambda_.FunctionProps`` for the built-in or ``handler`` code function.

    Attributes: ``function`` (``lambda_.IFunction`` the runner invokes), ``python_function``
    (:class:`PythonFunction`, or ``None`` for a partner function object), ``built_in`` (or ``None``), ``table``
    (``dynamodb.ITable`` or ``None``), ``template_bucket`` (or ``None``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction | lambda_.Code | None = None,
        handler_entry: str = "index.handler",
        built_in: str | None = None,
        key_type: str = "ENDPOINT_ID",
        table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        existing_table_obj: dynamodb.ITable | None = None,
        table_partition_key: str = "id",
        attribute_names: Sequence[str] | None = None,
        drop_missing: bool = False,
        template_bucket: s3.IBucket | None = None,
        template_prefix: str = "",
        template_url: str | None = None,
        template_key_pattern: str = DEFAULT_TEMPLATE_KEY_PATTERN,
        template_cache_ttl: cdk.Duration | None = None,
        template_max_bytes: int = 64 * 1024,
        on_missing_template: str = "FAIL",
        max_messages: int | None = None,
        window: cdk.Duration | None = None,
        timeout: cdk.Duration | None = None,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or HOOK_BUDGET
        v = PropsValidation(type(self).__name__)
        v.require((handler is None) != (built_in is None), "Provide exactly one of handler or built_in.")
        v.require(built_in is None or built_in in BUILT_INS, f"built_in must be one of {', '.join(BUILT_INS)}.")
        v.require(key_type in KEY_TYPES, f"key_type must be one of {', '.join(KEY_TYPES)}.")
        v.exclusive("table_props", table_props, "existing_table_obj", existing_table_obj)
        uses_table = built_in in (ATTRIBUTE_LOOKUP, FREQUENCY_CAP)
        v.require(
            uses_table or (table_props is None and existing_table_obj is None),
            "table_props/existing_table_obj apply only to ATTRIBUTE_LOOKUP and FREQUENCY_CAP.",
        )
        v.require(
            built_in == ATTRIBUTE_LOOKUP or (not attribute_names and not drop_missing),
            "attribute_names/drop_missing apply only to ATTRIBUTE_LOOKUP.",
        )
        v.require(
            bool(re.fullmatch(r"[A-Za-z0-9_.-]{1,255}", table_partition_key)),
            "table_partition_key must be a DynamoDB attribute name.",
        )
        if built_in == EXTERNAL_TEMPLATES:
            v.require(
                (template_bucket is None) != (template_url is None),
                "EXTERNAL_TEMPLATES needs exactly one of template_bucket or template_url.",
            )
            v.require(
                template_url is None
                or cdk.Token.is_unresolved(template_url)
                or template_url.lower().startswith("https://"),
                "template_url must be an https:// URL.",
            )
            unknown = set(re.findall(r"\{([A-Za-z]+)\}", template_key_pattern)) - set(TEMPLATE_PLACEHOLDERS)
            v.require(not unknown, f"template_key_pattern has unknown placeholders: {sorted(unknown)}.")
            v.require(
                1 <= template_max_bytes <= MAX_TEMPLATE_BYTES,
                f"template_max_bytes must be between 1 and {MAX_TEMPLATE_BYTES}.",
            )
            v.require(on_missing_template in ("FAIL", "DROP"), "on_missing_template must be FAIL or DROP.")
        else:
            v.require(
                template_bucket is None and template_url is None and not template_prefix,
                "template_bucket/template_prefix/template_url apply only to EXTERNAL_TEMPLATES.",
            )
        if built_in == FREQUENCY_CAP:
            v.require(max_messages is not None and max_messages >= 1, "FREQUENCY_CAP needs max_messages >= 1.")
            v.require(window is not None and window.to_seconds() >= 1, "FREQUENCY_CAP needs a window of 1 s or more.")
        else:
            v.require(max_messages is None and window is None, "max_messages/window apply only to FREQUENCY_CAP.")
        v.require(
            timeout.to_seconds() <= HOOK_BUDGET.to_seconds(),
            "timeout must be 15 seconds or less (the runner's budget per hook call, as in Pinpoint).",
        )
        v.raise_if_any()

        self.built_in = built_in
        self.table: dynamodb.ITable | None = None
        self.template_bucket = template_bucket
        self.python_function: PythonFunction | None = None

        if handler is not None and not isinstance(handler, lambda_.Code):
            self.function: lambda_.IFunction = handler  # the partner's function object
            return

        settings: list[FunctionSettings] = []
        if uses_table:
            self.table = existing_table_obj or self._create_table(built_in, table_props)  # type: ignore[arg-type]
        if built_in == ATTRIBUTE_LOOKUP:
            settings.append(
                AttributeLookupSettings(
                    table_name=self.table.table_name,  # type: ignore[union-attr]
                    key_type=KeyType(key_type),
                    partition_key=table_partition_key,
                    attribute_names=tuple(attribute_names or ()),
                    drop_missing=drop_missing,
                )
            )
        elif built_in == EXTERNAL_TEMPLATES:
            settings.append(
                ExternalTemplatesSettings(
                    key_pattern=template_key_pattern,
                    cache_ttl_seconds=int((template_cache_ttl or cdk.Duration.minutes(5)).to_seconds()),
                    max_bytes=template_max_bytes,
                    on_missing=OnMissingTemplate(on_missing_template),
                    http_timeout_seconds=max(1, int(timeout.to_seconds()) // 4),
                    bucket=template_bucket.bucket_name if template_bucket is not None else None,
                    prefix=template_prefix if template_bucket is not None else None,
                    base_url=template_url if template_bucket is None else None,
                )
            )
        elif built_in == FREQUENCY_CAP:
            settings.append(
                FrequencyCapSettings(
                    table_name=self.table.table_name,  # type: ignore[union-attr]
                    max_messages=max_messages,  # type: ignore[arg-type]
                    window_seconds=int(window.to_seconds()),  # type: ignore[union-attr]
                    key_type=KeyType(key_type),
                    partition_key=table_partition_key,
                )
            )

        source: dict[str, Any] = (
            {"code": handler, "handler": handler_entry, "service_name": "campaign-hook-partner",
             "description": "The partner's campaign hook (Pinpoint FILTER contract)"}
            if built_in is None
            else {"function_folder": _FOLDERS[built_in],
                  "service_name": f"campaign-hook-{built_in.lower().replace('_', '-')}",
                  "description": f"Campaign hook (Pinpoint FILTER contract): built-in {built_in}"}
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
        self._grant_built_in(built_in, template_prefix)

    # ----------------------------------------------------------------------------------------------- methods
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the campaign runner) invoke the hook. aws-cdk-lib also grants the function's versions
        and aliases (``<arn>:*``); that cdk-nag finding is acknowledged on the grantee, narrowly."""
        grant = self.function.grant_invoke(grantee)
        acknowledge_invoke_grant(grantee.grant_principal, self.function, self.function.function_arn)
        return grant

    # ----------------------------------------------------------------------------------------------- parts
    def _create_table(self, built_in: str, table_props: Any) -> dynamodb.Table:
        lookup = built_in == ATTRIBUTE_LOOKUP
        return secure_table(
            self,
            "LookupTable" if lookup else "CounterTable",
            partition_key="id",
            # lookup data is the partner's; counters are rebuilt by the next sends
            data=TableData.KEPT if lookup else TableData.DISPOSABLE,
            expires=built_in == FREQUENCY_CAP,
            table_props=table_props,
        )

    def _grant_built_in(self, built_in: str | None, template_prefix: str) -> None:
        function = self.function
        if self.table is not None:
            actions = (
                ["dynamodb:BatchGetItem"]
                if built_in == ATTRIBUTE_LOOKUP
                else ["dynamodb:GetItem", "dynamodb:UpdateItem"]
            )
            self.table.grant(function, *actions)
            if self.table.encryption_key is not None:
                if built_in == ATTRIBUTE_LOOKUP:
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


__all__: Sequence[str] = ["CampaignHookAttributes"]
