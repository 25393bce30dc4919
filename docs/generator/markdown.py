"""Markdown helpers shared by the generator and the link check: hand-written blocks, tables, GitHub anchors."""

from __future__ import annotations

import os
import re
from pathlib import Path

BEGIN = "<!-- hand-written:begin {} -->"
END = "<!-- hand-written:end {} -->"
_BLOCK = re.compile(r"<!-- hand-written:begin (\S+) -->\n(.*?)<!-- hand-written:end \1 -->", re.DOTALL)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def hand_written(text: str) -> dict[str, str]:
    """The hand-written blocks of a page: name -> content (without the marker lines)."""
    return {match.group(1): match.group(2).strip("\n") for match in _BLOCK.finditer(text)}


def block(name: str, blocks: dict[str, str], default: str = "") -> str:
    """A hand-written block: its current content from ``blocks``, or ``default`` for a new page."""
    content = blocks.get(name, default).strip("\n")
    return "\n".join([BEGIN.format(name), *([content] if content else []), END.format(name)])


def cell(text: str) -> str:
    """Text fit for a table cell: one line, pipes escaped (also inside code spans, as GitHub wants)."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """A code span around ``text`` (longer backtick fences when it holds backticks)."""
    fence = "``" if "`" in text else "`"
    padding = " " if fence == "``" else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(item) for item in row) + " |" for row in rows)
    return "\n".join(lines)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: link texts kept, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def without_code(text: str) -> str:
    """``text`` with fenced code blocks and code spans blanked (their brackets are not links)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """The anchors a Markdown page offers (headings, with GitHub's -1, -2 for repeats, and HTML anchors)."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for match in _HEADING.finditer(_FENCE.sub("", text)):
        base = slug(match.group(2))
        count = counts.get(base, 0)
        counts[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found.update(_HTML_ANCHOR.findall(text))
    return found


def broken_links(page: Path, root: Path) -> list[str]:
    """Relative links of ``page`` whose file or anchor does not exist (web and mail links are not checked)."""
    text = page.read_text()
    problems = []
    for match in _LINK.finditer(without_code(text)):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(root)}: {target}"
        if not resolved.exists():
            problems.append(f"{where} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
            problems.append(f"{where} (no such anchor)")
    return problems


def relative(target: Path, start: Path) -> str:
    """A link from a page in directory ``start`` to ``target``, with forward slashes."""
    return Path(os.path.relpath(target, start)).as_posix()
