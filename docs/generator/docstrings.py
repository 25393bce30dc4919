"""Reading the project's docstrings: sections, per-prop entries, and reStructuredText roles turned into Markdown.

What this relies on (the way the docstrings are written today):

* a construct class docstring starts with a one-line summary, then free paragraphs;
* its props are listed after a line that is not indented and ends with a colon and contains the word ``props``
  (``Keyword-only props:``, ``Keyword-only props (all optional):``, ``Keyword-only props (one of ... is
  required):``); each entry is indented (two spaces today, any indentation works), ``name: text`` or a group
  ``a / b / c: text`` (``,`` also separates names), continued by lines indented deeper;
* ``@default X`` inside an entry's text gives the documented default;
* ``Attributes:`` and ``Methods:`` paragraphs (not indented) list names in double backticks, each optionally
  followed by a parenthesised note: ``phone_number`` (``CfnPhoneNumber`` or ``None``);
* the roles ``:class:``, ``:meth:``, ``:func:``, ``:mod:``, ``:data:``, ``:attr:`` and double backticks; a
  paragraph ending in ``::`` introduces an indented code block.

Anything else is kept as text, so a docstring written differently still ends up in the page.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

#: Paragraph headers (not indented) that start a named section rather than description text.
SECTION_NAMES = ("Attributes", "Methods", "Raises", "Returns")

_PROPS_HEADER = re.compile(r"^\S.*\bprops\b.*:$", re.IGNORECASE)
_SECTION_HEADER = re.compile(rf"^({'|'.join(SECTION_NAMES)}):\s*(.*)$")
_ENTRY = re.compile(r"^(\s+)([A-Za-z_]\w*(?:\s*[/,]\s*[A-Za-z_]\w*)*):(?:\s+(.*))?$")
_ROLE = re.compile(r":(class|meth|func|mod|data|attr|exc|obj):`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")
_DEFAULT = re.compile(r"@default\b\s*")


@dataclass
class PropEntry:
    """One entry of a props section: the names it documents (a group shares its text) and the text."""

    names: list[str]
    text: str


@dataclass
class Docstring:
    """A class docstring split into its parts (all text still reStructuredText)."""

    summary: str = ""
    description: str = ""
    props_header: str = ""
    props: list[PropEntry] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)

    def prop_text(self) -> dict[str, tuple[str, str]]:
        """Prop name -> (its text, the first name of its group)."""
        found: dict[str, tuple[str, str]] = {}
        for entry in self.props:
            for name in entry.names:
                found.setdefault(name, (entry.text, entry.names[0]))
        return found


def split_summary(text: str) -> tuple[str, str]:
    """The first paragraph (joined into one line) and the rest of a cleaned docstring."""
    paragraphs = text.strip().split("\n\n", 1)
    summary = " ".join(line.strip() for line in paragraphs[0].splitlines())
    return summary, paragraphs[1] if len(paragraphs) > 1 else ""


def parse(doc: str | None) -> Docstring:
    """Split a construct class docstring (see the module docstring for the format it expects)."""
    text = inspect.cleandoc(doc or "")
    summary, rest = split_summary(text)
    result = Docstring(summary=summary)
    description: list[str] = []
    lines = rest.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        section = _SECTION_HEADER.match(line)
        if _PROPS_HEADER.match(line) and not result.props_header:
            result.props_header = line.rstrip(":").strip()
            index = _parse_props(lines, index + 1, result.props)
            continue
        if section:
            body = [section.group(2)]
            index += 1
            while index < len(lines) and lines[index].strip() and not _SECTION_HEADER.match(lines[index]):
                body.append(lines[index].strip())
                index += 1
            result.sections[section.group(1)] = " ".join(part for part in body if part)
            continue
        description.append(line)
        index += 1
    result.description = "\n".join(description).strip()
    return result


def _parse_props(lines: list[str], index: int, entries: list[PropEntry]) -> int:
    base: int | None = None
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following[:1].isspace():
                index += 1
                continue
            return index + 1
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            return index
        match = _ENTRY.match(line)
        if match and (base is None or indent <= base):
            base = indent
            names = [name.strip() for name in re.split(r"[/,]", match.group(2))]
            entries.append(PropEntry(names=names, text=(match.group(3) or "").strip()))
        elif entries:
            entries[-1].text = f"{entries[-1].text} {line.strip()}".strip()
        index += 1
    return index


def parse_entries(text: str, entries: list[PropEntry]) -> None:
    """Every indented ``name: text`` entry of a docstring, wherever it is (option classes' fields)."""
    lines = inspect.cleandoc(text).splitlines()
    index = 0
    while index < len(lines):
        if _ENTRY.match(lines[index]):
            index = _parse_props(lines, index, entries)
        else:
            index += 1


def documented_default(text: str) -> tuple[str, str]:
    """(the text before ``@default``, the documented default) of a prop entry; the default is ``""`` if none."""
    match = _DEFAULT.search(text)
    if match is None:
        return text, ""
    before, after = text[: match.start()].strip(), text[match.end() :].strip()
    return before, after


def split_named_items(text: str) -> list[tuple[list[str], str]]:
    """``Attributes:``-style text -> [(names, note)]: items separated by commas outside parentheses, names in
    double backticks before the first parenthesis, the note inside it. Items without a name are left out."""
    items: list[str] = []
    depth, start = 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:])
    found = []
    for item in items:
        item = item.strip().rstrip(".").strip()
        head, _, tail = item.partition("(")
        names = re.findall(r"``(\w+)(?:\([^`]*\))?``", head)
        if not names:
            continue
        note = tail.rsplit(")", 1)[0].strip() if tail else ""
        found.append((names, note))
    return found


