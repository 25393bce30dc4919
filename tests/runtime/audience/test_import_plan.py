"""plan_import / iter_chunk_endpoints: byte-range chunks of an import file give exactly what iter_endpoints gives."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.endpoint_import import (
    ImportChunk,
    ImportFileError,
    ImportPlan,
    iter_chunk_endpoints,
    iter_endpoints,
    plan_import,
    validate_file,
)


class ReadOnly:
    """Like botocore's StreamingBody as far as the reader may rely on: read(n) only, short reads."""

    def __init__(self, data: bytes, most: int = 7) -> None:
        self._data, self._position, self._most = data, 0, most

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._data)
        size = min(size, self._most)
        out = self._data[self._position : self._position + size]
        self._position += len(out)
        return out


def _outcome(function, *args, **kwargs):
    """The function's result, or ("error", message) when it raises ImportFileError."""
    try:
        return function(*args, **kwargs)
    except ImportFileError as error:
        return ("error", str(error))


def _via_chunks(data: bytes, rows_per_chunk: int, file_format: str | None = None, **kw) -> tuple[ImportPlan, list]:
    plan = plan_import(io.BytesIO(data), rows_per_chunk=rows_per_chunk, file_format=file_format)
    results: list = []
    for chunk in plan.chunks:
        results.extend(
            iter_chunk_endpoints(
                io.BytesIO(data[chunk.start : chunk.end]),
                header=plan.header,
                file_format=plan.format,
                first_line=chunk.first_line,
                **kw,
            )
        )
    return plan, results


def _check_chunks(data: bytes, plan: ImportPlan, per_chunk: int) -> None:
    assert plan.size == len(data)
    assert sum(c.rows for c in plan.chunks) == plan.rows
    previous_end = None
    for index, chunk in enumerate(plan.chunks):
        assert 0 <= chunk.start < chunk.end <= len(data)
        if previous_end is not None:
            assert chunk.start == previous_end  # contiguous, in file order
        previous_end = chunk.end
        assert chunk.first_line == data.count(b"\n", 0, chunk.start) + 1
        assert (
            chunk.start == 0 or data[chunk.start - 1 : chunk.start] == b"\n" or data[: chunk.start] == b"\xef\xbb\xbf"
        )
        assert chunk.end == len(data) or data[chunk.end - 1 : chunk.end] == b"\n"
        assert chunk.rows == per_chunk or (index == len(plan.chunks) - 1 and 0 < chunk.rows < per_chunk)


def _assert_same(data: bytes, per_chunk: int, file_format: str | None = None) -> None:
    expected = _outcome(lambda: list(iter_endpoints(io.BytesIO(data), file_format=file_format)))
    if isinstance(expected, tuple):  # a file-level error: plan_import raises the same message
        with pytest.raises(ImportFileError) as raised:
            plan_import(io.BytesIO(data), rows_per_chunk=per_chunk, file_format=file_format)
        assert ("error", str(raised.value)) == expected
        return
    plan, got = _via_chunks(data, per_chunk, file_format)
    assert got == expected
    assert plan.rows == len(expected)
    _check_chunks(data, plan, per_chunk)
    summary = validate_file(io.BytesIO(data), file_format=file_format)
    assert plan.warnings == summary.warnings and plan.rows == summary.rows
    assert ImportPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


# ----------------------------------------------------------------------------------------------- strategies

HEADERS = [
    "ChannelType",
    "Address",
    "Id",
    "OptOut",
    "User.UserId",
    "Attributes.Ride",
    "Attributes.Ride",
    "User.UserAttributes.tier",
    "Location.Country",
    "Metrics.m",
    "FirstName",
    "address",
    "Note",
]
CELL = st.one_of(
    st.sampled_from(
        [
            "SMS",
            "EMAIL",
            "VOICE",
            "+12025550191",
            "(202) 555-0191",
            "12345",
            "a@example.com",
            "ALL",
            "",
            " ",
            "3.5",
            "x",
            "e1",
        ]
    ),
    st.text(alphabet='ab ,"\n\r\t;\u00e9\u2028', max_size=8),  # quoted commas, quotes, line breaks, non-ASCII
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=6),
)


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    width = len(header)
    rows = draw(
        st.lists(
            st.one_of(
                st.lists(CELL, min_size=width, max_size=width),  # well-formed
                st.lists(CELL, min_size=0, max_size=width + 2),  # wrong cell counts (and blank records)
            ),
            max_size=14,
        )
    )
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(header)
    pieces = [buffer.getvalue()]
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        pieces.append(buffer.getvalue())
        pieces.append(draw(st.sampled_from(["", "", "", terminator, "\n", "\r\n" * 2])))  # blank lines
    pieces.insert(1, draw(st.sampled_from(["", terminator])))  # blank line(s) after the header
    text = "".join(pieces)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last record
    bom = draw(st.booleans())
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


