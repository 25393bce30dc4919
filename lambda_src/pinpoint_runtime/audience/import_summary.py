"""What a validation reports: the counts (:class:`ImportSummary`) and the rejects file (:class:`RejectsWriter`)."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from pinpoint_runtime.audience.import_rows import Rejected


@dataclass
class ImportSummary:
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    by_reason: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def lines(self, top: int = 5) -> list[str]:
        out = [f"rows: {self.rows}", f"valid: {self.valid}", f"rejected: {self.rejected}"]
        if self.channels:
            out.append("channels: " + ", ".join(f"{c} {n}" for c, n in self.channels.most_common()))
        if self.by_reason:
            out.append("top reasons:")
            out.extend(f"  {n} x {reason}" for reason, n in self.by_reason.most_common(top))
        out.extend(f"warning: {w}" for w in self.warnings)
        return out


REJECTS_HEADER = ["line", "field", "reason", "row"]


class RejectsWriter:
    """CSV rejects file: line, field, reason, row (JSON of the row, PII columns masked when configured)."""

    def __init__(self, target: str | os.PathLike | IO[str]) -> None:
        if isinstance(target, (str, os.PathLike)):
            self._file: IO[str] = open(target, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed by close())
            self._close = True
        else:
            self._file, self._close = target, False
        self._writer = csv.writer(self._file)
        self._writer.writerow(REJECTS_HEADER)

    def write(self, reject: Rejected) -> None:
        row = "" if reject.row is None else json.dumps(reject.row, ensure_ascii=False)
        self._writer.writerow([reject.line, reject.field, reject.reason, row])

    def close(self) -> None:
        if self._close:
            self._file.close()


def add_result(summary: ImportSummary, result: dict | Rejected) -> None:
    summary.rows += 1
    if isinstance(result, Rejected):
        summary.rejected += 1
        summary.by_reason[f"{result.field}: {result.reason}"] += 1
    else:
        summary.valid += 1
        summary.channels[result.get("ChannelType") or "(update by Id)"] += 1
