"""The import functions' settings (pinpoint_runtime.audience.import_settings)."""

from __future__ import annotations

import pytest

from pinpoint_runtime.audience.import_settings import ImportSettings


def test_settings_from_the_environment():
    settings_ = ImportSettings.from_environment(
        {
            "IMPORT_RESULTS_BUCKET": "b",
            "IMPORT_RESULTS_PREFIX": "r",
            "IMPORT_PHONE_LINE_TYPES": "mobile, VOIP",
            "IMPORT_DEFINE_SEGMENT": "true",
            "IMPORT_STRIP_PII_FROM_REJECTS": "false",
            "IMPORT_ROWS_PER_CHUNK": "500",
        }
    )
    assert settings_.results_prefix == "r/" and settings_.line_types == {"MOBILE", "VOIP"}
    assert settings_.define_segment and not settings_.strip_pii_from_rejects and settings_.rows_per_chunk == 500
    assert (
        ImportSettings.from_environment({"IMPORT_RESULTS_BUCKET": "b", "IMPORT_PHONE_LINE_TYPES": "*"}).line_types
        == frozenset()
    )
    assert ImportSettings.from_environment({"IMPORT_RESULTS_BUCKET": "b"}).line_types is None
    with pytest.raises(RuntimeError, match="IMPORT_RESULTS_BUCKET"):
        ImportSettings.from_environment({})


def test_settings_write_what_the_construct_always_wrote():
    from pinpoint_runtime.audience.import_settings import PhoneLineType, encode_line_types

    assert [encode_line_types(None), encode_line_types([]), encode_line_types(["MOBILE", "VOIP"])] == [
        "",
        "*",
        "MOBILE,VOIP",
    ]
    written = ImportSettings(results_bucket="b", phone_line_types="", rows_per_chunk=500).to_environment()
    assert written == {
        "IMPORT_RESULTS_BUCKET": "b",
        "IMPORT_RESULTS_PREFIX": "import-results/",
        "IMPORT_WORK_PREFIX": "import-work/",
        "IMPORT_APPLICATION_ID": "default",
        "IMPORT_DEFAULT_COUNTRY": "US",
        "IMPORT_STRIP_PII_FROM_REJECTS": "true",
        "IMPORT_ROWS_PER_CHUNK": "500",
        "IMPORT_DEFINE_SEGMENT": "false",
        "IMPORT_PHONE_LINE_TYPES": "",  # written even when empty (no lookups), as the construct always did
    }
    assert ImportSettings.from_environment(written).line_types is None
    assert ImportSettings.from_environment({**written, "IMPORT_PHONE_LINE_TYPES": "*"}).line_types == frozenset()
    assert {t.value for t in PhoneLineType} == {"MOBILE", "LANDLINE", "VOIP", "PREPAID", "OTHER", "INVALID"}
