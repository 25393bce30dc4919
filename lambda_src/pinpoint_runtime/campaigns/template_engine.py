"""The template engine of campaign messages: Amazon Pinpoint's message-variable rules on top of pystache.

Value rules (Pinpoint's, as its docs state them):

* endpoint and user attributes are **lists** of strings in the endpoint JSON; a variable that names one renders
  its **first** value (``{"FirstName": ["Ana", "Ann"]}`` -> ``Ana``); a section iterates all values
  (``{{#Attributes.Colors}}{{.}} {{/Attributes.Colors}}``), and a numeric segment picks one
  (``{{RecommendationItems.1}}`` or Handlebars' ``{{RecommendationItems.[1]}}``);
* a missing or empty value takes the template's default (Pinpoint's ``DefaultSubstitutions``: a JSON object of
  variable name -> default, e.g. ``{"User.UserAttributes.FirstName": "friend"}``), else renders as ``""``
  ("If you don't specify a default value and a value doesn't exist for a recipient, Amazon Pinpoint omits all text
  for the variable");
* ``Substitutions`` (Pinpoint's direct-message map variable name -> list of values; the message's own
  ``SMSMessage.Substitutions`` / ``EmailMessage.Substitutions`` and the ``substitutions`` argument, which wins)
  take precedence over the endpoint's values, as ``AddressConfiguration.Substitutions`` did;
* values are inserted as text and **never re-expanded**: a value holding ``{{...}}`` renders literally;
* HTML escaping applies to the email's ``HtmlBody`` only (``{{{var}}}`` / ``{{& var}}`` opt out there, as in
  Handlebars); SMS bodies, subjects, text bodies and custom data are not escaped.

The engine is `pystache <https://github.com/PennyDreadfulMTG/pystache>`_ (Mustache spec v1.x), pinned in
``lambda_src/requirements.txt``. Why: Pinpoint templates are Handlebars, and the maintained Python Handlebars ports
do not exist in a form the layer can use (pybars3/pybars4 ship source distributions only, and the layer is built
with ``--only-binary=:all:``; pybars3's last release is from 2019); Mustache is the subset of Handlebars that
Pinpoint variables use (``{{a.b.c}}`` dotted names, sections, inverted sections, triple-stache), pystache is pure
Python with a ``py3-none-any`` wheel, released in 2025, and lets the value resolution, string coercion and escaping
be replaced without patching it. Not supported (each renders as documented here, never as an exception other than
:class:`RenderError`): Handlebars block helpers (``{{#each X}}``, ``{{#if X}}`` -> use the Mustache section
``{{#X}}...{{/X}}``), Pinpoint's formatting helpers, and partials (``{{> name}}`` is a :class:`TemplateError`, so a
template can never read files).

Rendering never logs and its errors never quote endpoint values (addresses, attributes): only variable names and
sizes.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

MAX_TEMPLATE_CHARACTERS = 500_000
"""A template larger than this is refused (SES's whole message limit is 40 MB, Pinpoint's HTML part 15 MB; this
bounds the per-endpoint work of a campaign)."""

_NUMERIC_SEGMENT = re.compile(r"\[?(\d{1,4})\]?")


class RenderError(ValueError):
    """One endpoint's message could not be rendered; ``reason`` says why (no endpoint values in it).

    The campaign engine rejects that endpoint with ``RENDER_FAILURE`` and goes on with the batch."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemplateError(RenderError):
    """The message configuration or a template cannot be compiled: no endpoint can be rendered with it.

    A :class:`RenderError`, so a caller that rejects per endpoint is never surprised by another exception type."""


def plain_value(value: Any, depth: int = 0) -> Any:
    """JSON-plain copy of an endpoint value: dicts, lists, str, int, float, bool, None only.

    Objects, callables and anything exotic become their ``str()``; pystache calls callables and reads attributes of
    objects, so nothing but plain data may reach it (no template can call a method or re-render a value)."""
    if depth > 32:
        return None
    if isinstance(value, str) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(item, depth + 1) for item in value]
    return str(value)


def _text(value: Any) -> str:
    """The text of a resolved value: a list's first value, ``""`` for nothing, ``true``/``false`` for booleans."""
    while isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e16 else repr(value)
    return str(value)


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or value == {}
        or (isinstance(value, list) and all(item is None or item == "" for item in value))
    )


def parse_default_substitutions(value: Any) -> dict[str, str]:
    """Pinpoint's ``DefaultSubstitutions`` (a JSON object string, or a mapping) as variable name -> default text."""
    if value is None or value == "":
        return {}
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            raise TemplateError("DefaultSubstitutions is not a JSON object") from None
    if not isinstance(value, Mapping):
        raise TemplateError("DefaultSubstitutions must be a JSON object of variable name -> default value")
    return {str(name): _text(plain_value(default)) for name, default in value.items()}


