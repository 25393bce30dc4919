"""A whole import file as endpoints: :func:`iter_endpoints` (open, check, header, then each row converted)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from pinpoint_runtime.audience.import_file import (
    ImportFormat,
    Source,
    _Opened,
    _read_header,
    _reader_records,
    _text_lines,
)
from pinpoint_runtime.audience.import_header import compile_header
from pinpoint_runtime.audience.import_rows import Rejected, _Converter


class _Reader(_Opened):
    """Opens a source, checks it, and yields raw records plus a converter that validates them."""

    def __init__(self, source: Source, default_country: str, strip_pii: bool, file_format: str | None) -> None:
        super().__init__(source, file_format)
        try:
            self.text = _text_lines(self.stream)
            self.warnings: list[str] = []
            if self.format == ImportFormat.CSV:
                self.csv_reader = csv.reader(self.text)
                columns, self.warnings = compile_header(_read_header(self.csv_reader))
                self.header_end = self.csv_reader.line_num
                self.records: Iterator = _reader_records(self.csv_reader, 0, self.header_end)
                self.converter = _Converter(columns, default_country, strip_pii)
            else:
                self.records = enumerate(self.text, 1)
                self.converter = _Converter(None, default_country, strip_pii)
        except BaseException:
            self.close()
            raise

    def convert(self, line: int, record: Any) -> dict | Rejected | None:
        if self.format == ImportFormat.CSV:
            return self.converter.csv_row(line, record)
        return self.converter.json_row(line, record)


def iter_endpoints(
    source: Source,
    *,
    default_country: str = "US",
    strip_pii_from_rejects: bool = True,
    file_format: str | None = None,
) -> Iterator[dict | Rejected]:
    """Yields each valid EndpointBatchItem (a dict with ``Id``) and each :class:`Rejected`, in file order.
    Raises :class:`ImportFileError` (before or while yielding) when the file is unusable."""
    reader = _Reader(source, default_country, strip_pii_from_rejects, file_format)
    try:
        for line, record in reader.records:
            result = reader.convert(line, record)
            if result is not None:
                yield result
    finally:
        reader.close()
