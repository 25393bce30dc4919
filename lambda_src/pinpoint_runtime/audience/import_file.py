"""Reading an endpoint import file: opening a source, the file-level checks, the format, UTF-8 decoding by
blocks and the CSV records with their physical line numbers.

Files are read as a stream (the binary stream decoded one physical line at a time, so decode errors name their
line; the ``csv`` module on top handles quoted commas and quoted line breaks): the whole file is never held in
memory. Sources are paths or any object with ``read(n) -> bytes`` (botocore's StreamingBody included); a caller's
stream is never closed.
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
import itertools
import os
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol, Union

Source = Union[str, "os.PathLike[str]", BinaryIO]


class ByteStream(Protocol):
    """What the readers rely on of a source: ``read(n) -> bytes`` (short reads allowed, ``b""`` at the end)."""

    def read(self, size: int = ..., /) -> bytes: ...


class ImportFileError(ValueError):
    """The file cannot be imported at all (binary, not UTF-8, no header, empty, unusable header)."""


class ImportFormat(enum.StrEnum):
    """The formats of an import file: Pinpoint's CSV, and newline-delimited JSON (one EndpointBatchItem a line)."""

    CSV = "CSV"
    JSON = "JSON"

    @classmethod
    def parse(cls, text: str) -> ImportFormat:
        """``text`` (any case) as a format; :class:`ImportFileError` for anything else."""
        try:
            return cls(text.upper())
        except ValueError:
            raise ImportFileError(f"unknown format {text!r} (CSV or JSON)") from None


def _open_binary(source: Source) -> tuple[BinaryIO, str, bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), os.fspath(source), True
    return source, getattr(source, "name", "") or "", False


_HEAD_SIZE = 8192


class _Prefixed:
    """A stream that serves ``head`` (bytes already read from ``stream``) and then the rest of ``stream``. Only
    ``read(n)`` of the source is relied on, so botocore's StreamingBody, sockets and any object with
    ``read(n) -> bytes`` (short reads included) work. It never closes the source."""

    __slots__ = ("_head", "_stream")

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head, self._stream = head, stream

    def read(self, size: int = -1) -> bytes:
        head = self._head
        if head:
            if size is None or size < 0:
                self._head = b""
                return head + self._stream.read()
            self._head = head[size:]
            return head[:size]
        return self._stream.read(size)


def _peek(stream: Any) -> tuple[Any, bytes]:
    """(a stream positioned where ``stream`` was, its first 8 KiB or fewer at EOF)."""
    if isinstance(stream, io.BytesIO):
        position = stream.tell()
        return stream, stream.getbuffer()[position : position + _HEAD_SIZE].tobytes()
    parts, size = [], 0
    while size < _HEAD_SIZE:
        data = stream.read(_HEAD_SIZE - size)
        if not data:
            break
        parts.append(data)
        size += len(data)
    head = b"".join(parts)
    return _Prefixed(head, stream), head


def detect_format(name: str, head: bytes) -> ImportFormat:
    """CSV or JSON (newline-delimited): by extension, else by the first non-blank byte."""
    ext = os.path.splitext(name)[1].lower()
    if ext == ".csv":
        return ImportFormat.CSV
    if ext in (".json", ".ndjson", ".jsonl"):
        return ImportFormat.JSON
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    return ImportFormat.JSON if body.lstrip()[:1] == b"{" else ImportFormat.CSV


def _check_head(head: bytes) -> None:
    if not head or head == codecs.BOM_UTF8:
        raise ImportFileError("the file is empty")
    if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04" or head[:3] == b"BZh":
        raise ImportFileError("the file is compressed (gzip/zip/bzip2); Pinpoint imports need plain UTF-8 text")
    if b"\x00" in head:
        raise ImportFileError("the file is binary (contains NUL bytes), not UTF-8 CSV or JSON text")


def _decode_error(error: UnicodeDecodeError, line: int) -> ImportFileError:
    return ImportFileError(
        f"the file is not UTF-8: undecodable byte 0x{error.object[error.start]:02x} near line {line} "
        "(save it as UTF-8; Latin-1/Windows-1252 exports must be converted)"
    )


def _text_lines(stream: BinaryIO, block_size: int = 1 << 18, strip_bom: bool = True) -> Iterator[str]:
    """UTF-8 lines (line endings kept, split on "\\n" only, BOM dropped): the stream is decoded in blocks cut at
    line ends and each block's lines are served by C iterators, so memory stays flat; a decode error names its
    exact line, after every complete line before it has been yielded."""
    return itertools.chain.from_iterable(_text_blocks(stream, block_size, strip_bom))


