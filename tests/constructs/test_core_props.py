"""The props convention: deep merge over secure defaults, conflicts reported together."""

from __future__ import annotations

import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from pinpoint_constructs.core import PropsConflictError, PropsValidation, consolidate_props, deep_merge, props_to_dict
from tests.conftest import new_stack


def test_deep_merge_merges_mappings_and_replaces_everything_else() -> None:
    base = {"a": {"x": 1, "y": 2}, "rules": [1, 2], "flag": True}
    merged = deep_merge(base, {"a": {"y": 3, "z": 4}, "rules": [9], "flag": False})
    assert merged == {"a": {"x": 1, "y": 3, "z": 4}, "rules": [9], "flag": False}
    assert base == {"a": {"x": 1, "y": 2}, "rules": [1, 2], "flag": True}  # inputs untouched


def test_props_to_dict_reads_jsii_structs_and_mappings() -> None:
    assert props_to_dict(s3.BucketProps(versioned=False, bucket_name="x")) == {"versioned": False, "bucket_name": "x"}
    assert props_to_dict({"versioned": False}) == {"versioned": False}
    assert props_to_dict(None) == {}
    with pytest.raises(TypeError, match="props struct or a mapping"):
        props_to_dict(42)


def test_consolidate_order_is_defaults_then_caller_then_required_and_warns_on_override() -> None:
    stack = new_stack()
    merged = consolidate_props(
        stack,
        {"versioned": True, "enforce_ssl": True},
        s3.BucketProps(versioned=False, event_bridge_enabled=False),
        {"event_bridge_enabled": True},
    )
    assert merged == {"versioned": False, "enforce_ssl": True, "event_bridge_enabled": True}
    Annotations.from_stack(stack).has_warning(
        "/TestStack", Match.string_like_regexp("override has been provided for the secure default 'versioned'")
    )


def test_validation_reports_every_problem_in_one_error() -> None:
    validation = PropsValidation("Thing")
    validation.exclusive("queue_props", {}, "existing_queue_obj", object())
    validation.exclusive("topic_props", None, "existing_topic_obj", object())  # fine: only one given
    validation.require(False, "max_receive_count must be between 1 and 1000.")
    with pytest.raises(PropsConflictError) as caught:
        validation.raise_if_any()
    assert caught.value.problems == [
        "Either provide queue_props or existing_queue_obj, but not both.",
        "max_receive_count must be between 1 and 1000.",
    ]
    assert str(caught.value).startswith("Thing: 2 invalid prop(s):")


def test_validation_without_problems_does_not_raise() -> None:
    validation = PropsValidation("Thing")
    validation.exclusive("queue_props", None, "existing_queue_obj", object())
    validation.require(True, "never recorded")
    validation.raise_if_any()
    assert validation.problems == []
