"""Issue 12's size rules, so the structure does not drift back: no module of the library or its runtime over ~400
lines unless its docstring says why ("over 400 lines"), and every Lambda handler thin (at most 60 lines: read the
settings, build the runtime objects, call into the runtime)."""

from __future__ import annotations

import ast

from tests.conftest import REPO

LIMIT = 420  # "~400"
HANDLER_LIMIT = 60
PACKAGES = (REPO / "pinpoint_constructs", REPO / "lambda_src" / "pinpoint_runtime")


def _lines(path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_long_modules_say_why() -> None:
    unexplained = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            if _lines(path) <= LIMIT:
                continue
            docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            if "over 400 lines" not in docstring.lower():
                unexplained.append(f"{path.relative_to(REPO)}: {_lines(path)} lines")
    assert unexplained == []


def test_handlers_are_thin() -> None:
    handlers = sorted((REPO / "lambda_src").glob("*/handler.py"))
    assert len(handlers) >= 20
    assert [f"{p.relative_to(REPO)}: {_lines(p)}" for p in handlers if _lines(p) > HANDLER_LIMIT] == []