def parse_substitutions(value: Any) -> dict[str, list[str]]:
    """Pinpoint's ``Substitutions`` (variable name -> list of values; a bare string is one value)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TemplateError("Substitutions must be a map of variable name -> list of values")
    out: dict[str, list[str]] = {}
    for name, values in value.items():
        if isinstance(values, (list, tuple)):
            out[str(name)] = [_text(plain_value(item)) for item in values]
        else:
            out[str(name)] = [_text(plain_value(values))]
    return out


# ------------------------------------------------------------------------------------------------ engine


class CompiledTemplate:
    """One template field compiled with pystache (parse once, render per endpoint)."""

    def __init__(self, field: str, source: Any) -> None:
        from pystache.parser import parse  # noqa: PLC0415

        if source is None:
            source = ""
        if not isinstance(source, str):
            raise TemplateError(f"{field} must be a string")
        if len(source) > MAX_TEMPLATE_CHARACTERS:
            raise TemplateError(f"{field} is {len(source):,} characters; the limit is {MAX_TEMPLATE_CHARACTERS:,}")
        self.field = field
        self.source = source
        self.is_static = "{{" not in source
        try:
            self.parsed = parse(source, raise_on_mismatch=True)
        except Exception as error:  # noqa: BLE001 - pystache raises ParsingError, and re/index errors on odd delimiters
            raise TemplateError(f"{field} is not a valid template: {_describe(error)}") from None
        _reject_partials(field, self.parsed)


def _describe(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _reject_partials(field: str, parsed: Any) -> None:
    from pystache.parser import _PartialNode  # noqa: PLC0415

    stack = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, _PartialNode):
            raise TemplateError(f"{field} uses a partial ({{{{> {node.key}}}}}); partials are not supported")
        tree = getattr(node, "_parse_tree", None)
        if tree is not None:
            stack.extend(tree)
        for attribute in ("parsed", "parsed_section"):
            child = getattr(node, attribute, None)
            if child is not None:
                stack.append(child)


class _Engine:
    """A pystache RenderEngine whose name resolution applies Pinpoint's rules (substitutions, first value, numeric
    segments, defaults) and whose escaping is chosen per field."""

    def __init__(self, *, escape_html: bool) -> None:
        from pystache.renderengine import RenderEngine  # noqa: PLC0415

        self._engine = RenderEngine(
            literal=str,
            escape=(lambda text: html.escape(text, quote=True)) if escape_html else str,
            resolve_context=self._resolve,
            resolve_partial=self._no_partial,
            to_str=_text,
        )
        self._local = threading.local()

    @staticmethod
    def _no_partial(name: str) -> str:
        raise RenderError("partials are not supported")

    def render(
        self,
        compiled: CompiledTemplate,
        context: dict[str, Any],
        substitutions: Mapping[str, list[str]],
        defaults: Mapping[str, str],
    ) -> str:
        from pystache.context import ContextStack  # noqa: PLC0415

        if compiled.is_static:
            return compiled.source
        self._local.rules = (substitutions, defaults)
        try:
            return str(compiled.parsed.render(self._engine, ContextStack(context)))
        except RenderError:
            raise
        except RecursionError:
            raise RenderError(f"{compiled.field} nests too deeply to render") from None
        except Exception as error:  # noqa: BLE001 - any other engine failure is this endpoint's render failure
            raise RenderError(f"{compiled.field} could not be rendered ({type(error).__name__})") from None
        finally:
            self._local.rules = None

    def _resolve(self, stack: Any, name: str) -> Any:
        substitutions, defaults = self._local.rules
        if name in substitutions:
            return substitutions[name]
        value = _lookup(stack, name)
        if _is_missing(value):
            default = defaults.get(name)
            return "" if default is None else default
        return value


def _lookup(stack: Any, name: str) -> Any:
    """``name`` against a pystache ContextStack: Mustache's dotted-name rules, plus numeric segments into lists
    (``RecommendationItems.1``, ``RecommendationItems.[1]``). ``None`` when nothing is found."""
    from pystache.context import KeyNotFoundError  # noqa: PLC0415

    try:
        return stack.get(name)
    except KeyNotFoundError:
        pass
    if name == "." or "." not in name:
        return None
    first, *rest = name.split(".")
    try:
        value = stack.get(first)
    except KeyNotFoundError:
        return None
    for segment in rest:
        index = _NUMERIC_SEGMENT.fullmatch(segment)
        if isinstance(value, list) and index is not None:
            position = int(index.group(1))
            value = value[position] if position < len(value) else None
        elif isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0].get(segment)
        else:
            return None
        if value is None:
            return None
    return value


_TEXT_ENGINE: _Engine | None = None
_HTML_ENGINE: _Engine | None = None


def shared_engines() -> tuple[_Engine, _Engine]:
    global _TEXT_ENGINE, _HTML_ENGINE  # stateless engines shared by every renderer of the process
    if _TEXT_ENGINE is None or _HTML_ENGINE is None:
        _TEXT_ENGINE, _HTML_ENGINE = _Engine(escape_html=False), _Engine(escape_html=True)
    return _TEXT_ENGINE, _HTML_ENGINE


__all__ = [
    "MAX_TEMPLATE_CHARACTERS",
    "CompiledTemplate",
    "RenderError",
    "TemplateError",
    "parse_default_substitutions",
    "parse_substitutions",
    "plain_value",
    "shared_engines",
]