Linker = Callable[[str], str | None]


def inline(text: str, link: Linker | None = None) -> str:
    """reStructuredText inline markup -> Markdown: roles and double backticks become code spans; a role naming
    something ``link`` knows becomes a link."""

    def role(match: re.Match[str]) -> str:
        kind, target = match.group(1), match.group(2)
        shown = target.rsplit(".", 1)[-1] if kind in ("class", "exc") else target
        if kind in ("meth", "func") and not shown.endswith(")"):
            shown += "()"
        target_url = link(target) if link else None
        return f"[`{shown}`]({target_url})" if target_url else f"`{shown}`"

    text = _ROLE.sub(role, text)
    text = _LITERAL.sub(lambda match: f"`{match.group(1)}`", text)
    return _DEFAULT.sub("Default: ", text)


def to_markdown(text: str, link: Linker | None = None) -> str:
    """A cleaned docstring body -> Markdown: paragraphs and ``*``/``-`` lists kept, ``::`` blocks fenced."""
    out: list[str] = []
    lines = inspect.cleandoc(text).splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.endswith("::") and not stripped.startswith(".."):
            out.append(inline(stripped[:-1], link) if stripped != "::" else "")
            index += 1
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1].isspace()):
                block.append(lines[index])
                index += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            indent = min((len(item) - len(item.lstrip()) for item in block if item.strip()), default=0)
            # no language: ruff formats ```python blocks in Markdown, and a docstring's layout is the author's
            out.extend(["", "```", *(item[indent:] for item in block), "```", ""])
            continue
        underline = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if stripped and len(underline) >= 3 and set(underline) <= {"-"} | {"="} | {"~"} and len(set(underline)) == 1:
            out.append(f"#### {inline(stripped, link)}")
            index += 2
            continue
        if not stripped:
            out.append("")
        elif stripped[:2] in ("* ", "- "):
            out.append(f"- {inline(stripped[2:], link)}")
        elif line[:1].isspace() and out and out[-1].startswith(("- ", "  ")):
            out.append(f"  {inline(stripped, link)}")
        else:
            out.append(inline(stripped, link))
        index += 1
    return "\n".join(out).strip()
