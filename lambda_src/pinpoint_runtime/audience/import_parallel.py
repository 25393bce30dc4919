""":func:`validate_file_parallel` (the ``validate-import`` CLI): :func:`validate_file` in several processes.

This process plans byte ranges as :func:`plan_import` does and validates some chunks itself; each worker process
reads and parses its own ranges (no rows are pickled). Results are merged in file order.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections import deque
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from pinpoint_runtime.audience.import_fast_check import _BATCH_ROWS, _CsvCounter, _gc_paused, validate_file
from pinpoint_runtime.audience.import_file import (
    ImportFormat,
    Source,
    _batch_starts,
    _csv_batches,
    _csv_error,
    _decoded_blocks,
    _Opened,
)
from pinpoint_runtime.audience.import_plan import _PLAN_SLICE, _chunk_converter, _convert_chunk, _Planner
from pinpoint_runtime.audience.import_rows import Rejected
from pinpoint_runtime.audience.import_summary import ImportSummary, RejectsWriter, add_result

_WORKER: dict[str, Any] = {}


class _RangeReader:
    """read(n) over bytes [start, end) of an open binary file."""

    __slots__ = ("_file", "_left")

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        file.seek(start)
        self._file, self._left = file, end - start

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        return data


def _worker_init(
    path: str, header: list[str] | None, file_format: str, default_country: str, strip_pii: bool, want_rejects: bool
) -> None:
    converter = _chunk_converter(header, file_format, default_country, strip_pii)
    _WORKER.update(
        file=open(path, "rb"),  # noqa: SIM115 - one handle for the worker's life
        converter=converter,
        counter=_CsvCounter(converter) if file_format == ImportFormat.CSV else None,
        format=file_format,
        want_rejects=want_rejects,
    )


def _worker_range(chunk: tuple[int, int, int]) -> tuple[ImportSummary, list[Rejected]]:
    """Validate the records of one byte range: (counts, rejects in line order when wanted)."""
    start, end, first_line = chunk
    stream = _RangeReader(_WORKER["file"], start, end)
    summary = ImportSummary()
    rejects: list[Rejected] = []
    if _WORKER["format"] == ImportFormat.CSV:
        lines = itertools.chain.from_iterable(
            io.StringIO(block[3], newline="\n")
            for block in _decoded_blocks(stream, 1 << 18, strip_bom=False, line_offset=first_line - 1)
        )
        counter: _CsvCounter = _WORKER["counter"]
        want = _WORKER["want_rejects"]
        with _gc_paused():
            for starts, records in _csv_batches(csv.reader(lines), first_line - 1, first_line - 1, _BATCH_ROWS):
                counter.count(starts, records, summary, rejects if want else None)
    else:
        for result in _convert_chunk(_WORKER["converter"], stream, ImportFormat.JSON, first_line):
            add_result(summary, result)
            if _WORKER["want_rejects"] and isinstance(result, Rejected):
                rejects.append(result)
    return summary, rejects


def validate_file_parallel(
    source: Source,
    *,
    workers: int = 2,
    default_country: str = "US",
    rejects: str | os.PathLike | IO[str] | None = None,
    strip_pii_from_rejects: bool = True,
    file_format: str | None = None,
    chunk_rows: int = 20_000,
) -> ImportSummary:
    """:func:`validate_file` in ``workers`` processes: this one and ``workers - 1`` workers. This process reads
    the file once, as :func:`plan_import` does (so file-level errors are raised as validate_file raises them),
    cutting it into chunks of about ``chunk_rows`` records at record boundaries: while the workers have work
    queued it validates the chunk it has just parsed itself; otherwise it hands the chunk's byte range to a worker,
    which reads and parses it (no rows are pickled). Results are merged in file order, so the rejects file is in
    line order. ``workers <= 1`` or a source that is not a path runs :func:`validate_file`."""
    if workers <= 1 or not isinstance(source, (str, os.PathLike)):
        return validate_file(
            source,
            default_country=default_country,
            rejects=rejects,
            strip_pii_from_rejects=strip_pii_from_rejects,
            file_format=file_format,
        )
    import multiprocessing  # noqa: PLC0415

    opened = _Opened(source, file_format)
    try:
        planner = _Planner(opened, chunk_rows)
        summary = ImportSummary(warnings=list(planner.warnings))
        writer = RejectsWriter(rejects) if rejects is not None else None
        try:
            context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
            with (
                context.Pool(
                    workers - 1,
                    initializer=_worker_init,
                    initargs=(
                        os.fspath(source),
                        planner.header,
                        planner.format,
                        default_country,
                        strip_pii_from_rejects,
                        writer is not None,
                    ),
                ) as pool,
                _gc_paused(),
            ):
                if planner.format == ImportFormat.CSV:
                    converter = _chunk_converter(
                        planner.header, ImportFormat.CSV, default_country, strip_pii_from_rejects
                    )
                    parts = _share_csv(
                        planner, _CsvCounter(converter), pool, workers - 1, chunk_rows, writer is not None
                    )
                else:  # JSON: every chunk to the pool (in order)
                    results = [
                        pool.apply_async(_worker_range, ((c.start, c.end, c.first_line),)) for c in planner.chunks()
                    ]
                    parts = (result.get() for result in results)
                for part, chunk_rejects in parts:
                    _merge(summary, part)
                    if writer is not None:
                        for reject in chunk_rejects:
                            writer.write(reject)
        finally:
            if writer is not None:
                writer.close()
    finally:
        opened.close()
    return summary


def _merge(summary: ImportSummary, part: ImportSummary) -> None:
    summary.rows += part.rows
    summary.valid += part.valid
    summary.rejected += part.rejected
    summary.channels.update(part.channels)
    summary.by_reason.update(part.by_reason)


def _share_csv(
    planner: _Planner, counter: _CsvCounter, pool: Any, pool_size: int, chunk_rows: int, want_rejects: bool
) -> Iterator[tuple[ImportSummary, list[Rejected]]]:
    """(counts, rejects) of each chunk in file order: chunks parsed here are validated here while every worker
    has two chunks queued, otherwise sent to the pool as byte ranges."""
    from collections import deque  # noqa: PLC0415

    reader, islice = planner._reader, itertools.islice
    start, previous_end = planner._start, planner._start_line  # byte and line where the next chunk starts
    pending: deque = deque()  # per chunk in file order: (counts, rejects) or the pool's AsyncResult
    at_end = False
    while not at_end:
        queued = sum(1 for entry in pending if not isinstance(entry, tuple) and not entry.ready())
        own = queued >= 2 * pool_size
        part = ImportSummary()
        rejects: list[Rejected] | None = [] if want_rejects else None
        first_line, count = previous_end + 1, 0
        while count < chunk_rows:
            want = min(chunk_rows - count, _BATCH_ROWS if own else _PLAN_SLICE)
            try:
                batch = list(islice(reader, want))
            except csv.Error as error:
                raise _csv_error(error, reader.line_num) from None
            end_line = reader.line_num
            if own:
                starts, records = _batch_starts(batch, previous_end, end_line)
                if records:
                    counter.count(starts, records, part, rejects)
                count += len(records)
            else:
                count += len(batch) - batch.count([])
            previous_end = end_line
            if len(batch) < want:
                at_end = True
                break
        end = planner.size if at_end else planner._line_end(previous_end)
        if count:
            if own:
                pending.append((part, rejects or []))
            else:
                pending.append(pool.apply_async(_worker_range, ((start, end, first_line),)))
        start = end
        while pending and (isinstance(pending[0], tuple) or pending[0].ready()):
            entry = pending.popleft()
            yield entry if isinstance(entry, tuple) else entry.get()
    while pending:
        entry = pending.popleft()
        yield entry if isinstance(entry, tuple) else entry.get()