JSON_LINE = st.one_of(
    st.fixed_dictionaries(
        {
            "ChannelType": st.sampled_from(["SMS", "EMAIL", "FAX"]),
            "Address": st.sampled_from(["+12025550191", "202-555-0191", "bad", "a@example.com"]),
        },
        optional={"Attributes": st.just({"Ride": ["Bus"]}), "Id": st.just("e1")},
    ).map(json.dumps),
    st.sampled_from(["", "   ", "\t", "{not json", "[1]", "null", '{"Id": "x\\ny"}', "\u00a0", "{}"]),
)


@st.composite
def ndjson_files(draw) -> bytes:
    lines = draw(st.lists(JSON_LINE, min_size=1, max_size=14))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    text = terminator.join(lines) + draw(st.sampled_from(["", terminator]))
    if not text.strip():
        text = "{}" + text
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")


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
    from pinpoint_runtime.audience.endpoint_import import _Opened, _Planner

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


# ----------------------------------------------------------------------------------------------- counting path
# validate_file counts CSV rows in batches (pinpoint_runtime.audience.endpoint_import._CsvCounter) without building
# items:
# it must accept and reject exactly like the full path (iter_endpoints), with the same reasons, lines and rows.

COUNT_HEADERS = [
    "ChannelType",
    "Address",
    "Id",
    "OptOut",
    "RequestId",
    "EffectiveDate",
    "User.UserId",
    "Demographic.Platform",
    "Location.Country",
    "Location.Latitude",
    "Metrics.score",
    "Attributes.x",
    "Attributes.x",
    "User.UserAttributes.t",
    "FirstName",
    "A" * 51,
    "address",
]
PHONES = st.one_of(
    st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True),  # E.164 +1
    st.from_regex(r"\(?[2-9][0-9]{2}\)? ?[2-9][0-9]{2}[-. ][0-9]{4}", fullmatch=True),  # national spellings
    st.from_regex(r"1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True),
    st.from_regex(r"\+44 ?[1-9][0-9]{8,9}", fullmatch=True),
    st.from_regex(r"0[1-9][0-9]{9}", fullmatch=True),  # UK national
    st.sampled_from(
        [
            "+12025550191",
            "(202) 555-0191",
            "12345",
            "+1555",
            "n/a",
            "+44 20 7946 09",
            "+1 202 555 0191",
            "+3902123456",
            "+120255501910",
            "2025550191\n",
            "\uff12025550191",
            "+1202555019\u0661",
        ]
    ),
)
EMAILS = st.one_of(
    st.from_regex(r"[a-z]{1,5}@[a-z]{1,5}\.(com|co|io)", fullmatch=True),
    st.sampled_from(
        [
            "a@b.co",
            "-a@b.co",
            "a@-b.co",
            "a.example.com",
            "a@b",
            "a b@c.de",
            "\u00e9@b.co",
            "a@b.co\n",
            "x" * 65 + "@b.co",
            "a@@b.co",
            "A@B.CO",
        ]
    ),
)
COUNT_CELL = st.one_of(
    st.just(""),
    PHONES,
    EMAILS,
    st.sampled_from(
        [
            "SMS",
            "EMAIL",
            "VOICE",
            "PUSH",
            "GCM",
            "sms",
            "ALL",
            "NONE",
            "a#b",
            " ",
            "nan",
            "inf",
            "1e300",
            "1e-200",
            "-91",
            "45.5",
            "0",
            "-0.0",
            "3",
            "e1",
            "u1",
            "2024-01-01T00:00:00Z",
        ]
    ),
    st.text(alphabet='ab ,"\n\r-', max_size=6),
    st.text(alphabet="x", min_size=99, max_size=102),
    st.text(alphabet="y", min_size=1023, max_size=1026),
)