def _text_blocks(stream: BinaryIO, block_size: int, strip_bom: bool = True) -> Iterator[io.StringIO]:
    for _offset, _lines_before, _data, text in _decoded_blocks(stream, block_size, strip_bom):
        yield io.StringIO(text, newline="\n")


def _decoded_blocks(
    stream: ByteStream, block_size: int, strip_bom: bool = True, line_offset: int = 0
) -> Iterator[tuple[int, int, bytes, str]]:
    """(byte offset, physical lines before, bytes, text) of consecutive blocks cut just after a "\\n" (the last
    block may end without one). A decode error is raised after the block's complete lines before it."""
    lines_before = 0
    offset = 0
    pending = b""
    first = strip_bom
    while True:
        data = stream.read(block_size)
        if data:
            buffer = pending + data if pending else data
            cut = buffer.rfind(b"\n") + 1
            if not cut:
                pending = buffer
                continue
            chunk, pending = buffer[:cut], buffer[cut:]
        else:
            chunk, pending = pending, b""
            if not chunk:
                return
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            good = chunk.rfind(b"\n", 0, error.start) + 1
            text = chunk[:good].decode("utf-8")
            if first and text.startswith("\ufeff"):
                text = text[1:]
            yield offset, lines_before, chunk[:good], text
            line = line_offset + lines_before + chunk.count(b"\n", 0, error.start) + 1
            raise _decode_error(error, line) from None
        if first:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        yield offset, lines_before, chunk, text
        lines_before += chunk.count(b"\n")
        offset += len(chunk)
        if not data:
            return


def _csv_records(lines: Iterator[str], lines_before: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) for each non-blank record (the header is the first of a whole file); line numbers are
    counted from ``lines_before`` + 1."""
    return _reader_records(csv.reader(lines), lines_before, lines_before)


def _reader_records(reader: Any, lines_before: int, previous_end: int) -> Iterator[tuple[int, list[str]]]:
    """(start line, cells) for each further non-blank record of a csv reader whose line 1 is ``lines_before`` + 1
    and whose records so far ended on line ``previous_end``."""
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = lines_before + reader.line_num
            if cells:
                yield start, cells
    except csv.Error as error:
        raise _csv_error(error, lines_before + reader.line_num) from None


def _csv_error(error: csv.Error, line: int) -> ImportFileError:
    return ImportFileError(f"CSV syntax error near line {line}: {error}")


def _csv_batches(reader: Any, lines_before: int, previous_end: int, size: int) -> Iterator[tuple[Any, list[list[str]]]]:
    """Like :func:`_reader_records`, in lists: (start lines, cells) of up to ``size`` non-blank records."""
    islice = itertools.islice
    while True:
        try:
            batch = list(islice(reader, size))
        except csv.Error as error:
            raise _csv_error(error, lines_before + reader.line_num) from None
        if not batch:
            return
        end = lines_before + reader.line_num
        starts, records = _batch_starts(batch, previous_end, end)
        previous_end = end
        if records:
            yield starts, records
        if len(batch) < size:
            return


def _batch_starts(batch: list[list[str]], previous_end: int, end: int) -> tuple[Any, list[list[str]]]:
    """(start lines, non-blank records) of records read after line ``previous_end`` up to line ``end``. When the
    batch used one physical line per record (the usual case) the start lines are a range; otherwise a record
    spans 1 + (its cells' "\\n" count) lines: lines are split at "\\n" only, so every "\\n" in a cell ended a
    physical line inside a quoted field, and the line end that ends the record is in no cell."""
    if end - previous_end == len(batch) and [] not in batch:
        return range(previous_end + 1, end + 1), batch
    starts, records = [], []
    line = previous_end
    for cells in batch:
        if cells:
            starts.append(line + 1)
            records.append(cells)
            line += 1 + "".join(cells).count("\n")
        else:
            line += 1
    return starts, records


def _read_header(reader: Any) -> list[str]:
    """The first non-blank record of a csv reader over a whole file."""
    try:
        for cells in reader:
            if cells:
                return cells
    except csv.Error as error:
        raise _csv_error(error, reader.line_num) from None
    raise ImportFileError("the file is empty (no header line)")


class _Opened:
    """A source opened for reading: checked head (empty / compressed / binary) and the format."""

    def __init__(self, source: Source, file_format: str | None, check: bool = True) -> None:
        self._source, self.name, self._close = _open_binary(source)
        try:
            self.stream, head = _peek(self._source)
            self.head = head
            if check:
                _check_head(head)
            self.format = ImportFormat.parse(file_format) if file_format else detect_format(self.name, head)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._close:
            self._source.close()  # never a caller's stream
