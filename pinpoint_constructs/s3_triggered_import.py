"""S3TriggeredImport: drop a Pinpoint endpoint file into S3, get endpoints (and a static segment) in the store.

Amazon Pinpoint's import jobs ended with its engagement features. This construct keeps their file contract (the
Pinpoint import CSV with dotted columns and repeated headers for multi-valued attributes, or newline-delimited
JSON; see ``pinpoint_runtime.audience.endpoint_import``) and writes into an :class:`EndpointStore`:

* The import bucket (created, or an existing one) sends "Object Created" events to EventBridge; on an existing
  bucket EventBridge delivery is switched on through CDK's notifications resource, which keeps the bucket's
  other notification settings. A rule on ``<import_prefix>`` feeds an SQS queue (with a dead-letter queue)
  and the starter function starts one Step Functions standard execution per object, named from bucket, key and
  version id/ETag: two drops in the same second never collide, a redelivered event imports nothing twice.
* Plan: the ``started`` notification and one streaming pass over the object; a file that cannot be imported
  (empty, binary, compressed, not UTF-8, no header, unknown standard column) fails here, before any write.
* A Distributed Map over the plan's byte ranges (manifest in S3): each range is read with a ranged GET,
  validated with the same code as ``pinpoint-constructs validate-import`` and written to the store in batches
  of 100 (throttling retried in the function, then by Step Functions). No function holds the whole file and
  no large payload moves between states.
* Finish: ``rejects.csv`` (line, field, reason, row with PII masked by default) and ``summary.json`` next to
  each other under ``<results_prefix><import id>/``; with ``define_segment`` the imported endpoints are a
  static segment (membership and record in the store, the endpoint list in ``segment-endpoints.jsonl``); the
  ``succeeded`` notification with the counts, duration and segment.
* Any failure: the ``failed`` notification with the reason, then the execution fails.

Notifications go to an SNS topic (JSON message, message attribute ``notification_type`` = started / succeeded
/ failed) and, with an :class:`EventStreamToS3`, also into the event lake as ``_import.<type>`` events.

(Over 400 lines: the construct's props, the workflow definition with its retries, and the cdk-nag acknowledgments of
the grants the workflow's functions need are one unit; the settings its functions read are in
``pinpoint_runtime.audience.import_settings``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pinpoint_runtime.audience.import_finish_step import ImportOutcome
from pinpoint_runtime.audience.import_settings import (
    ImportSettings,
    ImportStarterSettings,
    PhoneLineType,
    encode_line_types,
)

from .core import EncryptedTopic, PropsValidation, PythonFunction, QueueWithDeadLetterQueue, SecureBucket, acknowledge
from .core.acknowledgments import nag_resource
from .core.props import props_to_dict
from .endpoint_store import EndpointStore
from .event_stream_to_s3 import EventStreamToS3

_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
_RESULT_WRITER_V2_FLAG = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"
LINE_TYPES = tuple(t.value for t in PhoneLineType if t is not PhoneLineType.INVALID)
STEP_RETRY_ERRORS = ("ClientError", "ImportRetryableError")
RETRYABLE_RANGE_ERRORS = ["ImportRetryableError", "EndpointStoreWriteError", "EndpointStoreError", "ClientError"]
THEN_SEND_UNAVAILABLE = (
    "then_send starts a send to the imported segment through the campaign engine (CampaignRunner), which this "
    "version of pinpoint-constructs does not include yet. Until it does, subscribe to the 'succeeded' "
    "notification (its 'segment' has the segment id and the S3 endpoint list) and start the send from there."
)


class S3TriggeredImport(Construct):
    """Pinpoint endpoint files dropped into S3 are validated and imported into an :class:`EndpointStore`.

    Keyword-only props:
      endpoint_store: the :class:`EndpointStore` to import into (required).
      application_id: the Pinpoint application (project) id the endpoints belong to. @default ``"default"``.
      bucket_props: partial ``s3.BucketProps`` of a new import bucket (see :class:`SecureBucket`; EventBridge
        delivery is always on). Conflicts with existing_bucket_obj.
      existing_bucket_obj: import from this bucket instead. EventBridge delivery is switched on for it unless
        ``enable_event_bridge=False`` (when it is already on); its other notifications are kept.
      enable_event_bridge: see existing_bucket_obj. @default True.
      import_prefix: only objects under this prefix are imported. @default ``"incoming/"`` (must not be empty:
        results are written to the same bucket).
      results_prefix: where each import's ``summary.json``, ``rejects.csv`` and segment list go, under
        ``<results_prefix><import id>/``. @default ``"import-results/"``.
      work_prefix: per-range parts of running imports. @default ``"import-work/"``; on a bucket this construct
        creates they expire after ``work_retention``.
      work_retention: @default 7 days.
      default_country: ISO country for phone numbers written without a country code. @default ``"US"``.
      strip_pii_from_rejects: mask address, name, email, phone and user id columns in the rejects file.
        @default True.
      define_segment: the imported endpoints also become a static segment (id derived from the import id).
        @default False.
      segment_name: the segment's name. @default the file name without extension.
      phone_line_types: look each SMS/VOICE number up with the End User Messaging ``PhoneNumberValidate`` API
        (charged per lookup): ``[]`` rejects only numbers it reports INVALID; e.g. ``["MOBILE"]`` also rejects
        other line types. The type is stored as ``Attributes.PhoneType``. @default None (no lookups).
      rows_per_range: records per Distributed Map item. @default 2,000.
      max_concurrency: ranges imported at the same time (DynamoDB write rate). @default 10.
      notification_topic: publish notifications here (an existing topic; grant its KMS key yourself).
        @default a new topic encrypted with a customer-managed key.
      topic_props: partial ``sns.TopicProps`` of the new topic. Conflicts with notification_topic.
      event_stream: an :class:`EventStreamToS3`: notifications also become ``_import.*`` events in the lake.
      then_send: reserved for starting a send to the imported segment with the campaign engine; raises a
        clear error until that engine exists.
      queue_props / dead_letter_queue_props / max_receive_count: the start queue. @default max_receive_count 5.
      workflow_timeout: @default 24 hours.

    Attributes: ``bucket``, ``import_prefix``, ``results_prefix``, ``work_prefix``, ``state_machine``,
    ``notification_topic``, ``start_queue``, ``dead_letter_queue``, ``rule``, ``starter_function``,
    ``planner_function``, ``range_writer_function``, ``reporter_function`` (:class:`PythonFunction`),
    ``log_group`` (the workflow's), ``secure_bucket`` (or ``None`` for an existing bucket).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_store: EndpointStore,
        application_id: str = "default",
        bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_bucket_obj: s3.IBucket | None = None,
        enable_event_bridge: bool = True,
        import_prefix: str = "incoming/",
        results_prefix: str = "import-results/",
        work_prefix: str = "import-work/",
        work_retention: cdk.Duration | None = None,
        default_country: str = "US",
        strip_pii_from_rejects: bool = True,
        define_segment: bool = False,
        segment_name: str | None = None,
        phone_line_types: Sequence[str] | None = None,
        rows_per_range: int = 2000,
        max_concurrency: int = 10,
        notification_topic: sns.ITopic | None = None,
        topic_props: sns.TopicProps | dict[str, Any] | None = None,
        event_stream: EventStreamToS3 | None = None,
        then_send: Any = None,
        queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        dead_letter_queue_props: sqs.QueueProps | dict[str, Any] | None = None,
        max_receive_count: int = 5,
        workflow_timeout: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # ResultWriterV2 (the non-deprecated API) renders only with this flag; set here so that apps without this
        # recommended feature flag get the same workflow.
        self.node.set_context(_RESULT_WRITER_V2_FLAG, True)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("bucket_props", bucket_props, "existing_bucket_obj", existing_bucket_obj)
        validation.exclusive("topic_props", topic_props, "notification_topic", notification_topic)
        validation.require(
            existing_bucket_obj is not None or enable_event_bridge,
            "enable_event_bridge=False applies to an existing bucket only (a new bucket always sends events).",
        )
        validation.require(
            existing_bucket_obj is None or work_retention is None,
            "work_retention needs a bucket this construct creates (add a lifecycle rule to your bucket instead).",
        )
        validation.require(bool(import_prefix), "import_prefix must not be empty: results go to the same bucket.")
        prefixes = {"import_prefix": import_prefix, "results_prefix": results_prefix, "work_prefix": work_prefix}
        for name, value in prefixes.items():
            validation.require(
                bool(value) and value.endswith("/") and not value.startswith("/"),
                f"{name} must be a non-empty key prefix ending with '/', not {value!r}.",
            )
        names = list(prefixes)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                a, b = prefixes[first], prefixes[second]
                validation.require(
                    not (a and b and (a.startswith(b) or b.startswith(a))),
                    f"{first} ({a!r}) and {second} ({b!r}) overlap; results must not trigger imports.",
                )
        validation.require(segment_name is None or define_segment, "segment_name needs define_segment=True.")
        validation.require(
            segment_name is None or 0 < len(segment_name) <= 256, "segment_name must be 1 to 256 characters."
        )
        validation.require(
            phone_line_types is None or isinstance(phone_line_types, (list, tuple)),
            "phone_line_types must be a list of line types (or [] to reject only INVALID numbers).",
        )
        unknown_types = sorted(set(phone_line_types or ()) - set(LINE_TYPES))
        validation.require(
            not unknown_types, f"phone_line_types has unknown types {unknown_types}; use {', '.join(LINE_TYPES)}."
        )
        validation.require(100 <= rows_per_range <= 50_000, "rows_per_range must be between 100 and 50,000.")
        validation.require(1 <= max_concurrency <= 1000, "max_concurrency must be between 1 and 1,000.")
        validation.require(
            len(default_country) == 2 and default_country.isalpha() and default_country.isupper(),
            "default_country must be an ISO 3166-1 alpha-2 code such as 'US'.",
        )
        validation.require(
            0 < len(application_id) <= 128 and "#" not in application_id,
            "application_id must be 1 to 128 characters without '#'.",
        )
        validation.require(then_send is None, THEN_SEND_UNAVAILABLE)
        validation.raise_if_any()

        stack = cdk.Stack.of(self)
        self.endpoint_store = endpoint_store
        self.import_prefix, self.results_prefix, self.work_prefix = import_prefix, results_prefix, work_prefix

        # --- bucket and its events ------------------------------------------------------------------------
        self.secure_bucket: SecureBucket | None = None
        if existing_bucket_obj is not None:
            self.bucket: s3.IBucket = existing_bucket_obj
            if enable_event_bridge:
                existing_bucket_obj.enable_event_bridge_notification()
                handler = stack.node.try_find_child(_NOTIFICATIONS_HANDLER)
                if handler is not None:
                    acknowledge(
                        handler,
                        "AwsSolutions-IAM4",
                        "aws-cdk-lib's bucket-notifications handler (it merges EventBridge delivery into the existing "
                        "bucket's configuration) has only the AWS managed basic execution policy: CloudWatch Logs.",
                        applies_to="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                    )
        else:
            retention = work_retention or cdk.Duration.days(7)
            self.secure_bucket = SecureBucket(
                self,
                "ImportBucket",
                bucket_props=bucket_props,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-noncurrent-versions",
                        noncurrent_version_expiration=cdk.Duration.days(90),
                        abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                    ),
                    s3.LifecycleRule(id="expire-import-work", prefix=work_prefix, expiration=retention),
                ],
            )
            self.bucket = self.secure_bucket.bucket
            # EventBridge delivery declared on the bucket itself (CloudFormation's EventBridgeConfiguration), not
            # through aws-cdk-lib's notifications custom resource: no extra Lambda function for a new bucket.
            cfn_bucket = self.bucket.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
            )

        # --- notifications --------------------------------------------------------------------------------
        if notification_topic is not None:
            self.notification_topic: sns.ITopic = notification_topic
        else:
            self.notification_topic = EncryptedTopic(self, "NotificationTopic", topic_props=topic_props).topic

        # --- functions ------------------------------------------------------------------------------------
        settings = ImportSettings(
            results_bucket=self.bucket.bucket_name,
            results_prefix=results_prefix,
            work_prefix=work_prefix,
            topic_arn=self.notification_topic.topic_arn,
            application_id=application_id,
            default_country=default_country,
            strip_pii_from_rejects=strip_pii_from_rejects,
            rows_per_chunk=rows_per_range,
            define_segment=define_segment,
            phone_line_types=encode_line_types(phone_line_types),
            segment_name=segment_name or None,
        )

        self.planner_function = PythonFunction(
            self,
            "Planner",
            function_folder="import_planner",
            service_name="import-planner",
            description="Endpoint import: started notification, one streaming pass over the file, range manifest",
            settings=[settings],
            memory_size=512,
            timeout=cdk.Duration.minutes(15),
            deploy_async_dead_letter_queue=False,  # invoked synchronously by Step Functions
        )
        self.range_writer_function = PythonFunction(
            self,
            "RangeWriter",
            function_folder="import_chunk_writer",
            service_name="import-chunk-writer",
            description="Endpoint import: validate one byte range of the file and write it to the EndpointStore",
            settings=[settings],
            memory_size=512,
            timeout=cdk.Duration.minutes(15),
            deploy_async_dead_letter_queue=False,
        )
        self.reporter_function = PythonFunction(
            self,
            "Reporter",
            function_folder="import_reporter",
            service_name="import-reporter",
            description="Endpoint import: rejects file, segment, summary and the succeeded/failed notification",
            settings=[settings],
            memory_size=512,
            timeout=cdk.Duration.minutes(15),
            deploy_async_dead_letter_queue=False,
        )

        planner, writer, reporter = (
            self.planner_function.lambda_function,
            self.range_writer_function.lambda_function,
            self.reporter_function.lambda_function,
        )
        self.bucket.grant_read(planner, f"{import_prefix}*")
        self.bucket.grant_put(planner, f"{work_prefix}*")
        self.bucket.grant_read(writer, f"{import_prefix}*")
        self.bucket.grant_put(writer, f"{work_prefix}*")
        self.bucket.grant_read(reporter, f"{work_prefix}*")
        self.bucket.grant_put(reporter, f"{results_prefix}*")
        for publisher in (planner, reporter):
            self.notification_topic.grant_publish(publisher)
            if event_stream is not None:
                event_stream.add_producer(publisher)
        endpoint_store.bind(writer)
        endpoint_store.bind(reporter)
        if phone_line_types is not None:
            writer.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["mobiletargeting:PhoneNumberValidate"],
                    resources=[
                        stack.format_arn(service="mobiletargeting", resource="phone", resource_name="number/validate")
                    ],
                )
            )
        for library_function, prefixes_used in (
            (self.planner_function, (import_prefix, work_prefix)),
            (self.range_writer_function, (import_prefix, work_prefix)),
            (self.reporter_function, (work_prefix, results_prefix)),
        ):
            self._acknowledge_prefix_grants(library_function, prefixes_used)
        for library_function in (self.planner_function, self.reporter_function):
            acknowledge(
                library_function,
                "AwsSolutions-IAM5",
                "Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* (the family of data "
                "key calls SNS makes) on the topic's key only.",
                applies_to="Action::kms:GenerateDataKey*",
            )

        # --- workflow -------------------------------------------------------------------------------------
        self.log_group = logs.LogGroup(
            self,
            "WorkflowLogs",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "Workflow",
            definition_body=sfn.DefinitionBody.from_chainable(
                self._definition(planner, writer, reporter, max_concurrency)
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=workflow_timeout or cdk.Duration.hours(24),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._acknowledge_workflow_grants([planner, writer, reporter])

        # --- trigger: EventBridge -> SQS -> starter ---------------------------------------------------------
        queue = QueueWithDeadLetterQueue(
            self,
            "StartQueue",
            queue_props={"visibility_timeout": cdk.Duration.minutes(2), **props_to_dict(queue_props)},
            dead_letter_queue_props=dead_letter_queue_props,
            max_receive_count=max_receive_count,
        )
        self.start_queue = queue.queue
        self.dead_letter_queue = queue.dead_letter_queue
        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description="Endpoint files dropped under the import prefix start an import",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [self.bucket.bucket_name]}, "object": {"key": [{"prefix": import_prefix}]}},
            ),
            targets=[targets.SqsQueue(self.start_queue)],
        )
        self.starter_function = PythonFunction(
            self,
            "Starter",
            function_folder="import_starter",
            service_name="import-starter",
            description="Endpoint import: one Step Functions execution per dropped object (name from key and ETag)",
            settings=[ImportStarterSettings(state_machine_arn=self.state_machine.state_machine_arn)],
            timeout=cdk.Duration.seconds(60),
            deploy_async_dead_letter_queue=False,  # SQS-triggered: the queue's dead-letter queue keeps failures
        )
        self.starter_function.lambda_function.add_event_source(
            event_sources.SqsEventSource(self.start_queue, batch_size=10, report_batch_item_failures=True)
        )
        self.state_machine.grant_start_execution(self.starter_function.lambda_function)

    # ------------------------------------------------------------------------------------------------ workflow

    def _definition(self, planner: Any, writer: Any, reporter: Any, max_concurrency: int) -> sfn.IChainable:
        report_failure = tasks.LambdaInvoke(
            self,
            "Report failure",
            lambda_function=reporter,
            payload=sfn.TaskInput.from_object(
                {
                    "outcome": ImportOutcome.FAILED.value,
                    "source": sfn.JsonPath.object_at("$.source"),
                    "import_id": sfn.JsonPath.execution_name,
                    "error": sfn.JsonPath.object_at("$.error"),
                }
            ),
            payload_response_only=True,
            result_path="$.failure",
        )
        _add_retry(report_failure)
        failed = sfn.Fail(self, "Import failed", error_path="$.failure.error", cause_path="$.failure.reason")
        report_failure.next(failed)

        plan = tasks.LambdaInvoke(
            self,
            "Plan",
            lambda_function=planner,
            payload=sfn.TaskInput.from_object(
                {
                    "source": sfn.JsonPath.object_at("$.source"),
                    "import_id": sfn.JsonPath.execution_name,
                    "started_at": sfn.JsonPath.string_at("$$.Execution.StartTime"),
                }
            ),
            payload_response_only=True,
            result_path="$.run",
        )
        _add_retry(plan)
        plan.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")

        write_range = tasks.LambdaInvoke(
            self,
            "Write range",
            lambda_function=writer,
            payload_response_only=True,
        )
        _add_retry(write_range, errors=RETRYABLE_RANGE_ERRORS, max_attempts=5)
        ranges = sfn.DistributedMap(
            self,
            "Import ranges",
            item_reader=sfn.S3JsonItemReader(bucket=self.bucket, key=sfn.JsonPath.string_at("$.run.manifest_key")),
            item_selector={
                "source": sfn.JsonPath.object_at("$.source"),
                "run": sfn.JsonPath.object_at("$.run"),
                "chunk": sfn.JsonPath.object_at("$$.Map.Item.Value"),
            },
            max_concurrency=max_concurrency,
            tolerated_failure_percentage=0,
            result_writer_v2=sfn.ResultWriterV2(bucket=self.bucket, prefix=f"{self.work_prefix}map-results"),
            result_path=sfn.JsonPath.DISCARD,
            map_execution_type=sfn.StateMachineType.STANDARD,
            label="ImportRanges",
        )
        ranges.item_processor(write_range)
        ranges.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")

        finish = tasks.LambdaInvoke(
            self,
            "Finish",
            lambda_function=reporter,
            payload=sfn.TaskInput.from_object(
                {
                    "outcome": ImportOutcome.SUCCEEDED.value,
                    "source": sfn.JsonPath.object_at("$.source"),
                    "run": sfn.JsonPath.object_at("$.run"),
                }
            ),
            payload_response_only=True,
            result_path="$.summary",
        )
        _add_retry(finish)
        finish.add_catch(report_failure, errors=["States.ALL"], result_path="$.error")
        # The hook point of ``then_send``: a send to the imported segment would follow "Finish" here.
        return plan.next(ranges).next(finish).next(sfn.Succeed(self, "Imported"))

    def _acknowledge_workflow_grants(self, functions: list[Any]) -> None:
        """The wildcards aws-cdk-lib puts into the state machine's policies, each acknowledged by its finding."""
        stack = cdk.Stack.of(self)
        reason = (
            "Step Functions' own grants: X-Ray and CloudWatch Logs delivery take no resource ARNs ('*'); "
            "'<function>:*' covers the versions of the construct's own functions; the Distributed Map reads its "
            "manifest and writes its results in the import bucket and manages the child executions of this "
            "state machine's map run."
        )
        machine_name = cdk.Fn.select(6, cdk.Fn.split(":", self.state_machine.state_machine_arn))
        executions = [
            stack.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{machine_name}{suffix}:*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for suffix in ("", "/ImportRanges")
        ]
        # the Distributed Map's reader/writer grants are built from the bucket name, not its ARN
        bucket_objects = f"arn:{cdk.Aws.PARTITION}:s3:::{self.bucket.bucket_name}/*"
        resources = ["*", bucket_objects, *executions]
        resources += [f"{function.function_arn}:*" for function in functions]
        resources = [nag_resource(self, resource) for resource in resources]
        for resource in resources:
            acknowledge(self.state_machine, "AwsSolutions-IAM5", reason, applies_to=f"Resource::{resource}")

    def _acknowledge_prefix_grants(self, function: Any, prefixes_used: Sequence[str]) -> None:
        """aws-cdk-lib's bucket grants for objects under a prefix: the object ARNs and the action families need
        wildcards; nothing outside the prefixes is granted."""
        reason = (
            "S3 access is limited to the objects under the import bucket's "
            + " and ".join(f"'{p}'" for p in prefixes_used)
            + " prefixes (object ARNs need a wildcard); the action wildcards are aws-cdk-lib's read/put grant "
            "families (GetObject*, List*, Abort*...)."
        )
        for prefix in prefixes_used:
            resource = nag_resource(self, self.bucket.arn_for_objects(f"{prefix}*"))
            acknowledge(function, "AwsSolutions-IAM5", reason, applies_to=f"Resource::{resource}")
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
            acknowledge(function, "AwsSolutions-IAM5", reason, applies_to=f"Action::{action}")


def _add_retry(task: sfn.TaskStateBase, *, errors: Sequence[str] = STEP_RETRY_ERRORS, max_attempts: int = 3) -> None:
    """The workflow's retry of a Lambda step: 5 s, doubled each attempt, full jitter."""
    task.add_retry(
        errors=list(errors),
        max_attempts=max_attempts,
        interval=cdk.Duration.seconds(5),
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
