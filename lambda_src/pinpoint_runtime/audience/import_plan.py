"""Splitting an import file for parallel work: :func:`plan_import` and :func:`iter_chunk_endpoints`.

:func:`plan_import` reads a file once (raising every file-level :class:`ImportFileError` first) and returns an
:class:`ImportPlan` of byte ranges cut at record boundaries found by the csv module itself (a quoted line break
never splits); :func:`iter_chunk_endpoints` turns the bytes of one range (e.g. an S3 ranged GET body) into exactly
what :func:`~pinpoint_runtime.audience.import_reader.iter_endpoints` yields for those records, same line numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinpoint_runtime.audience.import_file import (
    ImportFormat,
    Source,
    _csv_error,
    _csv_records,
    _decoded_blocks,
    _open_binary,
    _Opened,
    _read_header,
)
from pinpoint_runtime.audience.import_header import compile_header
from pinpoint_runtime.audience.import_rows import _Converter


@dataclass(frozen=True, slots=True)
class ImportChunk:
    """A byte range [start, end) of an import file holding whole records (never a split quoted line break)."""

    start: int  # byte offset of the chunk's first byte (after the header line / BOM for the first chunk)
    end: int  # byte offset (exclusive): just after the line end of the chunk's last record, or EOF
    first_line: int  # 1-based physical line number of the byte at ``start``
    rows: int  # non-blank records in the chunk


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The result of :func:`plan_import`: what each chunk reader needs (format, header) and the chunks."""

    format: ImportFormat
    header: list[str] | None  # CSV header cells as written (BOM stripped); None for JSON
    warnings: list[str]  # the warnings validate_file reports (case-mismatched standard columns)
    chunks: list[ImportChunk]  # file order, non-overlapping, covering every record; [] without records
    rows: int  # non-blank records after the header
    size: int  # bytes read

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "header": None if self.header is None else list(self.header),
            "warnings": list(self.warnings),
            "chunks": [
                {"start": c.start, "end": c.end, "first_line": c.first_line, "rows": c.rows} for c in self.chunks
            ],
            "rows": self.rows,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportPlan:
        header = data.get("header")
        return cls(
            format=ImportFormat.parse(data["format"]),
            header=None if header is None else list(header),
            warnings=list(data.get("warnings") or []),
            chunks=[
                ImportChunk(int(c["start"]), int(c["end"]), int(c["first_line"]), int(c["rows"]))
                for c in data["chunks"]
            ],
            rows=int(data["rows"]),
            size=int(data["size"]),
        )


_PLAN_SLICE = 256  # records per list while planning (bounds the planner's memory whatever rows_per_chunk is)


class _Planner:
    """One streaming pass over an opened source: the header (CSV), then :meth:`chunks` as they are found.
    Record boundaries come from the csv module's own parsing (``reader.line_num`` after each record, i.e. the
    physical lines the record used); a physical line's end byte is found in the current decoded block only,
    since the csv reader asks for the next block only after every record ending in this one was returned."""

    def __init__(self, opened: _Opened, rows_per_chunk: int, block_size: int = 1 << 18) -> None:
        if rows_per_chunk < 1:
            raise ValueError("rows_per_chunk must be at least 1")
        self.format = opened.format
        self.rows_per_chunk = rows_per_chunk
        self.rows = 0
        self.size = 0
        self.header: list[str] | None = None
        self.warnings: list[str] = []
        self._block: tuple[int, int, bytes] = (0, 0, b"")
        self._cursor = (0, 0)
        self._lines = itertools.chain.from_iterable(map(self._register, _decoded_blocks(opened.stream, block_size)))
        if self.format == ImportFormat.CSV:
            self._reader = reader = csv.reader(self._lines)
            self.header = _read_header(reader)
            _, self.warnings = compile_header(self.header)
            self._start_line = reader.line_num
            self._start = self._line_end(reader.line_num)
        else:
            self._start_line = 0
            self._start = len(codecs.BOM_UTF8) if opened.head.startswith(codecs.BOM_UTF8) else 0

    def _register(self, block: tuple[int, int, bytes, str]) -> io.StringIO:
        offset, lines_before, data, text = block
        self._block = (offset, lines_before, data)
        self._cursor = (0, 0)
        self.size = offset + len(data)
        return io.StringIO(text, newline="\n")

    def _line_end(self, line: int) -> int:
        """Byte offset just after physical line ``line`` (1-based), which is in the current block."""
        offset, lines_before, data = self._block
        wanted = line - lines_before
        done, position = self._cursor
        assert 0 <= done <= wanted
        if wanted - done > 64:  # halve the span with counts (one pass over the block) instead of a find per line
            low, high = position, len(data)
            while high - low > 2048:
                middle = (low + high) // 2
                seen = data.count(b"\n", low, middle)
                if done + seen >= wanted:
                    high = middle
                else:
                    low, done = middle, done + seen
            position = low
        find = data.find
        while done < wanted:
            newline = find(b"\n", position)
            if newline < 0:
                assert done == wanted - 1, "the line is not in the current block"
                return offset + len(data)  # the last line, without a line end
            position = newline + 1
            done += 1
        self._cursor = (done, position)
        return offset + position

    def chunks(self) -> Iterator[ImportChunk]:
        per_chunk = self.rows_per_chunk
        start, start_line = self._start, self._start_line
        count = 0
        if self.format == ImportFormat.CSV:
            # Records are taken in lists of at most the number still needed (C loops, no per-record Python): a
            # list can hold no record past the chunk's last one, so the chunk ends when a list completes it.
            reader, islice = self._reader, itertools.islice
            while True:
                want = min(per_chunk - count, _PLAN_SLICE)
                try:
                    records = list(islice(reader, want))
                except csv.Error as error:
                    raise _csv_error(error, reader.line_num) from None
                count += len(records) - records.count([])  # [] is a blank line
                if count == per_chunk:
                    line = reader.line_num
                    end = self._line_end(line)
                    self.rows += count
                    yield ImportChunk(start, end, start_line + 1, count)
                    start, start_line, count = end, line, 0
                if len(records) < want:
                    break
        else:
            for line, text in enumerate(self._lines, 1):
                if text.strip():  # what json_row skips
                    count += 1
                    if count == per_chunk:
                        end = self._line_end(line)
                        self.rows += count
                        yield ImportChunk(start, end, start_line + 1, count)
                        start, start_line, count = end, line, 0
        if count:
            self.rows += count
            yield ImportChunk(start, self.size, start_line + 1, count)


