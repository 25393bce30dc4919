#!/usr/bin/env python3
"""Generate the documentation pages under docs/ from the code (``make docs``).

    python docs/generate.py          # rewrite the generated pages
    python docs/generate.py --check  # exit 1 naming every stale page (what tests/checks/test_docs.py runs)

Pages: ``docs/constructs/<page>.md`` for every public construct class that ``pinpoint_constructs`` exports (named
after the class: ``TwoWaySms`` -> ``two_way_sms``), ``docs/runtime/<domain>.md`` for every domain of
``pinpoint_runtime``, the index ``docs/README.md`` and ``docs/layout.md``. Hand-written text lives between
``<!-- hand-written:begin NAME -->`` and ``<!-- hand-written:end NAME -->`` in those pages (kept as it is), in
``docs/examples/<page>.py`` (each defines ``build(stack)`` returning the construct; the page shows the file and
draws its diagram from the synthesized stack) and in the other ``docs/*.md`` files, which are not generated.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
for entry in (str(REPO / "lambda_src"), str(REPO), str(DOCS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # handlers build clients when imported

from generator import introspection, pages  # noqa: E402
from generator.markdown import hand_written  # noqa: E402

#: Hand-written pages (not generated) that the index lists as guides.
GUIDE_ORDER = ("install.md", "verification.md", "benchmarks.md", "cli.md", "layout.md")


def _existing(path: Path) -> dict[str, str]:
    return hand_written(path.read_text()) if path.exists() else {}


def build(only: list[str] | None = None) -> tuple[dict[Path, str], list[str]]:
    """Every generated page (path -> text) and the mismatches between docstrings and signatures (``only``: just
    the pages of these constructs and domains, by page name)."""
    constructs = introspection.construct_classes()
    names = {cls.__name__: introspection.page_name(cls) for cls in constructs}
    domains = introspection.runtime_domains()
    for domain in domains:
        introspection.domain_modules(domain)  # every settings class imported before they are listed
    readers: dict[type, list[str]] = {}
    for folder in introspection.function_folders():
        for settings_class in introspection.handler_settings(folder) or ():
            readers.setdefault(settings_class, []).append(folder)
    context = pages.cdk_context()
    generated: dict[Path, str] = {}
    problems: list[str] = []
    for cls in constructs:
        if only and names[cls.__name__] not in only:
            continue
        path = pages.CONSTRUCT_PAGES / f"{names[cls.__name__]}.md"
        example = pages.synthesize_example(cls, context)
        text, found = pages.construct_page(cls, example, _existing(path), readers, names)
        generated[path] = text
        problems += found
    for domain in domains:
        if only and domain not in only:
            continue
        path = pages.RUNTIME_PAGES / f"{domain}.md"
        generated[path] = pages.runtime_page(domain, _existing(path), readers, names)
    if only:
        return generated, problems
    layout = DOCS / "layout.md"
    generated[layout] = pages.layout_page(_existing(layout), domains)
    guides = sorted(
        (path for path in DOCS.glob("*.md") if path.name != "README.md"),
        key=lambda path: (GUIDE_ORDER.index(path.name) if path.name in GUIDE_ORDER else len(GUIDE_ORDER), path.name),
    )
    index = DOCS / "README.md"
    generated[index] = pages.index_page(_existing(index), constructs, domains, guides)
    return generated, problems


def _obsolete(generated: dict[Path, str]) -> list[Path]:
    """Pages in the generated folders that no construct or domain produces any more."""
    folders = (pages.CONSTRUCT_PAGES, pages.RUNTIME_PAGES)
    return sorted(path for folder in folders for path in folder.glob("*.md") if path not in generated)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a page is stale")
    parser.add_argument("--only", nargs="+", metavar="PAGE", help="only these pages (e.g. two_way_sms sms)")
    args = parser.parse_args(argv)
    generated, problems = build(args.only)
    for problem in problems:
        print(f"docstring: {problem}", file=sys.stderr)
    obsolete = [] if args.only else _obsolete(generated)
    if args.check:
        stale = [path for path, text in generated.items() if not path.exists() or path.read_text() != text]
        for path in stale:
            relative = path.relative_to(REPO)
            print(f"stale: {relative} (run `make docs` and commit it)")
            old = path.read_text().splitlines() if path.exists() else []
            diff = list(
                difflib.unified_diff(old, generated[path].splitlines(), str(relative), "generated", lineterm="")
            )
            print("\n".join(diff[:40] + (["..."] if len(diff) > 40 else [])))
        for path in obsolete:
            print(f"obsolete: {path.relative_to(REPO)} (no construct or domain has this page any more)")
        return 1 if stale or obsolete else 0
    for path, text in generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
    for path in obsolete:
        if hand_written(path.read_text()):
            print(f"obsolete: {path.relative_to(REPO)} has hand-written text: move it, then delete the page")
        else:
            path.unlink()
            print(f"removed {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
