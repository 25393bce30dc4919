"""The imported object (pinpoint_runtime.audience.import_source): execution names, sources from EventBridge events."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.import_source import ImportSource, import_execution_name

NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


@settings(max_examples=200, deadline=None)
@given(
    bucket=st.from_regex(r"[a-z0-9][a-z0-9.-]{2,20}", fullmatch=True),
    key=st.text(min_size=1, max_size=300),
    version=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
    etag=st.from_regex(r"[0-9a-f]{32}(-[0-9]{1,3})?", fullmatch=True),
)
def test_execution_names_are_valid_and_change_with_every_part_of_the_identity(bucket, key, version, etag):
    source = ImportSource(bucket, key, version, etag)
    name = import_execution_name(source)
    assert NAME.fullmatch(name), name
    assert import_execution_name(ImportSource(bucket, key, version, etag)) == name  # redelivery: same name
    assert import_execution_name(ImportSource(bucket, key + "x", version, etag)) != name
    assert import_execution_name(ImportSource(bucket, key, (version or "") + "v", etag)) != name
    assert import_execution_name(ImportSource(bucket, key, version, etag + "0")) != name
    assert import_execution_name(ImportSource(bucket + "x", key, version, etag)) != name


def test_execution_names_keep_a_readable_file_stem():
    name = import_execution_name(ImportSource("b", "incoming/2026/Spring list (final).csv", None, "abc"))
    assert name.startswith("Spring-list-final-") and len(name) == len("Spring-list-final-") + 32


def test_source_from_an_eventbridge_event_and_bad_events():
    event = {
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": "b"},
            "object": {"key": "incoming/a.csv", "etag": '"e1"', "size": 10, "version-id": "v1"},
        },
    }
    assert ImportSource.from_event(event) == ImportSource("b", "incoming/a.csv", "v1", "e1", 10)
    for bad, problem in (
        ([], "not a JSON object"),
        ({"source": "aws.sqs", "detail": {}}, "not an S3 event"),
        ({"source": "aws.s3", "detail": {"object": {"key": "k"}}}, "bucket.name"),
        ({"source": "aws.s3", "detail": {"bucket": {"name": "b"}, "object": {}}}, "object.key"),
    ):
        with pytest.raises(ValueError, match=problem):
            ImportSource.from_event(bad)