GOOD_CELLS = {
    "ChannelType": st.sampled_from(["SMS", "SMS", "EMAIL", "VOICE", "", "PUSH"]),
    "Address": st.one_of(PHONES, PHONES, EMAILS, st.just("")),
    "Id": st.sampled_from(["", "", "e1", "e2"]),
    "OptOut": st.sampled_from(["", "ALL", "NONE"]),
    "Location.Latitude": st.sampled_from(["", "45.5", "-12", "0"]),
    "Metrics.score": st.sampled_from(["", "1", "2.5", "-0.0", "1e5"]),
    "EffectiveDate": st.sampled_from(["", "", "", "2024-01-01T00:00:00Z"]),
    "A" * 51: st.sampled_from(["", "", "", "v"]),
}
DEFAULT_GOOD = st.sampled_from(["", "x", "u1", "iOS", "US", "Bus"])


def _cell(name: str) -> st.SearchStrategy:
    good = GOOD_CELLS.get(name, DEFAULT_GOOD)
    return st.integers(0, 9).flatmap(lambda n: COUNT_CELL if n == 0 else good)


@st.composite
def count_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(COUNT_HEADERS), min_size=0, max_size=5))
    if draw(st.integers(0, 4)):  # usually one ChannelType and one Address (repeated ones take the per-row path)
        header = ["ChannelType", "Address", *(h for h in header if h not in ("ChannelType", "Address"))]
    if not header:
        header = ["Address"]
    width = len(header)
    row_strategy = st.tuples(*[_cell(name) for name in header]).map(list)
    rows = draw(
        st.lists(
            st.integers(0, 7).flatmap(
                lambda n: st.lists(COUNT_CELL, min_size=0, max_size=width + 1) if n == 0 else row_strategy
            ),
            max_size=30,
        )
    )
    if draw(st.booleans()) and rows:  # repeat rows, as re-imports and duplicated numbers do
        rows = rows + draw(st.lists(st.sampled_from(rows), max_size=10))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if draw(st.integers(0, 9)) == 0:
            buffer.write(terminator)  # blank line
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + buffer.getvalue().encode("utf-8")


def _full_path_summary(data: bytes, country: str):
    from pinpoint_runtime.audience.endpoint_import import ImportSummary, RejectsWriter, add_result

    out = io.StringIO()
    writer = RejectsWriter(out)
    summary = ImportSummary()
    for result in iter_endpoints(io.BytesIO(data), default_country=country):
        add_result(summary, result)
        if not isinstance(result, dict):
            writer.write(result)
    return [summary, out.getvalue()]


