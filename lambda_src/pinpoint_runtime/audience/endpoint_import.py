"""Streaming validation of Pinpoint endpoint import files (CSV and newline-delimited JSON): the entry points.

The same code runs in the import Lambda functions and in ``pinpoint-constructs validate-import``; it lives in one
module per concern, and this module keeps the names other domains import:

* :mod:`~pinpoint_runtime.audience.import_file`: opening a source, file-level checks, format, UTF-8 blocks, CSV
  records with their line numbers (:class:`ImportFileError`);
* :mod:`~pinpoint_runtime.audience.import_header`: the CSV header rules;
* :mod:`~pinpoint_runtime.audience.import_rows`: one row to a validated EndpointBatchItem or a :class:`Rejected`
  (:func:`mask_row`);
* :mod:`~pinpoint_runtime.audience.import_reader`: :func:`iter_endpoints` over a whole file;
* :mod:`~pinpoint_runtime.audience.import_summary`: counts and the rejects file;
* :mod:`~pinpoint_runtime.audience.import_plan`: :func:`plan_import` (byte ranges) and
  :func:`iter_chunk_endpoints`;
* :mod:`~pinpoint_runtime.audience.import_fast_check`: :func:`validate_file` (counting only);
* :mod:`~pinpoint_runtime.audience.import_parallel`: :func:`validate_file_parallel` (several processes).
"""

from __future__ import annotations

from pinpoint_runtime.audience.import_fast_check import validate_file
from pinpoint_runtime.audience.import_file import ImportFileError
from pinpoint_runtime.audience.import_parallel import validate_file_parallel
from pinpoint_runtime.audience.import_plan import iter_chunk_endpoints, plan_import
from pinpoint_runtime.audience.import_reader import iter_endpoints
from pinpoint_runtime.audience.import_rows import Rejected, mask_row

__all__ = [
    "ImportFileError",
    "Rejected",
    "iter_chunk_endpoints",
    "iter_endpoints",
    "mask_row",
    "plan_import",
    "validate_file",
    "validate_file_parallel",
]
