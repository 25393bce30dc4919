"""Strategies and helpers shared by the import-validation tests (tests/runtime/audience/test_import_*.py)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from hypothesis import strategies as st

from pinpoint_runtime.audience.import_fast_check import validate_file
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_plan import ImportPlan, iter_chunk_endpoints, plan_import
from pinpoint_runtime.audience.import_reader import iter_endpoints
from tests.conftest import REPO, TEST_DATA

DATA = TEST_DATA / "imports"
ROOT = REPO


def _bytes(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def _items(data: bytes | str, **kw) -> list:
    raw = data.encode() if isinstance(data, str) else data
    return list(iter_endpoints(io.BytesIO(raw), **kw))


PHONE_TEXT = st.one_of(
    st.text(alphabet="0123456789+()- .x", max_size=20),
    st.from_regex(r"\+?1?[2-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
)


TEXT_CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pinpoint_constructs.cli", "validate-import", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


# --------------------------------------------------------------------------------- fast paths == reference path

FAST_HEADERS = [
    "Id",
    "ChannelType",
    "Address",
    "OptOut",
    "RequestId",
    "EffectiveDate",
    "User.UserId",
    "Demographic.Platform",
    "Location.Country",
    "Location.Latitude",
    "Location.Longitude",
    "Metrics.score",
    "Attributes.x",
    "Attributes.x",
    "User.UserAttributes.t",
    "FirstName",
    "A" * 51,
]
FAST_CELL = st.one_of(
    st.just(""),
    TEXT_CELL,
    PHONE_TEXT,
    st.sampled_from(
        [
            "SMS",
            "EMAIL",
            "VOICE",
            "ALL",
            "NONE",
            "a#b",
            " ",
            "nan",
            "1e300",
            "1e-200",
            "-91",
            "45.5",
            "inf",
            "a@b.co",
            "-a@b.co",
        ]
    ),
    st.text(alphabet="ab@.- \t", max_size=12),
    st.text(alphabet="x", min_size=99, max_size=102),
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


# ----------------------------------------------------------------------------------------------- counting path
# validate_file counts CSV rows in batches (pinpoint_runtime.audience.import_fast_check._CsvCounter) without building
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
    from pinpoint_runtime.audience.import_summary import ImportSummary, RejectsWriter, add_result

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
        from pinpoint_runtime.audience import import_fast_check

        self.module, self.values = import_fast_check, {"_BATCH_ROWS": batch, "_OUTCOME_CACHE": cache}

    def __enter__(self) -> None:
        self.saved = {name: getattr(self.module, name) for name in self.values}
        for name, value in self.values.items():
            setattr(self.module, name, value)

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved.items():
            setattr(self.module, name, value)


FAST_PHONE_TEXT = st.one_of(
    PHONES,
    st.from_regex(r"\+[1-9][0-9]{6,15}", fullmatch=True),
    st.from_regex(r"\+44[1-9][0-9]{8,10}", fullmatch=True),
    st.from_regex(r"\+1[0-9]{9,11}", fullmatch=True),
    st.from_regex(r"[ ()\-.1]{0,3}[0-9 ()\-.]{8,14}", fullmatch=True),
    st.text(alphabet="0123456789+()- .\n", max_size=16),
)
