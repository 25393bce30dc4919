"""Where the Lambda sources live: ``lambda_src/`` of a checkout, or its copy inside the installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent

#: The shared runtime package every function imports (``pinpoint_runtime``), shipped in the dependencies layer.
RUNTIME_PACKAGE = "pinpoint_runtime"
#: Third-party dependencies of the functions (pinned), installed into the dependencies layer.
REQUIREMENTS_FILE = "requirements.txt"


@cache
def lambda_source_root() -> Path:
    """The folder holding one sub-folder per function, the shared runtime package and requirements.txt.

    In an installed wheel it is ``pinpoint_constructs/lambda_src``; in a checkout, ``<repo>/lambda_src``.
    """
    for candidate in (_PACKAGE_DIR / "lambda_src", _PACKAGE_DIR.parent / "lambda_src"):
        if (candidate / RUNTIME_PACKAGE).is_dir():
            return candidate
    raise FileNotFoundError("pinpoint_constructs cannot find its Lambda sources (lambda_src); reinstall the package")


def function_source_dir(function_folder: str) -> Path:
    """The source folder of one function, e.g. ``function_source_dir("event_stream_normalizer")``."""
    path = lambda_source_root() / function_folder
    if not (path / "handler.py").is_file():
        raise FileNotFoundError(f"no Lambda function folder {function_folder!r} with a handler.py in {path.parent}")
    return path
