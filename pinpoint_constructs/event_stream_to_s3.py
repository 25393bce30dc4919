"""EventStreamToS3: the event data lake every other construct feeds.

Firehose (direct put) → a normalising Lambda that turns every record into Pinpoint's event-stream shape →
an S3 data lake partitioned ``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/`` (Firehose dynamic
partitioning: no per-object Lambda, no crawler) → a Glue table with partition projection, one Athena view per
event type and named report queries in an enforced, encrypted Athena workgroup.

Sources (each method does all the wiring and IAM, with ``aws:SourceAccount``/``aws:SourceArn`` conditions):

* :meth:`EventStreamToS3.add_sms_configuration_set`: End User Messaging SMS configuration-set events;
* :meth:`EventStreamToS3.add_ses_configuration_set`: SES configuration-set events;
* :meth:`EventStreamToS3.grant_put_events` / :meth:`EventStreamToS3.add_producer`: application/custom events
  in the Pinpoint ``PutEvents`` shape and the library's own delivery events, written with
  ``pinpoint_runtime.events.stream.EventStreamWriter``.

Nothing is lost: records that are not JSON objects land under ``errors/processing-failed/``; records of an
unknown shape or without an event type land in the ``source=unknown/kind=unknown`` partition with the raw
record kept.

The construct class is this module's one concern, over 400 lines (its props validation, storage, stream and the
source methods); the Glue catalogue and Athena resources are built by :mod:`~pinpoint_constructs.event_lake_catalog`
and the destination on an existing SMS configuration set by :mod:`~pinpoint_constructs.event_lake_sms_destination`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_smsvoice as smsvoice
from aws_cdk import custom_resources as cr
from constructs import Construct

from pinpoint_runtime.events.firehose_transformation import NormalizerSettings
from pinpoint_runtime.events.stream import EventStreamSettings

from . import event_lake_catalog as catalog
from . import event_lake_views as lake_views
from .core import PropsValidation, PythonFunction, SecureBucket, acknowledge, add_settings
from .core.acknowledgments import acknowledge_invoke_grant, nag_arn
from .core.secure_bucket import check_secure_bucket_props
from .event_lake_catalog import EVENTS_PREFIX, TABLE_NAME
from .event_lake_sms_destination import existing_sms_event_destination

ERRORS_PREFIX = "errors/"

DEFAULT_SMS_EVENT_TYPES = ("ALL",)


class SesEventType(StrEnum):
    """SES event types a configuration-set event destination can match (``MatchingEventTypes``)."""

    SEND = "send"
    REJECT = "reject"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    DELIVERY = "delivery"
    OPEN = "open"
    CLICK = "click"
    RENDERING_FAILURE = "renderingFailure"
    DELIVERY_DELAY = "deliveryDelay"
    SUBSCRIPTION = "subscription"


DEFAULT_SES_EVENT_TYPES: tuple[SesEventType, ...] = tuple(SesEventType)
"""Every SES event type (the default of :meth:`EventStreamToS3.add_ses_configuration_set`)."""


class EventStreamToS3(Construct):
    """Firehose → normalised, partitioned S3 event lake → Glue/Athena, with sources wired by methods.

    Keyword-only props (all optional):
      bucket_props: partial ``s3.BucketProps`` for the data bucket. Conflicts with ``existing_bucket_obj``.
      existing_bucket_obj: write the lake into this bucket (under ``events/`` and ``errors/``).
      log_s3_access_logs: server access logs for the created buckets. @default True.
      logging_bucket_props / existing_logging_bucket_obj: the access logs bucket (one of them).
      encryption_key: customer-managed KMS key for the created buckets and the Athena results. @default SSE-S3.
      buffering_interval: Firehose buffer time. @default 60 seconds (60 to 900).
      buffering_size_mib: Firehose buffer size in MiB. @default 64 (dynamic partitioning needs 64 to 128).
      parquet: convert records to Parquet (Snappy) with the Glue table's schema. @default False (GZIP JSON lines).
      application_id: ``application.app_id`` written on SMS and SES records. @default a 32-hex id derived from
        this construct's path (stable across deployments).
      athena_results_retention: how long Athena query results are kept. @default 30 days.
      athena_bytes_scanned_cutoff: per-query scan limit of the workgroup in bytes. @default 100 GB.
      normalizer_function_props: partial ``lambda_.FunctionProps`` for the normalising function.

    Attributes: ``s3_bucket`` (created bucket or ``None``), ``s3_bucket_interface``, ``s3_logging_bucket``,
    ``athena_results_bucket``, ``delivery_stream``, ``delivery_stream_role``, ``delivery_stream_log_group``,
    ``normalizer`` (:class:`PythonFunction`), ``glue_database``, ``database_name``, ``events_table``,
    ``table_name``, ``views`` (name → Glue view table), ``athena_workgroup``, ``workgroup_name``,
    ``named_queries`` (name → ``CfnNamedQuery``), ``application_id``, ``sms_configuration_sets``,
    ``ses_configuration_sets`` (what the ``add_*`` methods created).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_bucket_obj: s3.IBucket | None = None,
        log_s3_access_logs: bool = True,
        logging_bucket_props: s3.BucketProps | dict[str, Any] | None = None,
        existing_logging_bucket_obj: s3.IBucket | None = None,
        encryption_key: kms.IKey | None = None,
        buffering_interval: cdk.Duration | None = None,
        buffering_size_mib: int = 64,
        parquet: bool = False,
        application_id: str | None = None,
        athena_results_retention: cdk.Duration | None = None,
        athena_bytes_scanned_cutoff: int = 100 * 1000**3,
        normalizer_function_props: lambda_.FunctionProps | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        interval = buffering_interval or cdk.Duration.seconds(60)
        validation = check_secure_bucket_props(
            PropsValidation(type(self).__name__),
            bucket_props=bucket_props,
            existing_bucket_obj=existing_bucket_obj,
            log_access=log_s3_access_logs,
            logging_bucket_props=logging_bucket_props,
            existing_logging_bucket_obj=existing_logging_bucket_obj,
            encryption_key=encryption_key if existing_bucket_obj is not None else None,
        )
        validation.require(
            64 <= buffering_size_mib <= 128,
            f"buffering_size_mib must be between 64 and 128 with dynamic partitioning (got {buffering_size_mib}).",
        )
        if not cdk.Token.is_unresolved(interval.to_seconds()):
            validation.require(
                60 <= interval.to_seconds() <= 900,
                f"buffering_interval must be between 60 and 900 seconds (got {interval.to_seconds()}).",
            )
        validation.require(
            application_id is None or re.fullmatch(r"[A-Za-z0-9_-]{1,64}", application_id) is not None,
            "application_id must be 1-64 letters, digits, '_' or '-'.",
        )
        validation.require(athena_bytes_scanned_cutoff >= 10_000_000, "athena_bytes_scanned_cutoff must be >= 10 MB.")
        validation.raise_if_any()

        self.parquet = parquet
        self.application_id = application_id or self.node.addr[2:34]
        self.sms_configuration_sets: list[Construct] = []
        self.ses_configuration_sets: list[Construct] = []

        # --- storage -----------------------------------------------------------------------------------------
        data = SecureBucket(
            self,
            "DataBucket",
            bucket_props=bucket_props,
            existing_bucket_obj=existing_bucket_obj,
            encryption_key=encryption_key,
            log_access=log_s3_access_logs,
            logging_bucket_props=logging_bucket_props,
            existing_logging_bucket_obj=existing_logging_bucket_obj,
            access_logs_prefix="event-lake/",
        )
        self.s3_bucket = data.created_bucket
        self.s3_bucket_interface = data.bucket
        self.s3_logging_bucket = data.access_logs_bucket
        results = SecureBucket(
            self,
            "AthenaResultsBucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=athena_results_retention or cdk.Duration.days(30),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            encryption_key=encryption_key,
            log_access=log_s3_access_logs,
            existing_logging_bucket_obj=self.s3_logging_bucket,
            access_logs_prefix="athena-results/",
        )
        self.athena_results_bucket = results.bucket

        # --- catalogue (before the stream: Parquet conversion reads the table) -------------------------------
        self.database_name = catalog.glue_name(cdk.Names.unique_id(self))
        self.table_name = TABLE_NAME
        self.glue_database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=cdk.Stack.of(self).account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="pinpoint-constructs event lake (Pinpoint event-stream record shape)",
            ),
        )
        self.events_table = catalog.events_table(
            self,
            bucket=self.s3_bucket_interface,
            database=self.glue_database,
            database_name=self.database_name,
            parquet=parquet,
        )
        self.views = {
            view.name: catalog.view_table(self, view, database_name=self.database_name, events_table=self.events_table)
            for view in lake_views.VIEWS
        }

        # --- normaliser + stream -----------------------------------------------------------------------------
        self.normalizer = PythonFunction(
            self,
            "Normalizer",
            function_folder="event_stream_normalizer",
            service_name="event-stream-normalizer",
            description="Normalises event records into the Pinpoint event-stream shape for the event lake",
            settings=[NormalizerSettings(application_id=self.application_id)],
            timeout=cdk.Duration.minutes(2),
            function_props=normalizer_function_props,
        )
        self._delivery_stream(interval, buffering_size_mib, encryption_key)

        # --- Athena ------------------------------------------------------------------------------------------
        self.workgroup_name = cdk.Names.unique_resource_name(self, max_length=128, separator="-")
        self.athena_workgroup = catalog.athena_workgroup(
            self,
            name=self.workgroup_name,
            results_bucket=self.athena_results_bucket,
            bytes_scanned_cutoff=athena_bytes_scanned_cutoff,
            encryption_key=encryption_key,
        )
        self.named_queries = catalog.named_queries(
            self, database=self.glue_database, database_name=self.database_name, workgroup=self.athena_workgroup
        )

        cdk.CfnOutput(self, "DataBucketName", value=self.s3_bucket_interface.bucket_name)
        cdk.CfnOutput(self, "DeliveryStreamName", value=self.delivery_stream.delivery_stream_name)
        cdk.CfnOutput(self, "GlueDatabaseName", value=self.database_name)
        cdk.CfnOutput(self, "AthenaWorkGroupName", value=self.workgroup_name)

    # ------------------------------------------------------------------------------------------------ sources
    def add_sms_configuration_set(
        self,
        construct_id: str,
        *,
        existing_configuration_set_name: str | None = None,
        matching_event_types: Sequence[str] = DEFAULT_SMS_EVENT_TYPES,
        event_destination_name: str = "event-lake",
    ) -> smsvoice.CfnConfigurationSet | cr.AwsCustomResource:
        """Send End User Messaging SMS events of a configuration set into the lake.

        Creates a configuration set (generated name) with a Firehose event destination, or, with
        ``existing_configuration_set_name``, adds the destination to an existing set through a custom resource
        (CreateEventDestination; removed again on delete). The role that ``sms-voice.amazonaws.com`` assumes may
        only put records into this stream, from this account and this configuration set.
        Returns the ``CfnConfigurationSet`` (use ``.attr_arn`` / ``.ref``) or the custom resource.
        """
        scope = Construct(self, construct_id)
        name = existing_configuration_set_name or cdk.Names.unique_resource_name(scope, max_length=64, separator="-")
        configuration_set_arn = cdk.Stack.of(self).format_arn(
            service="sms-voice", resource="configuration-set", resource_name=name
        )
        role = self._source_role(scope, "sms-voice.amazonaws.com", configuration_set_arn)
        destination = {
            "EventDestinationName": event_destination_name,
            "MatchingEventTypes": list(matching_event_types),
            "KinesisFirehoseDestination": {
                "IamRoleArn": role.role_arn,
                "DeliveryStreamArn": self.delivery_stream.delivery_stream_arn,
            },
        }
        created: smsvoice.CfnConfigurationSet | cr.AwsCustomResource
        if existing_configuration_set_name is None:
            created = smsvoice.CfnConfigurationSet(
                scope,
                "ConfigurationSet",
                configuration_set_name=name,
                event_destinations=[
                    smsvoice.CfnConfigurationSet.EventDestinationProperty(
                        event_destination_name=event_destination_name,
                        enabled=True,
                        matching_event_types=list(matching_event_types),
                        kinesis_firehose_destination=smsvoice.CfnConfigurationSet.KinesisFirehoseDestinationProperty(
                            delivery_stream_arn=self.delivery_stream.delivery_stream_arn,
                            iam_role_arn=role.role_arn,
                        ),
                    )
                ],
            )
            created.node.add_dependency(role)
        else:
            created = existing_sms_event_destination(scope, name, configuration_set_arn, destination, role)
        self.sms_configuration_sets.append(created)
        return created

    def add_ses_configuration_set(
        self,
        construct_id: str,
        *,
        existing_configuration_set_name: str | None = None,
        matching_event_types: Sequence[SesEventType | str] = DEFAULT_SES_EVENT_TYPES,
        event_destination_name: str = "event-lake",
    ) -> ses.CfnConfigurationSetEventDestination:
        """Send SES events of a configuration set (new, or existing by name) into the lake.

        A new configuration set requires TLS for delivery and has reputation metrics on. The event destination
        is its own CloudFormation resource, so an existing set keeps its other destinations. The role that
        ``ses.amazonaws.com`` assumes may only put records into this stream, from this account and this set.
        """
        scope = Construct(self, construct_id)
        if existing_configuration_set_name is None:
            configuration_set = ses.CfnConfigurationSet(
                scope,
                "ConfigurationSet",
                name=cdk.Names.unique_resource_name(scope, max_length=64, separator="-"),
                delivery_options=ses.CfnConfigurationSet.DeliveryOptionsProperty(tls_policy="REQUIRE"),
                reputation_options=ses.CfnConfigurationSet.ReputationOptionsProperty(reputation_metrics_enabled=True),
                sending_options=ses.CfnConfigurationSet.SendingOptionsProperty(sending_enabled=True),
            )
            name = configuration_set.ref
        else:
            name = existing_configuration_set_name
        configuration_set_arn = cdk.Stack.of(self).format_arn(
            service="ses", resource="configuration-set", resource_name=name
        )
        role = self._source_role(scope, "ses.amazonaws.com", configuration_set_arn)
        destination = ses.CfnConfigurationSetEventDestination(
            scope,
            "EventDestination",
            configuration_set_name=name,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name=event_destination_name,
                enabled=True,
                matching_event_types=[str(event_type) for event_type in matching_event_types],
                kinesis_firehose_destination=ses.CfnConfigurationSetEventDestination.KinesisFirehoseDestinationProperty(
                    delivery_stream_arn=self.delivery_stream.delivery_stream_arn,
                    iam_role_arn=role.role_arn,
                ),
            ),
        )
        destination.node.add_dependency(role)
        self.ses_configuration_sets.append(destination)
        return destination

    def grant_put_events(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put records (application/custom events, delivery events) into the stream."""
        return self.delivery_stream.grant_put_records(grantee)

    def add_producer(self, function: lambda_.Function) -> iam.Grant:
        """Grant ``function`` and tell it the stream name (``PINPOINT_EVENT_STREAM_NAME``) so that
        ``EventStreamWriter()`` in ``pinpoint_runtime.events.stream`` works with no arguments."""
        add_settings(function, EventStreamSettings(delivery_stream_name=self.delivery_stream.delivery_stream_name))
        return self.grant_put_events(function)

    def grant_query(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run Athena queries in the workgroup over the lake (read data, write results)."""
        stack = cdk.Stack.of(self)
        self.s3_bucket_interface.grant_read(grantee, f"{EVENTS_PREFIX}*")
        self.athena_results_bucket.grant_read_write(grantee)
        glue_resources = [
            stack.format_arn(service="glue", resource="catalog"),
            stack.format_arn(service="glue", resource="database", resource_name=self.database_name),
            stack.format_arn(service="glue", resource="table", resource_name=f"{self.database_name}/*"),
        ]
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
            resource_arns=glue_resources,
        )
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
                "athena:GetNamedQuery",
                "athena:ListNamedQueries",
                "athena:GetWorkGroup",
            ],
            resource_arns=[stack.format_arn(service="athena", resource="workgroup", resource_name=self.workgroup_name)],
        )

    # ------------------------------------------------------------------------------------------------ parts
    def _delivery_stream(self, interval: cdk.Duration, size_mib: int, encryption_key: kms.IKey | None) -> None:
        stack = cdk.Stack.of(self)
        stream_name = cdk.Names.unique_resource_name(self, max_length=64, separator="-")
        self.delivery_stream_role = iam.Role(
            self,
            "DeliveryStreamRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="firehose", resource="deliverystream", resource_name=stream_name
                        )
                    },
                },
            ),
            description="Lets Firehose write the event lake, invoke the normaliser and read the Glue schema",
        )
        self.delivery_stream_log_group = logs.LogGroup(
            self, "DeliveryStreamLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        conversion = None
        if self.parquet:
            conversion = firehose.DataFormatConversionProps(
                input_format=firehose.InputFormat.OPENX_JSON,
                output_format=firehose.OutputFormat.PARQUET,
                schema_configuration=firehose.SchemaConfiguration.from_cfn_table(self.events_table),
            )
        destination = firehose.S3Bucket(
            self.s3_bucket_interface,
            role=self.delivery_stream_role,
            data_output_prefix=(
                f"{EVENTS_PREFIX}source=!{{partitionKeyFromLambda:source}}/"
                "kind=!{partitionKeyFromLambda:kind}/dt=!{partitionKeyFromLambda:dt}/"
            ),
            error_output_prefix=f"{ERRORS_PREFIX}!{{firehose:error-output-type}}/dt=!{{timestamp:yyyy-MM-dd}}/",
            dynamic_partitioning=firehose.DynamicPartitioningProps(
                enabled=True, retry_duration=cdk.Duration.seconds(300)
            ),
            processors=[
                firehose.LambdaFunctionProcessor(
                    self.normalizer.lambda_function,
                    # 1 MiB in: the normalised output stays well under Lambda's 6 MB response limit.
                    buffer_size=cdk.Size.mebibytes(1),
                    buffer_interval=cdk.Duration.seconds(60),
                    retries=3,
                )
            ],
            buffering_interval=interval,
            buffering_size=cdk.Size.mebibytes(size_mib),
            compression=None if self.parquet else firehose.Compression.GZIP,  # Parquet: Snappy inside the files
            data_format_conversion=conversion,
            file_extension=".parquet" if self.parquet else ".json.gz",
            encryption_key=encryption_key,
            logging_config=firehose.EnableLogging(self.delivery_stream_log_group),
        )
        self.delivery_stream = firehose.DeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=stream_name,
            destination=destination,
            encryption=firehose.StreamEncryption.aws_owned_key(),
        )
        self.delivery_stream.node.add_dependency(self.events_table)
        acknowledge(
            stack,
            "CloudFormation-Validate::W7001",
            "aws-cdk-lib's Firehose L2 adds a mapping of Firehose CIDR blocks that only VPC and Redshift "
            "destinations reference; this S3 destination leaves it unused.",
        )
        self._acknowledge_delivery_stream_grants(encryption_key)

    def _acknowledge_delivery_stream_grants(self, encryption_key: kms.IKey | None) -> None:
        """The wildcards of aws-cdk-lib's Firehose destination grants, each confined to one resource."""
        role = self.delivery_stream_role
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Firehose writes objects under generated partition keys, so it needs the bucket's object ARN with '/*'.",
            applies_to=f"Resource::{nag_arn(self.s3_bucket_interface, self.s3_bucket_interface.bucket_arn)}/*",
        )
        for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
            acknowledge(
                role,
                "AwsSolutions-IAM5",
                "aws-cdk-lib's bucket read/write grant for the Firehose destination, limited to this bucket.",
                applies_to=f"Action::{action}",
            )
        function = self.normalizer.lambda_function
        acknowledge_invoke_grant(role, function, function.function_arn)
        if encryption_key is not None:
            for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
                acknowledge(
                    role,
                    "AwsSolutions-IAM5",
                    "aws-cdk-lib's encrypt/decrypt grant on the lake's own KMS key (the only resource).",
                    applies_to=f"Action::{action}",
                )
        if self.parquet:
            acknowledge(
                role,
                "AwsSolutions-IAM5",
                "Firehose's record format conversion asks for glue:GetSchemaVersion, which has no resource ARN "
                "(the schema itself comes from the lake's Glue table, granted by ARN).",
                applies_to="Resource::*",
            )

    def _source_role(self, scope: Construct, service: str, source_arn: str) -> iam.Role:
        role = iam.Role(
            scope,
            "EventDestinationRole",
            assumed_by=iam.ServicePrincipal(
                service,
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            ),
            description=f"Lets {service} put configuration-set events into the event lake stream",
        )
        self.delivery_stream.grant_put_records(role)
        return role