def plan_import(source: Source, *, rows_per_chunk: int = 5000, file_format: str | None = None) -> ImportPlan:
    """Split an import file into byte ranges of ``rows_per_chunk`` records each (the last may hold fewer), in one
    streaming pass, for workers that each read one range (e.g. S3 ranged GETs) with :func:`iter_chunk_endpoints`.
    Raises the :class:`ImportFileError` that :func:`validate_file` raises for an unusable file (empty, binary,
    compressed, not UTF-8, no or unusable header, CSV syntax error), before anything is imported.
    ``source``: a path or any object with ``read(n) -> bytes`` (a caller's stream is not closed)."""
    opened = _Opened(source, file_format)
    try:
        planner = _Planner(opened, rows_per_chunk)
        chunks = list(planner.chunks())
    finally:
        opened.close()
    return ImportPlan(planner.format, planner.header, planner.warnings, chunks, planner.rows, planner.size)


def iter_chunk_endpoints(
    source: Source,
    *,
    header: list[str] | None,
    file_format: str,
    first_line: int,
    default_country: str = "US",
    strip_pii_from_rejects: bool = True,
    numbered: bool = False,
) -> Iterator[Any]:
    """What :func:`iter_endpoints` yields for the records of one :class:`ImportChunk`: ``source`` holds the bytes
    [start, end) of the file (a path or any object with ``read(n) -> bytes``, e.g. an S3 ranged GET body);
    ``header`` and ``file_format`` come from the :class:`ImportPlan`, ``first_line`` from the chunk.
    ``numbered=True`` yields ``(line, result)`` pairs instead (the line where the record starts: what the
    importer needs to report a row the EndpointStore refuses later)."""
    converter = _chunk_converter(header, file_format, default_country, strip_pii_from_rejects)
    stream, _name, close = _open_binary(source)
    try:
        yield from _convert_chunk(converter, stream, file_format, first_line, numbered)
    finally:
        if close:
            stream.close()


def _chunk_converter(header: list[str] | None, file_format: str, default_country: str, strip_pii: bool) -> _Converter:
    fmt = ImportFormat.parse(file_format)
    if fmt == ImportFormat.CSV:
        if header is None:
            raise ValueError("a CSV chunk needs the plan's header")
        columns, _ = compile_header(list(header))
        return _Converter(columns, default_country, strip_pii)
    return _Converter(None, default_country, strip_pii)


def _convert_chunk(
    converter: _Converter, stream: Any, file_format: str, first_line: int, numbered: bool = False
) -> Iterator[Any]:
    blocks = _decoded_blocks(stream, 1 << 18, strip_bom=False, line_offset=first_line - 1)
    lines = itertools.chain.from_iterable(io.StringIO(block[3], newline="\n") for block in blocks)
    if file_format.upper() == ImportFormat.CSV:
        convert = converter.csv_row
        for line, cells in _csv_records(lines, first_line - 1):
            yield (line, convert(line, cells)) if numbered else convert(line, cells)
    else:
        convert_json = converter.json_row
        for line, text in enumerate(lines, first_line):
            result = convert_json(line, text)
            if result is not None:
                yield (line, result) if numbered else result
