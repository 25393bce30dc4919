"""CampaignRunner: the campaign engine Pinpoint's campaigns were, on live services.

A run sends one message configuration (Pinpoint's ``SMSMessage`` / ``EmailMessage`` / ``CustomMessage``) to a
segment: an :class:`EndpointStore` static segment (e.g. defined by :class:`S3TriggeredImport`), an S3 list of
Pinpoint endpoint JSON lines, or a Pinpoint import CSV. A Step Functions standard workflow plans the segment into
pages (S3), then a Distributed Map sends page by page: for each batch of at most 50 endpoints every configured
campaign hook (:class:`CampaignHookAttributes` or a partner function, Pinpoint's FILTER payload, 15 s, at most 3
attempts) may filter and augment the batch, each message is rendered with Pinpoint's template syntax, and it is
delivered: SMS through End User Messaging (opt-out registry, configuration set, message parts per second per
origination identity never exceeded, throttling retried), EMAIL through SES v2 (configuration set, a send rate),
CUSTOM through a :class:`CustomChannel` or partner function with Pinpoint's custom-channel payload. A send ledger
(DynamoDB) keyed on campaign, treatment and endpoint makes a retried batch never send twice. Every endpoint ends
with exactly one outcome, recorded as a Pinpoint ``_campaign.send`` event in the lake when an
:class:`EventStreamToS3` is given, and the run ends with a summary (counts per status).

Start a run with ``pinpoint_runtime.campaigns.runner.CampaignRunnerClient`` (now, or at a time through a one-time
EventBridge Scheduler schedule) or ``pinpoint-constructs campaign start``.

(Over 400 lines: the construct's props, its grants, the workflow definition and the cdk-nag acknowledgments of
those grants are one unit; the settings its functions read are in ``pinpoint_runtime.campaigns``.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pinpoint_runtime.campaigns.delivery_settings import DeliverySettings
from pinpoint_runtime.campaigns.ledger import LedgerSettings
from pinpoint_runtime.campaigns.steps.settings import RunnerSettings
from pinpoint_runtime.campaigns.steps.summary import ReportOutcome
from pinpoint_runtime.campaigns.template_store import TemplateSettings
from pinpoint_runtime.core.environment import FunctionSettings

from .core import PropsValidation, PythonFunction, SecureBucket, TableData, acknowledge, add_settings, secure_table
from .core.acknowledgments import nag_resource
from .endpoint_store import EndpointStore
from .event_stream_to_s3 import EventStreamToS3
from .self_managed_opt_out import SelfManagedOptOut
from .two_way_sms import TwoWaySms


class _RetryArguments(TypedDict):
    errors: list[str]
    max_attempts: int
    interval: cdk.Duration
    backoff_rate: float
    jitter_strategy: sfn.JitterType


_RESULT_WRITER_V2_FLAG = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"
MAP_LABEL = "SendPages"
WORK_PREFIX = "campaign-work/"
_RETRY = _RetryArguments(
    errors=["ClientError", "ThrottlingException"],
    max_attempts=3,
    interval=cdk.Duration.seconds(5),
    backoff_rate=2,
    jitter_strategy=sfn.JitterType.FULL,
)
"""How the planner and reporter tasks retry AWS errors."""
RESULTS_PREFIX = "campaign-results/"


class CampaignRunner(Construct):
    """Runs Pinpoint-style campaigns: segment → hooks → rendering → SMS / EMAIL / CUSTOM delivery → events.

    Keyword-only props (all optional):
      endpoint_store: the :class:`EndpointStore` whose static segments runs may target (read access).
      hooks: campaign hooks called in order for every batch: :class:`CampaignHookAttributes` or ``IFunction``.
      custom_channels: name -> :class:`CustomChannel` or ``IFunction``; a run picks one with ``custom_channel``
        (not needed when there is exactly one).
      two_way: a :class:`TwoWaySms` to send SMS from (its origination identity and configuration set).
      sms_origination_identity_arn / sms_configuration_set_name: another identity / configuration set instead.
      sms_messages_per_second: the identity's message parts per second (1 for US 10DLC and long codes, 3 for
        toll-free, 100 for short codes). @default 1. Never exceeded: each of the ``max_concurrency`` page senders
        gets an equal share.
      opt_out: a :class:`SelfManagedOptOut` whose registry ``may_send`` is checked before every SMS.
      email_identity: the SES identity (domain or address) to send from; EMAIL needs it.
      email_configuration_set_name: SES configuration set for sends (e.g. the lake's).
      email_messages_per_second: the SES sending rate to use. @default 1 (the sandbox rate).
      event_stream: an :class:`EventStreamToS3`: every outcome becomes a ``_campaign.send`` event.
      template_bucket / template_prefix: where Pinpoint-shaped message templates (``<Name>.json``) are read.
      page_size: endpoints per Distributed Map item. @default what one page sender can send in about 10 minutes
        at its share of the SMS rate (``sms_messages_per_second / max_concurrency x 600``), between 50 and 1,000,
        so a page finishes within the function's 15 minutes; a page that still runs out of time is retried and
        continues where it stopped (the send ledger).
      max_concurrency: pages sent at the same time. @default 2.
      bucket_props / existing_bucket_obj: the work bucket (pages, outcomes, summaries).
      ledger_retention: how long sends are remembered for deduplication. @default 30 days.
      ledger_table_props: partial ``dynamodb.TableProps`` of the send ledger merged over its defaults (on demand,
        point-in-time recovery, AWS managed KMS key, retained), e.g. ``encryption=CUSTOMER_MANAGED`` with
        ``encryption_key``; its key and TTL attribute are the construct's.

    Attributes: ``state_machine``, ``work_bucket``, ``ledger_table``, ``schedule_group_name``,
    ``scheduler_role``, ``planner_function``, ``page_sender_function``, ``reporter_function``, ``log_group``.
    Methods: ``grant_start(grantee)`` (start runs now or scheduled, read summaries), ``add_hook``,
    ``add_custom_channel``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_store: EndpointStore | None = None,
        hooks: Sequence[Any] = (),
        custom_channels: Mapping[str, Any] | None = None,
        two_way: TwoWaySms | None = None,
        sms_origination_identity_arn: str | None = None,
        sms_configuration_set_name: str | None = None,
        sms_messages_per_second: float = 1.0,
        opt_out: SelfManagedOptOut | None = None,
        email_identity: str | None = None,
        email_configuration_set_name: str | None = None,
        email_messages_per_second: float = 1.0,
        event_stream: EventStreamToS3 | None = None,
        template_bucket: s3.IBucket | None = None,
        template_prefix: str = "templates/",
        page_size: int | None = None,
        max_concurrency: int = 2,
        bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_bucket_obj: s3.IBucket | None = None,
        ledger_retention: cdk.Duration | None = None,
        ledger_table_props: dynamodb.TableProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context(_RESULT_WRITER_V2_FLAG, True)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("bucket_props", bucket_props, "existing_bucket_obj", existing_bucket_obj)
        validation.require(
            two_way is None or sms_origination_identity_arn is None,
            "Either provide two_way or sms_origination_identity_arn, but not both.",
        )
        validation.require(
            sms_messages_per_second > 0 and email_messages_per_second > 0,
            "sms_messages_per_second and email_messages_per_second must be positive.",
        )
        validation.require(1 <= max_concurrency <= 100, "max_concurrency must be between 1 and 100.")
        validation.require(page_size is None or 50 <= page_size <= 10_000, "page_size must be between 50 and 10,000.")
        validation.require(
            email_configuration_set_name is None or email_identity is not None,
            "email_configuration_set_name needs email_identity.",
        )
        for name in custom_channels or {}:
            validation.require(
                bool(name) and name.replace("-", "").replace("_", "").isalnum(),
                f"custom channel name {name!r} must be letters, digits, '-' or '_'.",
            )
        validation.raise_if_any()
        stack = cdk.Stack.of(self)
        if page_size is None:
            page_size = max(50, min(1000, int(sms_messages_per_second / max_concurrency * 600)))
        self._hooks: list[lambda_.IFunction] = []
        self._channels: dict[str, lambda_.IFunction] = {}

        # --- storage ------------------------------------------------------------------------------------
        if existing_bucket_obj is not None:
            self.work_bucket: s3.IBucket = existing_bucket_obj
        else:
            self.work_bucket = SecureBucket(
                self,
                "WorkBucket",
                bucket_props=bucket_props,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-noncurrent-versions",
                        noncurrent_version_expiration=cdk.Duration.days(30),
                        abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                    ),
                    s3.LifecycleRule(
                        id="expire-campaign-work", prefix="campaign-work/", expiration=cdk.Duration.days(30)
                    ),
                ],
            ).bucket
        self.ledger_table = secure_table(
            self,
            "SendLedger",
            partition_key="pk",
            data=TableData.KEPT,  # what was sent: the guard against sending twice
            expires=True,
            table_props=ledger_table_props,
        )

        # --- functions ----------------------------------------------------------------------------------
        self._runner_settings = RunnerSettings(
            work_bucket=self.work_bucket.bucket_name,
            work_prefix=WORK_PREFIX,
            results_prefix=RESULTS_PREFIX,
            page_size=page_size,
        )
        identity = two_way.origination_identity_arn if two_way is not None else sms_origination_identity_arn
        sms_configuration_set = sms_configuration_set_name or (two_way.configuration_set_name if two_way else None)
        sender_settings: list[FunctionSettings] = [
            self._runner_settings,
            LedgerSettings(
                table_name=self.ledger_table.table_name,
                ttl_days=ledger_retention.to_seconds() / 86400 if ledger_retention is not None else None,
            ),
            DeliverySettings(
                sms_messages_per_second=sms_messages_per_second / max_concurrency,
                sms_origination_identity=identity,
                sms_configuration_set=sms_configuration_set,
                email_messages_per_second=email_messages_per_second / max_concurrency,
                email_identity=email_identity,
                email_configuration_set=email_configuration_set_name if email_identity is not None else None,
            ),
        ]
        if template_bucket is not None:
            sender_settings.append(TemplateSettings(bucket=template_bucket.bucket_name, prefix=template_prefix))
        self.planner_function = PythonFunction(
            self,
            "Planner",
            function_folder="campaign_planner",
            service_name="campaign-planner",
            description="Campaign run: validate the request, read the segment into pages of endpoints",
            settings=[self._runner_settings],
            memory_size=512,
            timeout=cdk.Duration.minutes(15),
            deploy_async_dead_letter_queue=False,
        )
        self.page_sender_function = PythonFunction(
            self,
            "PageSender",
            function_folder="campaign_batch_sender",
            service_name="campaign-batch-sender",
            description="Campaign run: hooks, rendering and delivery for one page of endpoints",
            settings=sender_settings,
            memory_size=512,
            timeout=cdk.Duration.minutes(15),
            deploy_async_dead_letter_queue=False,
        )
        self.reporter_function = PythonFunction(
            self,
            "Reporter",
            function_folder="campaign_reporter",
            service_name="campaign-reporter",
            description="Campaign run: counts per status and summary.json, or the failure reason",
            settings=[self._runner_settings],
            memory_size=256,
            timeout=cdk.Duration.minutes(5),
            deploy_async_dead_letter_queue=False,
        )
        planner = self.planner_function.lambda_function
        sender = self.page_sender_function.lambda_function
        reporter = self.reporter_function.lambda_function
        self.work_bucket.grant_read_write(planner, "campaign-work/*")
        self.work_bucket.grant_read_write(sender, "campaign-work/*")
        self.work_bucket.grant_read(reporter, "campaign-work/*")
        self.work_bucket.grant_put(reporter, "campaign-results/*")
        self.ledger_table.grant_read_write_data(sender)
        if endpoint_store is not None:
            endpoint_store.bind(planner, by_key_only=True)  # segment members and endpoints by key
        if event_stream is not None:
            event_stream.add_producer(sender)
        if template_bucket is not None:
            template_bucket.grant_read(sender, f"{template_prefix}*")
            acknowledge(
                self.page_sender_function,
                "AwsSolutions-IAM5",
                "aws-cdk-lib's bucket read grant: the template objects under the template prefix.",
                applies_to=f"Resource::{nag_resource(self, template_bucket.arn_for_objects(f'{template_prefix}*'))}",
            )
        self._grant_sms(sender, stack, two_way, sms_origination_identity_arn, sms_configuration_set, opt_out)
        self._grant_email(sender, stack, email_identity, email_configuration_set_name)
        for hook in hooks:
            self.add_hook(hook)
        for name, channel in (custom_channels or {}).items():
            self.add_custom_channel(name, channel)
        self._acknowledge_function_grants()

        # --- workflow -------------------------------------------------------------------------------------
        self.log_group = logs.LogGroup(
            self, "WorkflowLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Workflow",
            definition_body=sfn.DefinitionBody.from_chainable(
                self._definition(planner, sender, reporter, max_concurrency)
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=cdk.Duration.hours(24),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._acknowledge_workflow_grants([planner, sender, reporter])

        # --- scheduled runs ---------------------------------------------------------------------------------
        group = scheduler.CfnScheduleGroup(self, "Schedules")
        self.schedule_group_name = group.ref
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="EventBridge Scheduler starts scheduled campaign runs",
        )
        self.state_machine.grant_start_execution(self.scheduler_role)

    # ------------------------------------------------------------------------------------------------ wiring

    def add_hook(self, hook: Any) -> None:
        """Call ``hook`` (a :class:`CampaignHookAttributes` or an ``IFunction``) for every batch, after the
        hooks added before it."""
        function = getattr(hook, "function", hook)
        self._grant_invoke(function, "campaign hook")
        self._hooks.append(function)
        self._write_invoked_functions()

    def add_custom_channel(self, name: str, channel: Any) -> None:
        """Deliver CUSTOM endpoints of runs that pick ``name`` (or of every run, when it is the only channel)."""
        function = getattr(channel, "function", channel)
        self._grant_invoke(function, "custom channel")
        self._channels[name] = function
        self._write_invoked_functions()

    def _write_invoked_functions(self) -> None:
        """The page sender's hooks and custom channels (``RunnerSettings.hooks`` / ``channels``)."""
        settings = dataclasses.replace(
            self._runner_settings,
            hooks=tuple(f.function_arn for f in self._hooks) if self._hooks else None,
            channels={n: f.function_arn for n, f in self._channels.items()} if self._channels else None,
        )
        add_settings(self.page_sender_function.lambda_function, settings)

    def _grant_invoke(self, function: lambda_.IFunction, role: str) -> None:
        function.grant_invoke(self.page_sender_function.lambda_function)
        acknowledge(
            self.page_sender_function,
            "AwsSolutions-IAM5",
            f"aws-cdk-lib's invoke grant covers the {role} function and its versions/aliases (':*').",
            applies_to=f"Resource::{nag_resource(self, function.function_arn + ':*')}",
        )

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start runs now (StartExecution) or at a time (CreateSchedule in this runner's group, passing the
        scheduler role), and read their status and summaries."""
        stack = cdk.Stack.of(self)
        grant = self.state_machine.grant_start_execution(grantee)
        self.state_machine.grant_read(grantee)
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["scheduler:CreateSchedule"],
            resource_arns=[
                stack.format_arn(
                    service="scheduler", resource="schedule", resource_name=f"{self.schedule_group_name}/*"
                )
            ],
        )
        self.scheduler_role.grant_pass_role(grantee.grant_principal)
        self.work_bucket.grant_read(grantee, "campaign-results/*")
        return grant

    def _grant_sms(
        self,
        sender: lambda_.Function,
        stack: cdk.Stack,
        two_way: TwoWaySms | None,
        identity_arn: str | None,
        configuration_set: str | None,
        opt_out: SelfManagedOptOut | None,
    ) -> None:
        if two_way is not None:
            two_way.grant_send(sender)
        elif identity_arn is not None:
            resources = [identity_arn]
            if configuration_set:
                resources.append(
                    stack.format_arn(service="sms-voice", resource="configuration-set", resource_name=configuration_set)
                )
            sender.add_to_role_policy(iam.PolicyStatement(actions=["sms-voice:SendTextMessage"], resources=resources))
        if opt_out is not None:
            opt_out.bind_may_send(sender)

    def _grant_email(
        self, sender: lambda_.Function, stack: cdk.Stack, identity: str | None, configuration_set: str | None
    ) -> None:
        if identity is None:
            return
        resources = [stack.format_arn(service="ses", resource="identity", resource_name=identity)]
        if configuration_set:
            resources.append(
                stack.format_arn(service="ses", resource="configuration-set", resource_name=configuration_set)
            )
        sender.add_to_role_policy(iam.PolicyStatement(actions=["ses:SendEmail"], resources=resources))

    # ------------------------------------------------------------------------------------------------ workflow

    def _definition(self, planner: Any, sender: Any, reporter: Any, max_concurrency: int) -> sfn.IChainable:
        report_failure = tasks.LambdaInvoke(
            self,
            "Report failure",
            lambda_function=reporter,
            payload_response_only=True,
            result_path="$.failure",
            payload=sfn.TaskInput.from_object(
                {
                    "outcome": ReportOutcome.FAILED.value,
                    "run_id": sfn.JsonPath.execution_name,
                    "error": sfn.JsonPath.object_at("$.error"),
                }
            ),
        )
        report_failure.add_retry(**_RETRY)
        report_failure.next(sfn.Fail(self, "Run failed", error_path="$.failure.error", cause_path="$.failure.reason"))

        plan = tasks.LambdaInvoke(
            self,
            "Plan",
            lambda_function=planner,
            payload_response_only=True,
            result_path="$.run",
            payload=sfn.TaskInput.from_object(
                {
                    "request": sfn.JsonPath.object_at("$.request"),
                    "run_id": sfn.JsonPath.execution_name,
                    "started_at": sfn.JsonPath.string_at("$$.Execution.StartTime"),
                }
            ),
        )
        plan.add_retry(**_RETRY)
        plan.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")

        send_page = tasks.LambdaInvoke(self, "Send page", lambda_function=sender, payload_response_only=True)
        # A page is retried as a whole: the send ledger makes every endpoint already sent a DUPLICATE, not a resend.
        send_page.add_retry(
            errors=["ClientError", "ThrottlingException", "PageNotFinished"],
            max_attempts=6,
            interval=cdk.Duration.seconds(10),
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        pages = sfn.DistributedMap(
            self,
            "Send pages",
            item_reader=sfn.S3JsonItemReader(bucket=self.work_bucket, key=sfn.JsonPath.string_at("$.run.manifest_key")),
            item_selector={"run": sfn.JsonPath.object_at("$.run"), "page": sfn.JsonPath.object_at("$$.Map.Item.Value")},
            max_concurrency=max_concurrency,
            result_writer_v2=sfn.ResultWriterV2(bucket=self.work_bucket, prefix="campaign-work/map-results"),
            result_path=sfn.JsonPath.DISCARD,
            map_execution_type=sfn.StateMachineType.STANDARD,
            label=MAP_LABEL,
        )
        pages.item_processor(send_page)
        pages.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")

        summarize = tasks.LambdaInvoke(
            self,
            "Summarize",
            lambda_function=reporter,
            payload_response_only=True,
            result_path="$.summary",
            payload=sfn.TaskInput.from_object(
                {"outcome": ReportOutcome.SUCCEEDED.value, "run": sfn.JsonPath.object_at("$.run")}
            ),
        )
        summarize.add_retry(**_RETRY)
        summarize.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")
        done = sfn.Pass(self, "Done", parameters={"summary": sfn.JsonPath.object_at("$.summary")})
        return plan.next(pages).next(summarize).next(done)

    # ------------------------------------------------------------------------------------------------ cdk-nag

    def _acknowledge_function_grants(self) -> None:
        reason = (
            "aws-cdk-lib's bucket and table grants: object ARNs under the run prefixes and the action "
            "families of read/write grants need wildcards; nothing outside this runner's prefixes is granted."
        )
        for function, prefixes in (
            (self.planner_function, ("campaign-work/",)),
            (self.page_sender_function, ("campaign-work/",)),
            (self.reporter_function, ("campaign-work/", "campaign-results/")),
        ):
            for prefix in prefixes:
                resource = nag_resource(self, self.work_bucket.arn_for_objects(f"{prefix}*"))
                acknowledge(function, "AwsSolutions-IAM5", reason, applies_to=f"Resource::{resource}")
            for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
                acknowledge(function, "AwsSolutions-IAM5", reason, applies_to=f"Action::{action}")

    def _acknowledge_workflow_grants(self, functions: list[Any]) -> None:
        stack = cdk.Stack.of(self)
        reason = (
            "Step Functions' own grants: X-Ray and CloudWatch Logs delivery take no resource ARNs ('*'); "
            "'<function>:*' covers the versions of the runner's functions; the Distributed Map reads its "
            "manifest and writes its results in the work bucket and manages its own child executions."
        )
        machine_name = cdk.Fn.select(6, cdk.Fn.split(":", self.state_machine.state_machine_arn))
        executions = [
            stack.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{machine_name}{suffix}:*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for suffix in ("", f"/{MAP_LABEL}")
        ]
        resources = ["*", f"arn:{cdk.Aws.PARTITION}:s3:::{self.work_bucket.bucket_name}/*", *executions]
        resources += [f"{function.function_arn}:*" for function in functions]
        for resource in resources:
            acknowledge(
                self.state_machine, "AwsSolutions-IAM5", reason, applies_to=f"Resource::{nag_resource(self, resource)}"
            )
