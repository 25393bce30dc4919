"""The Glue catalogue and the Athena side of ``EventStreamToS3``: the ``events`` table (partition projection over
``events/source=<source>/kind=<kind>/dt=<YYYY-MM-DD>/``), one Glue view table per Athena view, the enforced Athena
workgroup and the named report queries. The definitions themselves are pure data in
:mod:`~pinpoint_constructs.event_lake_schema`, :mod:`~pinpoint_constructs.event_lake_views` and
:mod:`~pinpoint_constructs.event_lake_queries`; this module turns them into CloudFormation resources in the
construct's scope (construct ids unchanged)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from pinpoint_runtime.events.event_types import KIND_VALUES, SOURCES

from . import event_lake_queries as lake_queries
from . import event_lake_schema as lake_schema
from . import event_lake_views as lake_views

EVENTS_PREFIX = "events/"
TABLE_NAME = "events"
#: First day the ``dt`` partition projection covers (the normaliser never writes an earlier ``dt``).
PARTITION_START_DATE = "2015-01-01"
_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
_PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def events_table(
    scope: Construct, *, bucket: s3.IBucket, database: glue.CfnDatabase, database_name: str, parquet: bool
) -> glue.CfnTable:
    """The Glue table ``events`` (id ``EventsTable``): JSON lines or Parquet, partitions projected."""
    location = bucket.s3_url_for_object(EVENTS_PREFIX)
    template = bucket.s3_url_for_object(f"{EVENTS_PREFIX}source=${{source}}/kind=${{kind}}/dt=${{dt}}/")
    if parquet:
        storage = glue.CfnTable.StorageDescriptorProperty(
            columns=_columns(lake_schema.EVENT_COLUMNS),
            location=location,
            input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serde_info=glue.CfnTable.SerdeInfoProperty(
                serialization_library=_PARQUET_SERDE, parameters={"serialization.format": "1"}
            ),
        )
    else:
        storage = glue.CfnTable.StorageDescriptorProperty(
            columns=_columns(lake_schema.EVENT_COLUMNS),
            location=location,
            input_format="org.apache.hadoop.mapred.TextInputFormat",
            output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            serde_info=glue.CfnTable.SerdeInfoProperty(
                serialization_library=_JSON_SERDE,
                parameters={"ignore.malformed.json": "true", "case.insensitive": "true"},
            ),
        )
    table = glue.CfnTable(
        scope,
        "EventsTable",
        catalog_id=cdk.Stack.of(scope).account,
        database_name=database_name,
        table_input=glue.CfnTable.TableInputProperty(
            name=TABLE_NAME,
            description="Every event of the lake in the Pinpoint event-stream record shape",
            table_type="EXTERNAL_TABLE",
            partition_keys=_columns(lake_schema.PARTITION_KEYS),
            parameters={
                "classification": "parquet" if parquet else "json",
                "projection.enabled": "true",
                "projection.source.type": "enum",
                "projection.source.values": ",".join(SOURCES),
                "projection.kind.type": "enum",
                "projection.kind.values": ",".join(KIND_VALUES),
                "projection.dt.type": "date",
                "projection.dt.format": "yyyy-MM-dd",
                "projection.dt.range": f"{PARTITION_START_DATE},NOW",
                "projection.dt.interval": "1",
                "projection.dt.interval.unit": "DAYS",
                "storage.location.template": template,
            },
            storage_descriptor=storage,
        ),
    )
    table.node.add_dependency(database)
    return table


def view_table(
    scope: Construct, view: lake_views.EventView, *, database_name: str, events_table: glue.CfnTable
) -> glue.CfnTable:
    """The Glue table (``VIRTUAL_VIEW``, id ``View-<name>``) holding one Athena view."""
    table = glue.CfnTable(
        scope,
        f"View-{view.name}",
        catalog_id=cdk.Stack.of(scope).account,
        database_name=database_name,
        table_input=glue.CfnTable.TableInputProperty(
            name=view.name,
            description=view.description,
            table_type="VIRTUAL_VIEW",
            parameters=dict(lake_views.PRESTO_VIEW_PARAMETERS),
            view_original_text=lake_views.presto_view_text(view, database_name),
            view_expanded_text=lake_views.PRESTO_VIEW_EXPANDED_TEXT,
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=_columns(view.hive_columns()),
                serde_info=glue.CfnTable.SerdeInfoProperty(),
            ),
        ),
    )
    table.node.add_dependency(events_table)
    return table


def athena_workgroup(
    scope: Construct,
    *,
    name: str,
    results_bucket: s3.IBucket,
    bytes_scanned_cutoff: int,
    encryption_key: kms.IKey | None,
) -> athena.CfnWorkGroup:
    """The enforced, encrypted Athena workgroup (id ``WorkGroup``) with engine version 3."""
    return athena.CfnWorkGroup(
        scope,
        "WorkGroup",
        name=name,
        description="Queries over the pinpoint-constructs event lake",
        recursive_delete_option=True,
        state="ENABLED",
        work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
            enforce_work_group_configuration=True,
            publish_cloud_watch_metrics_enabled=True,
            bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
            engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version="Athena engine version 3"),
            result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                output_location=results_bucket.s3_url_for_object("athena/"),
                encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                    encryption_option="SSE_KMS" if encryption_key is not None else "SSE_S3",
                    kms_key=encryption_key.key_arn if encryption_key is not None else None,
                ),
            ),
        ),
    )


def named_queries(
    scope: Construct, *, database: glue.CfnDatabase, database_name: str, workgroup: athena.CfnWorkGroup
) -> dict[str, athena.CfnNamedQuery]:
    """One Athena named query (id ``Query-<name>``) per report of :data:`event_lake_queries.NAMED_QUERIES`."""
    named_queries: dict[str, athena.CfnNamedQuery] = {}
    for query in lake_queries.NAMED_QUERIES:
        named = athena.CfnNamedQuery(
            scope,
            f"Query-{query.name}",
            name=query.name,
            description=query.description,
            database=database_name,
            query_string=query.sql,
            work_group=workgroup.name,
        )
        named.node.add_dependency(workgroup, database)
        named_queries[query.name] = named
    return named_queries


def _columns(columns: Sequence[tuple[str, str]]) -> list[glue.CfnTable.ColumnProperty]:
    return [glue.CfnTable.ColumnProperty(name=name, type=type_) for name, type_ in columns]


def glue_name(unique_id: str) -> str:
    """Glue database names: lower case letters, digits and underscores."""
    return re.sub(r"[^a-z0-9_]", "_", unique_id.lower())[:255]
