"""EndpointStore: Pinpoint-shaped endpoints and users on DynamoDB.

Amazon Pinpoint's endpoints and users ended with its engagement features; partner code still calls
``update_endpoints_batch``, ``update_endpoint``, ``get_user_endpoints`` and ``put_events``. This construct is
their home: one DynamoDB table, and the client ``pinpoint_runtime.audience.store.EndpointStore`` whose methods
take the boto3 Pinpoint request shapes and return Pinpoint's response shapes.

Table (the client's contract): partition key ``pk``, sort key ``sk``; endpoints at
``APP#<application>#ENDPOINT#<id>`` / ``ENDPOINT`` holding the ``EndpointResponse``-shaped map; static segment
membership at ``APP#<application>#SEGMENT#<segment>`` / ``ENDPOINT#<id>``; a sparse GSI ``by_user`` on
``user_key`` (``APP#<application>#USER#<user id>``) for ``get_user_endpoints`` and GDPR-style erasure
(``delete_user_endpoints`` removes a user's endpoints and their segment memberships); the TTL attribute
``expires_at`` for data that should expire by itself.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from pinpoint_runtime.audience.store import EndpointStoreSettings

from .core import PropsValidation, TableData, acknowledge, add_settings, secure_table
from .core.acknowledgments import nag_arn
from .event_stream_to_s3 import EventStreamToS3

USER_INDEX = "by_user"


class EndpointStore(Construct):
    """A DynamoDB store of Pinpoint-shaped endpoints and users, with lookups by user and by static segment.

    Keyword-only props (all optional):
      table_props: partial ``dynamodb.TableProps`` merged over the defaults (on-demand, point-in-time recovery,
        encryption, deletion protection, retained on stack deletion). The key schema, the ``by_user`` index and
        the TTL attribute are the client's contract and cannot be changed. Conflicts with existing_table_obj.
      existing_table_obj: a table with the same key schema and index.
      encryption_key: encrypt the table with this customer-managed key. @default the AWS managed key.
      event_stream: an :class:`EventStreamToS3`: functions bound with :meth:`bind` forward ``put_events`` there.

    Attributes: ``table`` (``dynamodb.ITable``), ``table_name``, ``event_stream``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_props: dynamodb.TableProps | dict[str, Any] | None = None,
        existing_table_obj: dynamodb.ITable | None = None,
        encryption_key: kms.IKey | None = None,
        event_stream: EventStreamToS3 | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        validation = PropsValidation(type(self).__name__)
        validation.exclusive("table_props", table_props, "existing_table_obj", existing_table_obj)
        validation.require(
            existing_table_obj is None or encryption_key is None,
            "encryption_key applies to a table the construct creates; it cannot be combined with existing_table_obj.",
        )
        validation.raise_if_any()
        self.event_stream = event_stream

        if existing_table_obj is not None:
            self.table: dynamodb.ITable = existing_table_obj
        else:
            table = secure_table(
                self,
                "Table",
                partition_key="pk",
                sort_key="sk",
                data=TableData.KEPT,
                expires=True,
                encryption_key=encryption_key,
                table_props=table_props,
            )
            table.add_global_secondary_index(
                index_name=USER_INDEX,
                partition_key=dynamodb.Attribute(name="user_key", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
            self.table = table
        self.table_name = self.table.table_name

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read endpoints, users and segments (``get_endpoint``, ``get_user_endpoints``, segment lookups)."""
        grant = self.table.grant_read_data(grantee)
        self._acknowledge_index_grant(grantee)
        return grant

    def grant_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Create, update and delete endpoints (updates read first: merge semantics, the per-user limit)."""
        grant = self.table.grant_read_write_data(grantee)
        self._acknowledge_index_grant(grantee)
        return grant

    def _acknowledge_index_grant(self, grantee: iam.IGrantable) -> None:
        principal = grantee.grant_principal
        if isinstance(principal, Construct) and isinstance(self.table.node.default_child, cdk.CfnResource):
            acknowledge(
                principal,
                "AwsSolutions-IAM5",
                "aws-cdk-lib's table grant covers the table's own indexes ('/index/*'): the by_user lookup.",
                applies_to=f"Resource::{nag_arn(self.table, self.table.table_arn)}/index/*",
            )

    def grant_read_by_key(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read endpoints, segment records and segment members by key (``get_endpoint``, ``batch_get_endpoints``,
        ``get_segment``, ``segment_endpoint_ids``): the table only, not its user index. No wildcard resource, so
        it also suits a grantee in another stack (e.g. a campaign runner reading the audience stack's segments)."""
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"],
            resource_arns=[self.table.table_arn],
        )
        if self.table.encryption_key is not None:
            self.table.encryption_key.grant_decrypt(grantee)
        return grant

    def bind(self, function: lambda_.Function, *, write: bool = True, by_key_only: bool = False) -> iam.Grant:
        """Give ``function`` the table (``ENDPOINT_STORE_TABLE``) so ``EndpointStore()`` works with no arguments,
        with read or read/write access (``by_key_only``: :meth:`grant_read_by_key`); with an ``event_stream``,
        ``put_events`` is forwarded there."""
        add_settings(function, EndpointStoreSettings(table_name=self.table_name))
        if self.event_stream is not None and not by_key_only:
            self.event_stream.add_producer(function)
        if by_key_only:
            return self.grant_read_by_key(function)
        return self.grant_write(function) if write else self.grant_read(function)
