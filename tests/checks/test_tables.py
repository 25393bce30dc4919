"""Every DynamoDB table of every synthesized template has the library's one secure default (core.secure_table):
on-demand, point-in-time recovery, encryption at rest, deletion protection exactly where the data is retained,
and one TTL attribute name."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from pinpoint_constructs.core import TTL_ATTRIBUTE, TableData, secure_table
from tests.conftest import new_stack, only


def _tables(templates: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """The library's tables; the variants name the resources that stand for a partner's own ``Partner...``."""
    return [
        (stack, logical_id, resource)
        for stack, template in templates.items()
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table" and not logical_id.startswith("Partner")
    ]


def test_every_table_of_every_template_has_the_secure_default(sample_templates, variant_templates) -> None:
    tables = _tables({**sample_templates, **variant_templates})
    assert len(tables) >= 12
    problems = []
    for stack, logical_id, resource in tables:
        properties = resource["Properties"]
        where = f"{stack}/{logical_id}"
        if properties.get("BillingMode") != "PAY_PER_REQUEST":
            problems.append(f"{where}: not on-demand")
        if properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True:
            problems.append(f"{where}: no point-in-time recovery")
        if properties.get("SSESpecification", {}).get("SSEEnabled") is not True:
            problems.append(f"{where}: not encrypted with KMS")
        retained = resource.get("DeletionPolicy") == "Retain"
        if retained != bool(properties.get("DeletionProtectionEnabled")):
            problems.append(
                f"{where}: retained={retained} but deletion protection={properties.get('DeletionProtectionEnabled')}"
            )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl is not None and ttl.get("AttributeName") != TTL_ATTRIBUTE:
            problems.append(f"{where}: TTL attribute {ttl.get('AttributeName')}")
    assert problems == []


@pytest.mark.parametrize(
    ("data", "policy", "protected"), [(TableData.KEPT, "Retain", True), (TableData.DISPOSABLE, "Delete", None)]
)
def test_what_removal_does_follows_the_data(data: TableData, policy: str, protected: bool | None) -> None:
    stack = new_stack()
    secure_table(stack, "Table", partition_key="pk", sort_key="sk", data=data, expires=True)
    resource = only(Template.from_stack(stack).find_resources("AWS::DynamoDB::Table"))
    assert resource["DeletionPolicy"] == policy
    assert resource["Properties"].get("DeletionProtectionEnabled") == protected
    assert resource["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert resource["Properties"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_a_customer_managed_key_and_caller_props_keep_the_key_schema() -> None:
    stack = new_stack()
    key = kms.Key(stack, "Key")
    secure_table(
        stack, "Table", partition_key="id", data=TableData.KEPT, encryption_key=key,
        table_props={"partition_key": {"name": "other"}, "contributor_insights_enabled": True},
    )  # fmt: skip
    properties = only(Template.from_stack(stack).find_resources("AWS::DynamoDB::Table"))["Properties"]
    assert properties["SSESpecification"]["SSEType"] == "KMS" and "KMSMasterKeyId" in properties["SSESpecification"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["ContributorInsightsSpecification"] == {"Enabled": True}
    assert "TimeToLiveSpecification" not in properties
    assert isinstance(cdk.Stack.of(key), cdk.Stack)
