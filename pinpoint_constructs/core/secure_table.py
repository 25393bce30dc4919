"""DynamoDB tables with the library's one secure default (every table of the library is built here).

* On-demand billing, point-in-time recovery, encryption at rest with the AWS managed key or, with
  ``encryption_key``, a customer-managed KMS key.
* What removal does follows what the table holds (:class:`TableData`): data that is kept (endpoints, opt-out
  history, send ledgers, partner lookup data, inbox messages) is retained on stack deletion and protected from
  deletion; data that rebuilds itself (idempotency records, rolling counters) is removed with the stack.
* One time-to-live attribute name, :data:`TTL_ATTRIBUTE` (``expires_at``, epoch seconds), for tables whose items
  expire.

The table is created directly at ``scope``/``construct_id`` (no wrapper construct), so logical ids are those a
hand-built ``dynamodb.Table`` had. ``table_props`` (a partial ``dynamodb.TableProps`` or dict) is merged over the
defaults; the key schema and the TTL attribute stay the construct's.
"""

from __future__ import annotations

import enum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from pinpoint_runtime.core.dynamodb_items import TTL_ATTRIBUTE

from .props import consolidate_props

__all__ = ["TTL_ATTRIBUTE", "TableData", "secure_table"]


class TableData(enum.Enum):
    """What a table holds, which decides what deleting the stack does to it."""

    KEPT = "kept"
    """Data the partner keeps: retained when the stack is deleted, deletion protection on."""
    DISPOSABLE = "disposable"
    """Data that rebuilds itself or expires within hours: deleted with the stack."""


def secure_table(
    scope: Construct,
    construct_id: str,
    *,
    partition_key: str,
    sort_key: str | None = None,
    data: TableData,
    expires: bool = False,
    encryption_key: kms.IKey | None = None,
    table_props: dynamodb.TableProps | dict[str, Any] | None = None,
) -> dynamodb.Table:
    """A table with string keys ``partition_key`` (and ``sort_key``) and the defaults of the module docstring;
    ``expires``: items carry :data:`TTL_ATTRIBUTE`."""
    kept = data is TableData.KEPT
    defaults: dict[str, Any] = {
        "billing_mode": dynamodb.BillingMode.PAY_PER_REQUEST,
        "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        "removal_policy": cdk.RemovalPolicy.RETAIN if kept else cdk.RemovalPolicy.DESTROY,
    }
    if kept:
        defaults["deletion_protection"] = True
    if encryption_key is not None:
        defaults["encryption"] = dynamodb.TableEncryption.CUSTOMER_MANAGED
        defaults["encryption_key"] = encryption_key
    else:
        defaults["encryption"] = dynamodb.TableEncryption.AWS_MANAGED
    required: dict[str, Any] = {
        "partition_key": dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
    }
    if sort_key is not None:
        required["sort_key"] = dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
    if expires:
        required["time_to_live_attribute"] = TTL_ATTRIBUTE
    return dynamodb.Table(scope, construct_id, **consolidate_props(scope, defaults, table_props, required))
