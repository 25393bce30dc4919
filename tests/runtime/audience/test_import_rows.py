"""Row conversion (pinpoint_runtime.audience.import_rows): the store's validation rules, phones, emails, JSON lines,
masking; the fast per-column path equals the reference path."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pinpoint_runtime.audience.endpoint_request import EndpointValidationError, normalise_address
from pinpoint_runtime.audience.import_reader import iter_endpoints
from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.phone import e164_or_problem, main_region_valid
from tests.support.import_files import (
    FAST_CELL,
    FAST_HEADERS,
    PHONE_TEXT,
    _bytes,
    _items,
)


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


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(FAST_HEADERS), min_size=1, max_size=8, unique=False).flatmap(
        lambda header: st.tuples(
            st.just(header), st.lists(st.lists(FAST_CELL, min_size=len(header), max_size=len(header)), max_size=5)
        )
    )
)
def test_fast_csv_path_matches_store_validation(case):
    from pinpoint_runtime.audience.import_header import compile_header
    from pinpoint_runtime.audience.import_rows import _Converter

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
    from pinpoint_runtime.audience.endpoint_request import _looks_like_email
    from pinpoint_runtime.audience.import_rows import _EMAIL_FAST

    if address.isascii():
        assert bool(_EMAIL_FAST.fullmatch(address)) == _looks_like_email(address)


def test_mask_row_masks_personal_fields_at_any_depth():
    from pinpoint_runtime.audience.import_rows import mask_row

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
