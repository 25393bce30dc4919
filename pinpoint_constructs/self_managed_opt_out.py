"""SelfManagedOptOut: compliant, self-managed opt-outs for two-way SMS.

With self-managed opt-outs on, End User Messaging stops answering HELP/STOP and stops opting people out itself;
every inbound message (keywords included) reaches the two-way SNS topic. This construct then:

* attaches an opt-out list (``AWS::SMSVOICE::OptOutList``, or an existing one) and turns
  ``SelfManagedOptOutsEnabled`` on for the :class:`TwoWaySms` origination identity (its own one when none is
  given);
* runs the keyword engine (``pinpoint_runtime.sms.keywords``) in the inbound function: whole-message matches after
  trimming and case folding (never substrings: "WEEKEND" is not END, "stop by tomorrow" is not STOP), AWS's
  opt-out keywords plus STOPALL, opt-in keywords (START, UNSTOP, YES), HELP and custom keywords with actions;
* acts (``pinpoint_runtime.sms.opt_out_processor.OptOutProcessor``): PutOptedOutNumber / DeleteOptedOutNumber
  (respecting the once-per-30-days removal limit, with a logged reason), CTIA-style confirmation replies, the
  opt-out registry (DynamoDB: current state and an append-only history for audit) and an EventBridge event on
  every opt-out and opt-in;
* keeps transactional messages possible after STOP: ``pinpoint_runtime.sms.opt_out.may_send(number, message_type)``
  blocks promotional messages after any opt-out and transactional ones only after STOPALL (or a keyword
  configured as opt-out-all). Every send path of the library calls it; :meth:`bind_may_send` wires other code.

Messages that are not keywords pass on to the TwoWaySms handler untouched. US toll-free numbers: the carrier
handles STOP itself (you cannot change that reply); the engine still records the opt-out it sees.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_smsvoice as smsvoice
from constructs import Construct

from pinpoint_runtime.sms.keyword_rules import KeywordRule, ProgramInfo
from pinpoint_runtime.sms.keywords import KeywordEngine, KeywordSettings
from pinpoint_runtime.sms.opt_out import OptOutRegistrySettings
from pinpoint_runtime.sms.opt_out_settings import OptOutProcessorSettings

from .core import PropsValidation, TableData, add_settings, secure_table
from .two_way_sms import TwoWaySms


class SelfManagedOptOut(Construct):
    """Opt-out list, keyword engine, opt-out registry with history, opt-out/opt-in events, ``may_send``.

    Keyword-only props:
      program_name: the program the HELP reply names (required: carriers expect it).
      support_contact: a phone number or email for help (required).
      message_frequency: e.g. ``"Up to 4 msgs/month"``. @default ``"Msg frequency varies"``.
      two_way: the :class:`TwoWaySms` whose identity gets self-managed opt-outs. @default a new one (simulator
        number) built from ``two_way_props``.
      two_way_props: keyword arguments for that new TwoWaySms. Conflicts with ``two_way``.
      existing_opt_out_list_name: use this opt-out list instead of creating one.
      opt_in_keywords: @default START, UNSTOP, YES.
      opt_out_all_keywords: keywords that also block transactional messages. @default STOPALL.
      custom_keywords: extra ``KeywordRule`` s (e.g. ``KeywordRule("INFO", KeywordAction.AUTO_RESPONSE, "...")``).
      help_reply / stop_reply / start_reply: override the CTIA-style default replies.
      event_bus: where opt-out/opt-in events go. @default the account's default event bus.
      registry_table_props: partial ``dynamodb.TableProps`` of the registry. Conflicts with the existing table.
      existing_registry_table_obj: use this table (partition key ``phone_number``, sort key ``record``).

    Attributes: ``two_way``, ``opt_out_list`` (``CfnOptOutList`` or ``None``), ``opt_out_list_name``,
    ``opt_out_list_arn``, ``registry_table``, ``event_bus``, ``keyword_config`` (the engine's JSON config).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        program_name: str,
        support_contact: str,
        message_frequency: str = "Msg frequency varies",
        two_way: TwoWaySms | None = None,
        two_way_props: dict[str, Any] | None = None,
        existing_opt_out_list_name: str | None = None,
        opt_in_keywords: Sequence[str] = ("START", "UNSTOP", "YES"),
        opt_out_all_keywords: Sequence[str] = ("STOPALL",),
        custom_keywords: Sequence[KeywordRule] = (),
        help_reply: str | None = None,
        stop_reply: str | None = None,
        start_reply: str | None = None,
        event_bus: events.IEventBus | None = None,
        registry_table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        existing_registry_table_obj: dynamodb.ITable | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("two_way_props", two_way_props, "two_way", two_way)
        validation.exclusive(
            "registry_table_props", registry_table_props, "existing_registry_table_obj", existing_registry_table_obj
        )
        validation.require(
            two_way is None or not two_way.self_managed_opt_outs_enabled,
            "This TwoWaySms already has self-managed opt-outs attached.",
        )
        validation.require(
            existing_opt_out_list_name is None
            or cdk.Token.is_unresolved(existing_opt_out_list_name)
            or re.fullmatch(r"[A-Za-z0-9_:/-]{1,256}", existing_opt_out_list_name) is not None,
            "existing_opt_out_list_name must be an opt-out list name or ARN.",
        )
        engine: KeywordEngine | None = None
        try:
            engine = KeywordEngine(
                ProgramInfo(
                    program_name=program_name, support_contact=support_contact, message_frequency=message_frequency
                ),
                opt_in_keywords=tuple(opt_in_keywords),
                opt_out_all_keywords=tuple(opt_out_all_keywords),
                custom_rules=tuple(custom_keywords),
                help_reply=help_reply,
                stop_reply=stop_reply,
                start_reply=start_reply,
            )
        except ValueError as error:  # conflicting or invalid keywords: report with the other problems
            validation.problems.append(f"keywords: {error}")
        validation.raise_if_any()
        assert engine is not None
        self.keyword_config: dict[str, Any] = engine.to_config()
        stack = cdk.Stack.of(self)

        self.two_way = two_way or TwoWaySms(self, "TwoWay", **(two_way_props or {}))

        self.opt_out_list: smsvoice.CfnOptOutList | None = None
        if existing_opt_out_list_name is None:
            self.opt_out_list_name = cdk.Names.unique_resource_name(self, max_length=64, separator="-")
            self.opt_out_list = smsvoice.CfnOptOutList(self, "OptOutList", opt_out_list_name=self.opt_out_list_name)
            self.opt_out_list.apply_removal_policy(cdk.RemovalPolicy.RETAIN)  # the list is the compliance record
        else:
            self.opt_out_list_name = existing_opt_out_list_name
        self.opt_out_list_arn = (
            self.opt_out_list_name
            if self.opt_out_list_name.startswith("arn:")
            else stack.format_arn(service="sms-voice", resource="opt-out-list", resource_name=self.opt_out_list_name)
        )

        if existing_registry_table_obj is not None:
            self.registry_table: dynamodb.ITable = existing_registry_table_obj
        else:
            self.registry_table = secure_table(
                self,
                "RegistryTable",
                partition_key="phone_number",
                sort_key="record",
                data=TableData.KEPT,
                table_props=registry_table_props,
            )
        self.event_bus = event_bus or events.EventBus.from_event_bus_name(self, "DefaultBus", "default")

        if self.opt_out_list is not None:
            # the identity references the list by name: create the list first
            for identity in (self.two_way.phone_number, self.two_way.pool, self.two_way.two_way_configuration):
                if identity is not None:
                    identity.node.add_dependency(self.opt_out_list)
        self.two_way.enable_self_managed_opt_outs(
            opt_out_list_name=self.opt_out_list_name,
            settings=[
                OptOutProcessorSettings(
                    opt_out_list_name=self.opt_out_list_name, event_bus_name=self.event_bus.event_bus_name
                ),
                OptOutRegistrySettings(table_name=self.registry_table.table_name),
                KeywordSettings(engine=engine),
            ],
        )
        function = self.two_way.inbound_function.lambda_function
        self.registry_table.grant_read_write_data(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sms-voice:PutOptedOutNumber", "sms-voice:DeleteOptedOutNumber"],
                resources=[self.opt_out_list_arn],
            )
        )
        self.event_bus.grant_put_events_to(function)

    def grant_read_registry(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the opt-out registry (what ``may_send`` needs)."""
        return self.registry_table.grant_read_data(grantee)

    def bind_may_send(self, function: lambda_.Function) -> iam.Grant:
        """Wire ``pinpoint_runtime.sms.opt_out.may_send`` into ``function``: registry read access and its name."""
        add_settings(function, OptOutRegistrySettings(table_name=self.registry_table.table_name))
        return self.grant_read_registry(function)
