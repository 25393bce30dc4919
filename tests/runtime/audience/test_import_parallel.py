"""validate_file_parallel (pinpoint_runtime.audience.import_parallel) and the validate-import CLI that runs it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pinpoint_runtime.audience.import_fast_check import validate_file
from tests.support.import_files import (
    DATA,
    _cli,
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


def test_parallel_byte_ranges_equal_serial(tmp_path):
    from pinpoint_runtime.audience.import_parallel import validate_file_parallel

    path = tmp_path / "many.csv"
    lines = ["\ufeffChannelType,Address,Attributes.Note"]
    for i in range(3000):
        lines.append(f'SMS,+1202555{i % 10000:04d},"n\r\n{i}"' if i % 7 else f"SMS,bad{i},x")
        if i % 11 == 0:
            lines.append("")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    serial_rejects, parallel_rejects = tmp_path / "s.csv", tmp_path / "p.csv"
    serial = validate_file(path, rejects=serial_rejects)
    parallel = validate_file_parallel(path, workers=2, rejects=parallel_rejects, chunk_rows=250)
    assert parallel == serial and serial.rows == 3000
    assert parallel_rejects.read_text() == serial_rejects.read_text()


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_shares_chunks_between_this_process_and_workers(tmp_path, workers):
    from pinpoint_runtime.audience import import_parallel as ei

    path = tmp_path / "share.csv"
    rows = [f'SMS,+1202555{i % 10000:04d},"{i}\nx"' if i % 5 else f"EMAIL,bad{i},y" for i in range(6000)]
    path.write_text("ChannelType,Address,Attributes.Note\n" + "\n".join(rows) + "\n\n\n")
    serial_rejects, parallel_rejects = tmp_path / "s.csv", tmp_path / "p.csv"
    serial = validate_file(path, rejects=serial_rejects)
    counted_here = []
    original = ei._CsvCounter.count

    def count(self, starts, records, summary, rejects):
        counted_here.append(len(records))
        return original(self, starts, records, summary, rejects)

    ei._CsvCounter.count = count
    try:
        parallel = ei.validate_file_parallel(path, workers=workers, rejects=parallel_rejects, chunk_rows=100)
    finally:
        ei._CsvCounter.count = original
    assert parallel == serial and serial.rows == 6000 and serial.rejected == 1200
    assert parallel_rejects.read_text() == serial_rejects.read_text()
    assert 0 < sum(counted_here) < 6000  # some chunks validated here, the others by the workers


def test_parallel_json_and_stream_sources(tmp_path):
    from pinpoint_runtime.audience.import_parallel import validate_file_parallel

    path = tmp_path / "drop.ndjson"
    lines = [json.dumps({"ChannelType": "SMS", "Address": f"+1202555{i:04d}"}) if i % 3 else "{bad" for i in range(900)]
    path.write_text("\n".join(lines) + "\n")
    assert validate_file_parallel(path, workers=2, chunk_rows=50) == validate_file(path)
    data = path.read_bytes()
    assert validate_file_parallel(io.BytesIO(data), workers=2, file_format="JSON") == validate_file(path)
