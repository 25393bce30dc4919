"""The errors of the import workflow that Step Functions tells apart (by class name)."""

from __future__ import annotations


class ImportFileRejected(Exception):
    """The object cannot be imported at all (empty, binary, not UTF-8, no header, vanished...). Step Functions
    sees this class name as the error and does not retry it; the failed notification carries the message."""


class ImportIncomplete(Exception):
    """The per-range counts do not add up to the planned rows: nothing may be dropped silently."""


class ImportRetryableError(Exception):
    """A dependency still throttled or failed after the in-process retries; Step Functions retries the step."""
