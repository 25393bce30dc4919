"""validate_file (pinpoint_runtime.audience.import_fast_check) counts CSV rows in batches (_CsvCounter) without building
items: it must accept and reject exactly like the full path (iter_endpoints), with the same reasons, lines and rows."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.import_fast_check import validate_file
from tests.support.import_files import (
    DATA,
    EMAILS,
    FAST_PHONE_TEXT,
    _bytes,
    _full_path_summary,
    _outcome,
    _Settings,
    count_files,
)


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


@settings(max_examples=1000, deadline=None)
@given(st.lists(FAST_PHONE_TEXT, min_size=1, max_size=8), st.sampled_from(["US", "GB", "CA", "DE"]))
def test_fast_phone_patterns_imply_phone_accepts(texts, country):
    from pinpoint_runtime.audience.import_fast_check import _fast_phone_patterns, _lines_pattern
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
    from pinpoint_runtime.audience.import_fast_check import _EMAIL_FAST_LINES
    from pinpoint_runtime.audience.import_rows import _EMAIL_FAST

    plain = [t for t in texts if "\n" not in t and t.isascii()]
    if plain:
        found = set(_EMAIL_FAST_LINES.findall("\n".join(plain)))
        assert {t for t in plain if _EMAIL_FAST.fullmatch(t)} == found & set(plain)


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
    from pinpoint_runtime.audience import import_fast_check as ei
    from pinpoint_runtime.audience import import_rows as rows

    kind, key = code_key
    code = {
        "metric": rows._C_METRIC,
        "locnum": rows._C_LOCNUM,
        "user_id": rows._C_USER_ID,
        "id": rows._C_ID,
        "address": rows._C_ADDRESS,
    }[kind]
    if code == rows._C_ADDRESS:  # handled in _CsvCounter.count: the column test there is any(map(str.isspace, ...))
        assert any(map(str.isspace, cells)) == any(value and not value.strip() for value in cells)
        return
    bad = ei._column_bad(code, key, tuple(cells))
    for index, value in enumerate(cells):
        if code in (rows._C_METRIC, rows._C_LOCNUM):
            expected = bool(value) and not ei._number_ok(value, code, key)
        else:  # Id / User.UserId
            expected = bool(value) and (len(value) > 1024 or "#" in value or not value.strip())
        assert (index in bad) == expected, (value, bad)
