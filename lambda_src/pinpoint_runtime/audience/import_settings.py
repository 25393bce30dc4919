"""The settings of the import functions, written by ``pinpoint_constructs.S3TriggeredImport``.

:class:`ImportSettings` is what the planner, the range writer and the reporter read (the construct writes the
same settings on the three); :class:`ImportStarterSettings` is what the starter reads.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pinpoint_runtime.core.environment import FunctionSettings, variable


class PhoneLineType(enum.StrEnum):
    """The ``PhoneType`` values of the End User Messaging ``PhoneNumberValidate`` API."""

    MOBILE = "MOBILE"
    LANDLINE = "LANDLINE"
    VOIP = "VOIP"
    PREPAID = "PREPAID"
    OTHER = "OTHER"
    INVALID = "INVALID"


LINE_TYPES = frozenset(PhoneLineType)
#: What ``IMPORT_PHONE_LINE_TYPES`` holds to look numbers up and reject only INVALID ones.
ALL_LINE_TYPES = "*"


def encode_line_types(phone_line_types: Sequence[str] | None) -> str:
    """The ``IMPORT_PHONE_LINE_TYPES`` text of the construct's ``phone_line_types``: ``""`` (no lookups) for
    None, ``"*"`` (look up, reject only INVALID) for ``[]``, else the allowed types joined with commas."""
    if phone_line_types is None:
        return ""
    return ",".join(phone_line_types) if phone_line_types else ALL_LINE_TYPES


def _prefix(value: str) -> str:
    return value if not value or value.endswith("/") else value + "/"


@dataclass(frozen=True, kw_only=True)
class ImportSettings(FunctionSettings):
    """What the construct configures on the planner, range writer and reporter functions."""

    construct: ClassVar[str] = "S3TriggeredImport"
    results_bucket: str = variable("IMPORT_RESULTS_BUCKET", doc="the import bucket (results and work parts)")
    results_prefix: str = variable(
        "IMPORT_RESULTS_PREFIX", default="import-results/", doc="key prefix of summary.json, rejects.csv"
    )
    work_prefix: str = variable("IMPORT_WORK_PREFIX", default="import-work/", doc="key prefix of per-range parts")
    topic_arn: str | None = variable("IMPORT_TOPIC_ARN", default=None, doc="the notification topic")
    application_id: str = variable("IMPORT_APPLICATION_ID", default="default", doc="the Pinpoint application id")
    default_country: str = variable(
        "IMPORT_DEFAULT_COUNTRY", default="US", doc="country of phone numbers without a country code"
    )
    strip_pii_from_rejects: bool = variable(
        "IMPORT_STRIP_PII_FROM_REJECTS", default=True, doc="mask personal columns in rejects.csv"
    )
    rows_per_chunk: int = variable("IMPORT_ROWS_PER_CHUNK", default=2000, doc="records per Distributed Map item")
    define_segment: bool = variable("IMPORT_DEFINE_SEGMENT", default=False, doc="make the import a static segment")
    phone_line_types: str = variable(
        "IMPORT_PHONE_LINE_TYPES",
        default="",
        empty_is_unset=False,
        doc='PhoneNumberValidate lookups: "" none, "*" reject only INVALID, else the allowed types (commas)',
    )
    segment_name: str | None = variable("IMPORT_SEGMENT_NAME", default=None, doc="the segment's name")

    def __post_init__(self) -> None:
        object.__setattr__(self, "results_prefix", _prefix(self.results_prefix))
        object.__setattr__(self, "work_prefix", _prefix(self.work_prefix))

    @property
    def line_types(self) -> frozenset[str] | None:
        """None: no lookups; empty: look up, reject only INVALID; else the line types allowed."""
        raw = self.phone_line_types
        if not raw:
            return None
        if raw == ALL_LINE_TYPES:
            return frozenset()
        return frozenset(part.strip().upper() for part in raw.split(",") if part.strip())

    def results_key(self, import_id: str, name: str) -> str:
        return f"{self.results_prefix}{import_id}/{name}"

    def work_key(self, import_id: str, name: str) -> str:
        return f"{self.work_prefix}{import_id}/{name}"


@dataclass(frozen=True, kw_only=True)
class ImportStarterSettings(FunctionSettings):
    """What the construct configures on the starter function."""

    construct: ClassVar[str] = "S3TriggeredImport"
    state_machine_arn: str = variable("IMPORT_STATE_MACHINE_ARN", doc="the import workflow")