class _Settings:
    """Temporarily small batches and outcome cache, so batch edges and cache clearing are exercised."""

    def __init__(self, batch: int, cache: int) -> None:
        from pinpoint_runtime.audience import endpoint_import

        self.module, self.values = endpoint_import, {"_BATCH_ROWS": batch, "_OUTCOME_CACHE": cache}

    def __enter__(self) -> None:
        self.saved = {name: getattr(self.module, name) for name in self.values}
        for name, value in self.values.items():
            setattr(self.module, name, value)

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved.items():
            setattr(self.module, name, value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(count_files(), st.sampled_from(["US", "GB", "CA", "IT"]), st.integers(1, 9), st.integers(1, 40))
def test_counting_path_equals_full_path(data, country, batch, cache):
    expected = _outcome(_full_path_summary, data, country)
    out = io.StringIO()
    with _Settings(batch, cache):
        got = _outcome(validate_file, io.BytesIO(data), default_country=country, rejects=out)
    if isinstance(expected, tuple) or isinstance(got, tuple):
        assert got == expected
        return
    summary, rejects_text = expected
    assert (got.rows, got.valid, got.rejected) == (summary.rows, summary.valid, summary.rejected)
    assert got.channels == summary.channels and got.by_reason == summary.by_reason
    assert out.getvalue() == rejects_text  # same lines, fields, reasons and masked rows, in order


def test_counting_path_default_batches_on_a_larger_file():
    lines = ["ChannelType,Address,Id,Metrics.m,Attributes.Note"]
    for i in range(9000):
        kind = i % 9
        if kind == 0:
            lines.append(f"SMS,+1202555{i % 10000:04d},,{i},x")
        elif kind == 1:
            lines.append(f'SMS,(202) 555-{i % 10000:04d},,,"a\nb"')
        elif kind == 2:
            lines.append(f"EMAIL,user{i}@example.com,,nan,")
        elif kind == 3:
            lines.append(f"EMAIL,user{i}.example.com,,,")
        elif kind == 4:
            lines.append(f"SMS,n/a,,,{'z' * 101}")
        elif kind == 5:
            lines.append(f",,e{i},,")
        elif kind == 6:
            lines.append("")
        elif kind == 7:
            lines.append(f"VOICE,+44 20 7946 0{i % 1000:03d},,,")
        else:
            lines.append("SMS,+12025550191")
    data = ("\n".join(lines) + "\n").encode()
    summary, rejects_text = _full_path_summary(data, "US")
    out = io.StringIO()
    got = validate_file(io.BytesIO(data), rejects=out)
    assert (got.rows, got.valid, got.rejected, got.channels, got.by_reason) == (
        summary.rows,
        summary.valid,
        summary.rejected,
        summary.channels,
        summary.by_reason,
    )
    assert out.getvalue() == rejects_text


FAST_PHONE_TEXT = st.one_of(
    PHONES,
    st.from_regex(r"\+[1-9][0-9]{6,15}", fullmatch=True),
    st.from_regex(r"\+44[1-9][0-9]{8,10}", fullmatch=True),
    st.from_regex(r"\+1[0-9]{9,11}", fullmatch=True),
    st.from_regex(r"[ ()\-.1]{0,3}[0-9 ()\-.]{8,14}", fullmatch=True),
    st.text(alphabet="0123456789+()- .\n", max_size=16),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(FAST_PHONE_TEXT, min_size=1, max_size=8), st.sampled_from(["US", "GB", "CA", "DE"]))
def test_fast_phone_patterns_imply_phone_accepts(texts, country):
    from pinpoint_runtime.audience.endpoint_import import _fast_phone_patterns, _lines_pattern
    from pinpoint_runtime.phone import NANPA_PUNCTUATION, _e164_or_problem, country_code

    nanpa = country_code(country) == 1
    e164, national = _fast_phone_patterns(country, nanpa)
    assert (national is not None) == nanpa
    for text in texts:
        if e164.fullmatch(text):
            assert _e164_or_problem(text, country, nanpa) == (text, "")
        if national is not None and national.fullmatch(text.translate(NANPA_PUNCTUATION)):
            assert _e164_or_problem(text, country, nanpa)[0] is not None
    plain = [t for t in texts if "\n" not in t]
    for pattern in (e164, national):
        if pattern is not None and plain:
            found = set(_lines_pattern(pattern.pattern).findall("\n".join(plain)))
            assert {t for t in plain if pattern.fullmatch(t)} == found & set(plain)


@settings(max_examples=500, deadline=None)
@given(st.lists(EMAILS | st.text(alphabet="ab.-@ _\t", max_size=10), min_size=1, max_size=8))
def test_email_lines_pattern_equals_fast_check(texts):
    from pinpoint_runtime.audience.endpoint_import import _EMAIL_FAST, _EMAIL_FAST_LINES

    plain = [t for t in texts if "\n" not in t and t.isascii()]
    if plain:
        found = set(_EMAIL_FAST_LINES.findall("\n".join(plain)))
        assert {t for t in plain if _EMAIL_FAST.fullmatch(t)} == found & set(plain)


def test_parallel_byte_ranges_equal_serial(tmp_path):
    from pinpoint_runtime.audience.endpoint_import import validate_file_parallel

    path = tmp_path / "many.csv"
    lines = ["\ufeffChannelType,Address,Attributes.Note"]
    for i in range(3000):
        lines.append(f'SMS,+1202555{i % 10000:04d},"n\r\n{i}"' if i % 7 else f"SMS,bad{i},x")
        if i % 11 == 0:
            lines.append("")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    serial_rejects, parallel_rejects = tmp_path / "s.csv", tmp_path / "p.csv"
    serial = validate_file(path, rejects=serial_rejects)
    parallel = validate_file_parallel(path, workers=2, rejects=parallel_rejects, chunk_rows=250)
    assert parallel == serial and serial.rows == 3000
    assert parallel_rejects.read_text() == serial_rejects.read_text()


def test_mask_row_masks_personal_fields_at_any_depth():
    from pinpoint_runtime.audience.endpoint_import import mask_row

    item = {
        "Id": "e1",
        "ChannelType": "SMS",
        "Address": "+12025550191",
        "User": {"UserId": "u1"},
        "Attributes": {"FirstName": ["Ann"], "Ride": ["Bus"]},
    }
    assert mask_row(item) == {
        "Id": "e1",
        "ChannelType": "SMS",
        "Address": "***",
        "User": {"UserId": "***"},
        "Attributes": {"FirstName": "***", "Ride": ["Bus"]},
    }
    assert item["Address"] == "+12025550191"  # a copy


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(
        [
            ("metric", "score"),
            ("locnum", "Latitude"),
            ("locnum", "Longitude"),
            ("user_id", None),
            ("id", None),
            ("address", None),
        ]
    ),
    st.lists(
        st.one_of(
            st.just(""),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(
                [
                    "1e-131",
                    "1e-130",
                    "-1e-130",
                    "9.9e125",
                    "-9.9e125",
                    "9.8e125",
                    "90",
                    "-90.0",
                    "180",
                    "180.0001",
                    "-0",
                    "0.0",
                    " 1 ",
                    "1_0",
                    "nan",
                    "-inf",
                    " ",
                    "\u3000",
                    "a#b",
                    "x" * 1025,
                    "x" * 1024,
                    "\t",
                ]
            ),
            st.text(max_size=4),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_column_checks_equal_per_cell_checks(code_key, cells):
    """Each whole-column check of the counting path flags exactly the cells _fast rejects."""
    from pinpoint_runtime.audience import endpoint_import as ei

    kind, key = code_key
    code = {
        "metric": ei._C_METRIC,
        "locnum": ei._C_LOCNUM,
        "user_id": ei._C_USER_ID,
        "id": ei._C_ID,
        "address": ei._C_ADDRESS,
    }[kind]
    if code == ei._C_ADDRESS:  # handled in _CsvCounter.count: the column test there is any(map(str.isspace, ...))
        assert any(map(str.isspace, cells)) == any(value and not value.strip() for value in cells)
        return
    bad = ei._column_bad(code, key, tuple(cells))
    for index, value in enumerate(cells):
        if code in (ei._C_METRIC, ei._C_LOCNUM):
            expected = bool(value) and not ei._number_ok(value, code, key)
        else:  # Id / User.UserId
            expected = bool(value) and (len(value) > 1024 or "#" in value or not value.strip())
        assert (index in bad) == expected, (value, bad)


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_shares_chunks_between_this_process_and_workers(tmp_path, workers):
    from pinpoint_runtime.audience import endpoint_import as ei

    path = tmp_path / "share.csv"
    rows = [f'SMS,+1202555{i % 10000:04d},"{i}\nx"' if i % 5 else f"EMAIL,bad{i},y" for i in range(6000)]
    path.write_text("ChannelType,Address,Attributes.Note\n" + "\n".join(rows) + "\n\n\n")
    serial_rejects, parallel_rejects = tmp_path / "s.csv", tmp_path / "p.csv"
    serial = validate_file(path, rejects=serial_rejects)
    counted_here = []
    original = ei._CsvCounter.count

    def count(self, starts, records, summary, rejects):
        counted_here.append(len(records))
        return original(self, starts, records, summary, rejects)

    ei._CsvCounter.count = count
    try:
        parallel = ei.validate_file_parallel(path, workers=workers, rejects=parallel_rejects, chunk_rows=100)
    finally:
        ei._CsvCounter.count = original
    assert parallel == serial and serial.rows == 6000 and serial.rejected == 1200
    assert parallel_rejects.read_text() == serial_rejects.read_text()
    assert 0 < sum(counted_here) < 6000  # some chunks validated here, the others by the workers


def test_parallel_json_and_stream_sources(tmp_path):
    from pinpoint_runtime.audience.endpoint_import import validate_file_parallel

    path = tmp_path / "drop.ndjson"
    lines = [json.dumps({"ChannelType": "SMS", "Address": f"+1202555{i:04d}"}) if i % 3 else "{bad" for i in range(900)]
    path.write_text("\n".join(lines) + "\n")
    assert validate_file_parallel(path, workers=2, chunk_rows=50) == validate_file(path)
    data = path.read_bytes()
    assert validate_file_parallel(io.BytesIO(data), workers=2, file_format="JSON") == validate_file(path)
