"""The documentation: generated pages up to date with the code, every link resolving, the README's example
synthesizing.

The pages under ``docs/constructs/``, ``docs/runtime/``, ``docs/README.md`` and ``docs/layout.md`` are generated
by ``docs/generate.py`` (``make docs``) from the docstrings, signatures and ``docs/examples/``; the check fails
when one of them is stale, so the docs cannot drift from the docstrings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO

DOCS = REPO / "docs"


def _markdown_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generator_markdown", DOCS / "generator" / "markdown.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pages() -> list[Path]:
    return [REPO / "README.md", REPO / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]


@pytest.fixture(scope="module")
def check() -> subprocess.CompletedProcess[str]:
    """``docs/generate.py --check``, run once (it synthesizes every construct's example)."""
    return subprocess.run(
        [sys.executable, str(DOCS / "generate.py"), "--check"], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_generated_pages_are_up_to_date(check: subprocess.CompletedProcess[str]) -> None:
    assert check.returncode == 0, f"{check.stdout}\n{check.stderr}"


def test_every_prop_is_documented_in_its_docstring(check: subprocess.CompletedProcess[str]) -> None:
    """Every keyword-only prop of a construct has an entry in its docstring, and every entry names a prop."""
    problems = [line for line in check.stderr.splitlines() if line.startswith("docstring: ")]
    assert problems == []


@pytest.mark.parametrize("page", _pages(), ids=lambda path: path.relative_to(REPO).as_posix())
def test_every_link_resolves(page: Path) -> None:
    if not page.exists():
        pytest.skip(f"{page.name} does not exist")
    assert _markdown_module().broken_links(page, REPO) == []


def test_the_link_check_finds_broken_links(tmp_path: Path) -> None:
    markdown = _markdown_module()
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](other.md#a-code-heading) [ok](#title) [web](https://example.com) `[no](link.md)`\n"
        "[missing](nothing.md) [bad anchor](other.md#nope)\n\n```\n[not a link](x.md)\n```\n"
    )
    assert markdown.broken_links(page, tmp_path) == [
        "page.md: nothing.md (no such file)",
        "page.md: other.md#nope (no such anchor)",
    ]


def test_readme_example_synthesizes(tmp_path: Path) -> None:
    """The README's example, run as it is written in a fresh process (the jsii runtime reads the context and the
    output directory from its environment at start-up), bundling skipped."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "README.md: no python block under '## Example'"
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({**context, "aws:cdk:bundling-stacks": []}),
        "CDK_OUTDIR": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lambda_src")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    templates = list(tmp_path.glob("*.template.json"))
    assert templates, "the example synthesized no stack"
    resources = {body["Type"] for t in templates for body in json.loads(t.read_text())["Resources"].values()}
    assert {
        "AWS::SMSVOICE::PhoneNumber",
        "AWS::SMSVOICE::OptOutList",
        "AWS::KinesisFirehose::DeliveryStream",
    } <= resources
