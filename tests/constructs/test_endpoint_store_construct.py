"""EndpointStore construct: the table is the client's contract (keys, index, TTL), secure by default."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from pinpoint_constructs import EndpointStore, EventStreamToS3, PropsConflictError, PythonFunction
from tests.conftest import ENV, new_app, only


@pytest.fixture(scope="module")
def built():
    app = new_app()
    stack = cdk.Stack(app, "Audience", env=ENV)
    lake = EventStreamToS3(stack, "Lake")
    store = EndpointStore(stack, "Endpoints", event_stream=lake)
    consumer = PythonFunction(
        stack, "Consumer", function_folder="event_stream_normalizer", service_name="consumer", description="x"
    )
    store.bind(consumer.lambda_function)
    reader = PythonFunction(
        stack, "Reader", function_folder="event_stream_normalizer", service_name="reader", description="x"
    )
    store.bind(reader.lambda_function, write=False)
    key_stack = cdk.Stack(app, "AudienceKms", env=ENV)
    key = kms.Key(key_stack, "Key", enable_key_rotation=True)
    EndpointStore(key_stack, "Endpoints", encryption_key=key, table_props={"contributor_insights_enabled": True})
    return {
        "stack": stack,
        "store": store,
        "consumer": consumer,
        "reader": reader,
        "lake": lake,
        "template": Template.from_stack(stack),
        "key_stack": key_stack,
        "key_template": Template.from_stack(key_stack),
    }


def _table(template: Template) -> dict:
    return only(
        {
            k: v
            for k, v in template.find_resources("AWS::DynamoDB::Table").items()
            if any(a["AttributeName"] == "user_key" for a in v["Properties"]["AttributeDefinitions"])
        }
    )


def test_table_is_the_clients_contract_and_secure(built) -> None:
    table = _table(built["template"])
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    index = only({"i": props["GlobalSecondaryIndexes"][0]})
    assert len(props["GlobalSecondaryIndexes"]) == 1
    assert index["IndexName"] == "by_user"
    assert index["KeySchema"] == [
        {"AttributeName": "user_key", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["DeletionProtectionEnabled"] is True and props["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionPolicy"] == "Retain"


def test_bind_sets_the_table_the_stream_and_least_privilege(built) -> None:
    stack, template, store = built["stack"], built["template"], built["store"]
    functions = template.find_resources("AWS::Lambda::Function")
    table_ref = {"Ref": stack.get_logical_id(store.table.node.default_child)}
    stream_ref = {"Ref": stack.get_logical_id(built["lake"].delivery_stream.node.default_child)}
    for name in ("consumer", "reader"):
        function = built[name].lambda_function
        variables = functions[stack.get_logical_id(function.node.default_child)]["Properties"]["Environment"][
            "Variables"
        ]
        assert variables["ENDPOINT_STORE_TABLE"] == table_ref
        assert variables["PINPOINT_EVENT_STREAM_NAME"] == stream_ref

    def actions_of(function) -> set[str]:
        role_ref = {"Ref": stack.get_logical_id(built[function].role.node.default_child)}
        found = set()
        for policy in template.find_resources("AWS::IAM::Policy").values():
            if role_ref in policy["Properties"]["Roles"]:
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                    found.update(a for a in actions if a.startswith("dynamodb:"))
        return found

    assert {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Query"} <= actions_of(
        "consumer"
    )
    reader_actions = actions_of("reader")
    assert "dynamodb:Query" in reader_actions and "dynamodb:GetItem" in reader_actions
    assert not {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} & reader_actions


def test_customer_managed_key_and_merged_props(built) -> None:
    stack, template = built["key_stack"], built["key_template"]
    props = _table(template)["Properties"]
    key_id = stack.get_logical_id(stack.node.find_child("Key").node.default_child)
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert props["ContributorInsightsSpecification"] == {"Enabled": True}
    assert props["KeySchema"][0]["AttributeName"] == "pk"  # the contract survives caller props


@pytest.mark.parametrize("stack_key", ["stack", "key_stack"])
def test_zero_unacknowledged_nag_findings(built, stack_key: str) -> None:
    report = AwsSolutionsChecks().validate_scope(built[stack_key])
    assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


def test_conflicts_reported_together() -> None:
    stack = cdk.Stack(new_app(), "Bad", env=ENV)
    existing = dynamodb.Table.from_table_name(stack, "Existing", "endpoints")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    with pytest.raises(PropsConflictError) as caught:
        EndpointStore(stack, "Endpoints", table_props={}, existing_table_obj=existing, encryption_key=key)
    assert caught.value.problems == [
        "Either provide table_props or existing_table_obj, but not both.",
        "encryption_key applies to a table the construct creates; it cannot be combined with existing_table_obj.",
    ]


def test_read_by_key_grants_the_table_only_and_its_key_across_stacks() -> None:
    """A function in another stack (the campaign runner's planner) reads segments and endpoints by key: no index
    wildcard (cdk-nag could not acknowledge one through a cross-stack reference), the CMK when there is one."""
    app = new_app()
    audience = cdk.Stack(app, "Audience", env=ENV)
    key = kms.Key(audience, "Key", enable_key_rotation=True)
    store = EndpointStore(audience, "Endpoints", encryption_key=key)
    campaigns = cdk.Stack(app, "Campaigns", env=ENV)
    planner = PythonFunction(
        campaigns, "Planner", function_folder="event_stream_normalizer", service_name="planner", description="x"
    )
    store.bind(planner.lambda_function, by_key_only=True)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # fails on any unacknowledged finding
    template = assembly.get_stack_by_name("Campaigns").template
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    (table,) = [s for s in statements if "dynamodb:BatchGetItem" in s["Action"]]
    assert sorted(table["Action"]) == [
        "dynamodb:BatchGetItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
    ]
    assert "index" not in str(table["Resource"]) and "Fn::GetStackOutput" in str(table["Resource"])
    assert any("kms:Decrypt" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]) for s in statements)
    variables = only({k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"})
    assert "ENDPOINT_STORE_TABLE" in variables["Properties"]["Environment"]["Variables"]
