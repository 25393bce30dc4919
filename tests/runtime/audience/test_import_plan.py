"""plan_import / iter_chunk_endpoints (pinpoint_runtime.audience.import_plan): byte-range chunks of an import file give
exactly what iter_endpoints gives."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.import_fast_check import validate_file
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_plan import ImportChunk, ImportPlan, iter_chunk_endpoints, plan_import
from pinpoint_runtime.audience.import_reader import iter_endpoints
from tests.support.import_files import (
    ReadOnly,
    _assert_same,
    _via_chunks,
    csv_files,
    ndjson_files,
)

# ----------------------------------------------------------------------------------------------- properties


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.integers(min_value=1, max_value=7))
def test_csv_chunks_equal_iter_endpoints(data, per_chunk):
    _assert_same(data, per_chunk)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ndjson_files(), st.integers(min_value=1, max_value=7))
def test_ndjson_chunks_equal_iter_endpoints(data, per_chunk):
    _assert_same(data, per_chunk, file_format="JSON")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60), st.integers(min_value=1, max_value=4))
def test_arbitrary_bytes_plan_or_raise_like_iter_endpoints(data, per_chunk):
    _assert_same(b"ChannelType,Address\n" + data, per_chunk)


def test_quoted_line_breaks_stay_in_one_chunk():
    data = b'ChannelType,Address,Note\r\nSMS,+12025550191,"a\r\n\r\nb"\r\n\r\nSMS,bad,"c,\nd"\nEMAIL,a@example.com,x'
    plan, results = _via_chunks(data, 1)
    assert [(c.first_line, c.rows) for c in plan.chunks] == [(2, 1), (5, 1), (8, 1)]
    assert data[plan.chunks[0].start : plan.chunks[0].end] == b'SMS,+12025550191,"a\r\n\r\nb"\r\n'
    assert plan.chunks[-1].end == len(data)
    assert results == list(iter_endpoints(io.BytesIO(data)))
    assert results[1].line == 6  # the reject's line counts the quoted line breaks before it


def test_block_boundaries_inside_quoted_fields():
    from pinpoint_runtime.audience.import_file import _Opened
    from pinpoint_runtime.audience.import_plan import _Planner

    rows = [f'SMS,+1202555{i:04d},"note {i}\nsecond, line"' for i in range(3000)]
    data = ("ChannelType,Address,Note\n" + "\n".join(rows) + "\n").encode()
    for block_size, per_chunk in ((5, 7), (64, 7), (1000, 7), (1 << 16, 7), (1 << 16, 450), (1 << 18, 1000)):
        opened = _Opened(io.BytesIO(data), None)
        planner = _Planner(opened, per_chunk, block_size=block_size)
        chunks = list(planner.chunks())
        assert sum(c.rows for c in chunks) == 3000 == planner.rows
        for chunk in chunks:
            piece = data[chunk.start : chunk.end]
            assert piece.startswith(b"SMS,") and piece.endswith(b'line"\n')
            assert chunk.first_line == data.count(b"\n", 0, chunk.start) + 1
            assert piece.count(b"\n") == 2 * chunk.rows


def test_empty_record_set_has_no_chunks():
    plan = plan_import(io.BytesIO(b"\xef\xbb\xbfChannelType,address\r\n\r\n\r\n"))
    assert (plan.rows, plan.chunks, plan.header, plan.format) == (0, [], ["ChannelType", "address"], "CSV")
    assert plan.warnings and "'address' is not the standard 'Address'" in plan.warnings[0]


def test_json_first_chunk_starts_after_bom():
    data = b'\xef\xbb\xbf{"ChannelType": "SMS", "Address": "+12025550191"}\n\n{"Id": "e2"}\n'
    plan, results = _via_chunks(data, 5, "JSON")
    assert plan.header is None and plan.chunks == [ImportChunk(3, len(data), 1, 2)]
    assert results == list(iter_endpoints(io.BytesIO(data), file_format="JSON"))


def test_sniffed_format_and_path_source(tmp_path):
    path = tmp_path / "drop.txt"
    path.write_bytes(b'{"ChannelType": "EMAIL", "Address": "a@example.com"}\n' * 3)
    plan = plan_import(path, rows_per_chunk=2)
    assert plan.format == "JSON" and [c.rows for c in plan.chunks] == [2, 1]
    piece = tmp_path / "piece"
    piece.write_bytes(path.read_bytes()[plan.chunks[1].start : plan.chunks[1].end])
    (item,) = iter_chunk_endpoints(piece, header=None, file_format="JSON", first_line=plan.chunks[1].first_line)
    assert item["Address"] == "a@example.com"


# ----------------------------------------------------------------------------------------------- file-level errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\n\n", "no header"),
        (b" , \nSMS,+12025550191\n", "no header"),
        (b"\x1f\x8b\x08\x00rest", "compressed"),
        (b"PK\x03\x04rest", "compressed"),
        (b"\x00\x01\x02binary", "binary"),
        ("ChannelType,Address\nSMS,+12025550191\nSMS,Jos\u00e9\n".encode("latin-1"), r"not UTF-8.*line 3"),
        (b"ChannelType,Location.Planet\nSMS,Mars\n", "unknown standard column"),
        (b"ChannelType,Attributes.\nSMS,x\n", "empty attribute name"),
        (b"ChannelType,Address\nSMS,a\rb\n", "CSV syntax error near line 2"),
    ],
)
def test_file_level_errors_raise_from_plan_like_validate_file(content, message):
    with pytest.raises(ImportFileError, match=message) as planned:
        plan_import(io.BytesIO(content), rows_per_chunk=1)
    with pytest.raises(ImportFileError) as validated:
        validate_file(io.BytesIO(content))
    assert str(planned.value) == str(validated.value)


def test_decode_error_far_into_the_file_names_its_line():
    content = ("ChannelType,Address\n" + "SMS,+12025550191\n" * 40000 + "SMS,Jos\u00e9\n").encode("latin-1")
    with pytest.raises(ImportFileError, match="line 40002"):
        plan_import(io.BytesIO(content))


def test_unknown_format():
    with pytest.raises(ImportFileError, match="unknown format"):
        plan_import(io.BytesIO(b"a\n"), file_format="XML")


# ----------------------------------------------------------------------------------------------- read()-only sources


def test_read_only_stream_works_everywhere():
    data = b'\xef\xbb\xbfChannelType,Address,Note\r\nSMS,(202) 555-0191,"x\r\ny"\r\nSMS,bad,z\r\n' * 1
    data += b"".join(b"EMAIL,u%d@example.com,n\r\n" % i for i in range(50))
    expected = list(iter_endpoints(io.BytesIO(data)))
    assert list(iter_endpoints(ReadOnly(data))) == expected
    assert validate_file(ReadOnly(data)).rows == len(expected)
    plan = plan_import(ReadOnly(data, most=3), rows_per_chunk=4)
    assert plan == plan_import(io.BytesIO(data), rows_per_chunk=4)
    got = []
    for chunk in plan.chunks:
        got.extend(
            iter_chunk_endpoints(
                ReadOnly(data[chunk.start : chunk.end], most=5),
                header=plan.header,
                file_format=plan.format,
                first_line=chunk.first_line,
            )
        )
    assert got == expected


def test_botocore_streaming_body():
    from botocore.response import StreamingBody

    data = b"ChannelType,Address\nSMS,+12025550191\nSMS,bad\n"
    plan = plan_import(StreamingBody(io.BytesIO(data), len(data)), rows_per_chunk=1)
    assert plan.rows == 2 and len(plan.chunks) == 2
    chunk = plan.chunks[1]
    body = StreamingBody(io.BytesIO(data[chunk.start : chunk.end]), chunk.end - chunk.start)
    (reject,) = iter_chunk_endpoints(body, header=plan.header, file_format="CSV", first_line=chunk.first_line)
    assert reject.line == 3 and reject.field == "Address"
    assert validate_file(StreamingBody(io.BytesIO(data), len(data))).rejected == 1


def test_caller_stream_not_closed():
    stream = io.BytesIO(b"ChannelType,Address\nSMS,+12025550191\n")
    plan_import(stream)
    assert not stream.closed


def test_plan_dict_round_trip():
    plan = plan_import(io.BytesIO(b"ChannelType,Address,address\nSMS,+12025550191,x\nSMS,bad,y\n"), rows_per_chunk=1)
    data = plan.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert ImportPlan.from_dict(data) == plan
    assert data["chunks"][0] == {"start": 28, "end": 47, "first_line": 2, "rows": 1}


def test_rows_per_chunk_must_be_positive():
    with pytest.raises(ValueError):
        plan_import(io.BytesIO(b"ChannelType\nSMS\n"), rows_per_chunk=0)
