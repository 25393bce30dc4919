"""Streaming import validation (pinpoint_runtime.audience.endpoint_import) and the validate-import CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.endpoint_import import (
    ImportFileError,
    Rejected,
    iter_endpoints,
    validate_file,
)
from pinpoint_runtime.audience.store import EndpointValidationError, normalise_address
from pinpoint_runtime.phone import e164_or_problem, main_region_valid
from tests.conftest import REPO, TEST_DATA

DATA = TEST_DATA / "imports"
ROOT = REPO


def _bytes(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def _items(data: bytes | str, **kw) -> list:
    raw = data.encode() if isinstance(data, str) else data
    return list(iter_endpoints(io.BytesIO(raw), **kw))


def test_reference_sample_imports_normalised():
    items = list(iter_endpoints(DATA / "sample_data_S3_triggered_import.csv"))
    assert [i["Address"] for i in items] == [
        "+14256791901",
        "+12025550191",
        "+16055550198",
        "+14256791901",
        "+351282435050",
    ]
    assert items[0]["Attributes"] == {"FirstName": ["John"], "LastName": ["Smith"], "Timezone": ["CST"]}
    # the two rows with 14256791901 are the same endpoint (deterministic id): the second updates the first
    assert items[0]["Id"] == items[3]["Id"] and items[0]["Id"].startswith("imp-")
    assert len({i["Id"] for i in items}) == 4
    summary = validate_file(DATA / "sample_data_S3_triggered_import.csv")
    assert (summary.rows, summary.valid, summary.rejected, dict(summary.channels)) == (5, 5, 0, {"SMS": 5})


def test_sms_drop_sample_is_rejected_with_reasons(tmp_path):
    # sample_file.csv is the SMS-drop format: no ChannelType/Address, two identical rows with placeholders
    rejects = tmp_path / "rejects.csv"
    summary = validate_file(DATA / "sample_file.csv", rejects=rejects)
    assert (summary.rows, summary.valid, summary.rejected) == (2, 0, 2)
    assert summary.by_reason == {"ChannelType: is required for a new endpoint (no Id)": 2}
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [r["line"] for r in rows] == ["2", "3"]
    row = json.loads(rows[0]["row"])
    assert row["sms_number"] == "***"  # PII masked
    assert "CUSTOMER_NUMBER" not in rejects.read_text()
    assert row["message"] == "Here is a long message, with a comma"


def test_rejects_keep_pii_when_asked(tmp_path):
    out = io.StringIO()
    validate_file(_bytes("ChannelType,Address\nSMS,12345\n"), rejects=out, strip_pii_from_rejects=False)
    assert "12345" in out.getvalue()
    out = io.StringIO()
    validate_file(_bytes("ChannelType,Address,FirstName\nSMS,12345,Ann\n"), rejects=out)
    text = out.getvalue()
    assert "12345" not in text and "Ann" not in text and "2,Address,is not a valid phone number" in text


def test_bom_crlf_quoted_newlines_and_commas():
    data = '\ufeffChannelType,Address,Attributes.Note\r\nSMS,+12025550191,"a, b\r\nc"\r\nEMAIL,a@example.com,x\r\n'
    items = _items(data)
    assert items[0]["Attributes"]["Note"] == ["a, b\r\nc"]
    assert items[0]["ChannelType"] == "SMS"  # BOM stripped from the first header
    assert isinstance(items[1], dict) and items[1]["Address"] == "a@example.com"


def test_line_numbers_count_quoted_line_breaks():
    data = 'ChannelType,Address,Attributes.N\nSMS,+12025550191,"x\ny"\nSMS,bad,z\n'
    reject = _items(data)[1]
    assert isinstance(reject, Rejected) and reject.line == 4 and reject.field == "Address"


def test_repeated_headers_dotted_and_unknown_columns():
    data = (
        "Id,Attributes.Ride,Attributes.Ride,Location.Country,Location.Latitude,Metrics.score,"
        "User.UserId,User.UserAttributes.tier,Demographic.Platform,Loyalty,address\n"
        "e1,Bus,Train,US,47.6,3.5,u1,gold,iOS,yes,somewhere\n"
    )
    (item,) = _items(data)
    assert item["Id"] == "e1"
    assert item["Attributes"] == {"Ride": ["Bus", "Train"], "Loyalty": ["yes"], "address": ["somewhere"]}
    assert item["Location"] == {"Country": "US", "Latitude": 47.6}
    assert item["Metrics"] == {"score": 3.5}
    assert item["User"] == {"UserId": "u1", "UserAttributes": {"tier": ["gold"]}}
    assert item["Demographic"] == {"Platform": "iOS"}
    assert "Address" not in item  # case-mismatched column is never the standard one
    summary = validate_file(_bytes(data))
    assert any("'address' is not the standard 'Address'" in w for w in summary.warnings)


def test_per_row_validation_reuses_store_rules():
    data = (
        "ChannelType,Address,OptOut,Metrics.m,Location.Latitude,Attributes.a\n"
        "SMS,+12025550191,MAYBE,,,\n"  # OptOut
        "FAX,123,,,,\n"  # ChannelType
        "EMAIL,not-an-email,,,,\n"
        "SMS,+12025550191,,abc,,\n"  # metric
        "SMS,+12025550191,,,95,\n"  # latitude range
        f"SMS,+12025550191,,,,{'x' * 101}\n"  # attribute value limit
        "SMS,+12025550191,ALL,1,,ok\n"
        "SMS,+12025550191,ALL\n"  # short row
    )
    results = _items(data)
    rejects = [(r.line, r.field, r.reason) for r in results if isinstance(r, Rejected)]
    assert [r[:2] for r in rejects] == [
        (2, "OptOut"),
        (3, "ChannelType"),
        (4, "Address"),
        (5, "Metrics.m"),
        (6, "Location.Latitude"),
        (7, "Attributes.a"),
        (9, "row"),
    ]
    assert "limit is 100" in rejects[5][2]
    valid = [r for r in results if isinstance(r, dict)]
    assert len(valid) == 1 and valid[0]["OptOut"] == "ALL" and valid[0]["Metrics"] == {"m": 1.0}


def test_default_country():
    assert _items("ChannelType,Address\nSMS,020 7946 0018\n", default_country="GB")[0]["Address"] == "+442079460018"
    assert isinstance(_items("ChannelType,Address\nSMS,020 7946 0018\n")[0], Rejected)


def test_ndjson():
    lines = [
        json.dumps({"ChannelType": "SMS", "Address": "(202) 555-0191", "Attributes": {"Ride": ["Bus"]}}),
        "",
        "{not json",
        json.dumps({"Id": "e9", "User": {"UserId": "u"}}),
        json.dumps([1]),
    ]
    results = list(iter_endpoints(_bytes("\n".join(lines) + "\n"), file_format="JSON"))
    assert results[0]["Address"] == "+12025550191" and results[0]["Id"].startswith("imp-")
    assert isinstance(results[1], Rejected) and results[1].line == 3 and "not valid JSON" in results[1].reason
    assert results[2]["Id"] == "e9"
    assert isinstance(results[3], Rejected) and results[3].line == 5


def test_ndjson_sniffed(tmp_path):
    path = tmp_path / "drop.txt"
    path.write_text(json.dumps({"ChannelType": "EMAIL", "Address": "a@example.com"}) + "\n")
    assert validate_file(path).valid == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\n\n", "no header"),
        (b"\x1f\x8b\x08\x00rest", "compressed"),
        (b"\x00\x01\x02binary", "binary"),
        ("ChannelType,Address\nSMS,+12025550191\nSMS,Jos\u00e9\n".encode("latin-1"), "not UTF-8"),
        (b"ChannelType,Location.Planet\nSMS,Mars\n", "unknown standard column"),
    ],
)
def test_malformed_files(content, message):
    with pytest.raises(ImportFileError, match=message):
        validate_file(io.BytesIO(content), file_format=None)


def test_latin1_error_names_line():
    content = ("ChannelType,Address\n" + "SMS,+12025550191\n" * 3 + "SMS,Jos\u00e9\n").encode("latin-1")
    with pytest.raises(ImportFileError, match=r"line 5"):
        validate_file(io.BytesIO(content))


def test_caller_stream_not_closed():
    stream = _bytes("ChannelType,Address\nSMS,+12025550191\n")
    validate_file(stream)
    assert not stream.closed


PHONE_TEXT = st.one_of(
    st.text(alphabet="0123456789+()- .x", max_size=20),
    st.from_regex(r"\+?1?[2-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(PHONE_TEXT, st.sampled_from(["US", "GB", "IT", "CA"]))
def test_fast_phone_path_matches_store(text, country):
    nanpa = country in ("US", "CA")
    try:
        expected = normalise_address("SMS", text, "Address", default_country=country)
    except EndpointValidationError:
        expected = None
    got, _problem = e164_or_problem(text, country, nanpa)
    assert got == expected
    if got is not None:
        assert got.startswith("+") and got[1:].isdigit()


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["SMS", "EMAIL", "VOICE", "sms", "", "PUSH"]), PHONE_TEXT | CELL, CELL), max_size=15
    )
)
def test_csv_rows_never_crash(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ChannelType", "Address", "Attributes.x"])
    writer.writerows(rows)
    results = _items(buffer.getvalue())
    summary = validate_file(_bytes(buffer.getvalue()))
    assert summary.valid + summary.rejected == summary.rows == len(results)
    for result in results:
        if isinstance(result, dict) and result.get("ChannelType") in ("SMS", "VOICE"):
            assert result["Address"].startswith("+") and result["Address"][1:].isdigit()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pinpoint_constructs.cli", "validate-import", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_summary_and_exit_codes(tmp_path):
    done = _cli(str(DATA / "sample_data_S3_triggered_import.csv"))
    assert done.returncode == 0 and "rows: 5" in done.stdout and "valid: 5" in done.stdout
    rejects = tmp_path / "r.csv"
    done = _cli(str(DATA / "sample_file.csv"), "--rejects", str(rejects), "--workers", "2")
    assert done.returncode == 0  # rejected rows do not make the exit code non-zero
    assert "rejected: 2" in done.stdout and "2 x ChannelType: is required" in done.stdout
    assert rejects.read_text().count("\n") == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x00\x00")
    done = _cli(str(bad))
    assert done.returncode == 1 and "binary" in done.stderr


def test_cli_parallel_matches_serial(tmp_path):
    path = tmp_path / "many.csv"
    lines = ["ChannelType,Address,Attributes.Note"]
    for i in range(12000):
        lines.append(f'SMS,+1202555{i % 10000:04d},"n\n{i}"' if i % 7 else f"SMS,bad{i},x")
    path.write_text("\n".join(lines) + "\n")
    serial = validate_file(path)
    rejects = tmp_path / "r.csv"
    done = _cli(str(path), "--workers", "2", "--rejects", str(rejects))
    assert done.returncode == 0
    assert f"rows: {serial.rows}" in done.stdout and f"rejected: {serial.rejected}" in done.stdout
    lines_out = [int(r["line"]) for r in csv.DictReader(rejects.open())]
    assert lines_out == sorted(lines_out) and len(lines_out) == serial.rejected


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
    CELL,
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


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(FAST_HEADERS), min_size=1, max_size=8, unique=False).flatmap(
        lambda header: st.tuples(
            st.just(header), st.lists(st.lists(FAST_CELL, min_size=len(header), max_size=len(header)), max_size=5)
        )
    )
)
def test_fast_csv_path_matches_store_validation(case):
    from pinpoint_runtime.audience.endpoint_import import _Converter, compile_header

    header, rows = case
    columns, _ = compile_header(header)
    converter = _Converter(columns, "US", True)
    for cells in rows:
        assert converter.csv_row(2, cells) == converter.csv_row_reference(2, cells)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([1, 44, 49, 33, 61, 91, 39, 7]), st.integers(min_value=10**5, max_value=10**12 - 1))
def test_main_region_shortcut_implies_phonenumbers_valid(cc, nsn):
    import phonenumbers

    number = phonenumbers.PhoneNumber(country_code=cc, national_number=nsn)
    if main_region_valid(cc, str(nsn)):
        assert phonenumbers.is_valid_number(number)


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True))
def test_main_region_shortcut_agrees_on_us_numbers(nsn):
    import phonenumbers

    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(nsn))
    if phonenumbers.region_code_for_number(number) in (None, "US"):
        assert main_region_valid(1, nsn) == phonenumbers.is_valid_number(number)


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
    | st.from_regex(r"-?[a-z]{0,3}-?@(-?[a-z]{0,3}-?\.){0,3}-?[a-z]{0,3}-?", fullmatch=True)
)
def test_email_fast_check_matches_store(address):
    from pinpoint_runtime.audience.endpoint_import import _EMAIL_FAST
    from pinpoint_runtime.audience.store import _looks_like_email

    if address.isascii():
        assert bool(_EMAIL_FAST.fullmatch(address)) == _looks_like_email(address)


def test_text_lines_blocks_and_decode_error_line():
    from pinpoint_runtime.audience.endpoint_import import _text_lines

    data = "\ufeffa,b\r\nx\ry\n" + "z" * 50 + "\nlast"
    assert list(_text_lines(io.BytesIO(data.encode()), block_size=7)) == ["a,b\r\n", "x\ry\n", "z" * 50 + "\n", "last"]
    lines = []
    with pytest.raises(ImportFileError, match="line 3"):
        for line in _text_lines(io.BytesIO(b"a\nb\nc\xff\nd\n"), block_size=1 << 10):
            lines.append(line)
    assert lines == ["a\n", "b\n"]
