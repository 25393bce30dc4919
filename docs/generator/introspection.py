"""What the pages are generated from: construct classes and their ``__init__`` props (read from the source, so
annotations and defaults appear as written), methods, runtime modules and the settings classes."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pinpoint_runtime.core.environment import FunctionSettings

REPO = Path(__file__).resolve().parents[2]
LAMBDA_SRC = REPO / "lambda_src"
#: The runtime domains in the order of their import direction (others found later are appended by name).
DOMAINS = ("core", "phone", "events", "sms", "audience", "campaigns", "bridge")


@dataclass(frozen=True)
class Prop:
    name: str
    annotation: str
    default: str | None  # source text (a simple module constant resolved to its value); None: required


@dataclass(frozen=True)
class Method:
    name: str
    signature: str
    doc: str


def page_name(cls: type) -> str:
    """``TwoWaySms`` -> ``two_way_sms``: the page of a construct is named after its class (for every construct
    but the core ones, that is also its module's name)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", cls.__name__).lower()


def construct_classes() -> list[type]:
    """Every public construct class that ``pinpoint_constructs`` exports, in ``__all__`` order."""
    from constructs import Construct  # noqa: PLC0415

    import pinpoint_constructs  # noqa: PLC0415 (after sys.path is set up by the caller)

    found = []
    for name in pinpoint_constructs.__all__:
        value = getattr(pinpoint_constructs, name)
        if isinstance(value, type) and issubclass(value, Construct):
            found.append(value)
    return found


def _function_node(func: Callable[..., Any]) -> ast.FunctionDef | ast.AsyncFunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    return node


def _own_init(cls: type) -> Callable[..., Any] | None:
    for klass in cls.__mro__:
        if "__init__" in vars(klass) and klass.__module__.startswith("pinpoint_constructs"):
            init: Callable[..., Any] = vars(klass)["__init__"]
            return init
    return None


def _default_text(node: ast.expr, module: types.ModuleType) -> str:
    if isinstance(node, ast.Name):
        value = getattr(module, node.id, None)
        if isinstance(value, str | int | float | bool | tuple | frozenset) and not isinstance(value, type):
            return repr(value)
    return ast.unparse(node)


def props(cls: type) -> list[Prop]:
    """The keyword-only parameters of the construct's ``__init__``, as written in its source."""
    init = _own_init(cls)
    if init is None:
        return []
    node = _function_node(init)
    module = sys.modules[init.__module__]
    found = []
    for argument, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
        annotation = ast.unparse(argument.annotation) if argument.annotation else ""
        found.append(Prop(argument.arg, annotation, None if default is None else _default_text(default, module)))
    return found


def methods(cls: type) -> list[Method]:
    """Public methods the library defines on the class (``grant_*`` first, then by name)."""
    found: dict[str, Method] = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("pinpoint_constructs"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in found or not inspect.isfunction(member):
                continue
            node = _function_node(member)
            arguments = ast.unparse(node.args)
            arguments = re.sub(r"^(self|cls)(, )?", "", arguments)
            returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
            found[name] = Method(name, f"{name}({arguments}){returns}", inspect.getdoc(member) or "")
    return sorted(found.values(), key=lambda method: (not method.name.startswith("grant_"), method.name))


def properties(cls: type) -> dict[str, str]:
    """Public properties the library defines on the class -> their docstrings."""
    found: dict[str, str] = {}
    for klass in cls.__mro__:
        if klass.__module__.startswith("pinpoint_constructs"):
            for name, member in vars(klass).items():
                if isinstance(member, property) and not name.startswith("_"):
                    found.setdefault(name, inspect.getdoc(member) or "")
    return found


def value_type(value: Any) -> str:
    """A short type name of an attribute's value (``sqs.Queue``, ``PythonFunction``, ``str``, ``None``)."""
    if value is None:
        return "None"
    kind = type(value)
    name = kind.__name__
    if name.startswith("_") and name.endswith("Proxy"):
        name = name[1:-5]
    module = kind.__module__
    if module.startswith("aws_cdk.aws_"):
        return f"{module.removeprefix('aws_cdk.aws_').split('.')[0]}.{name}"
    if module.startswith("aws_cdk"):
        return f"cdk.{name}"
    return name


def runtime_domains() -> list[str]:
    """The runtime's domains: :data:`DOMAINS` first, then any other subpackage or module of it."""
    import pinpoint_runtime  # noqa: PLC0415

    names = {info.name for info in pkgutil.iter_modules(pinpoint_runtime.__path__) if not info.name.startswith("_")}
    return [name for name in DOMAINS if name in names] + sorted(names - set(DOMAINS))


def domain_modules(domain: str) -> list[types.ModuleType]:
    """The package (or module) of a domain and every module below it, each imported, in path order."""
    package = importlib.import_module(f"pinpoint_runtime.{domain}")
    found = [package]
    if hasattr(package, "__path__"):
        for info in sorted(pkgutil.walk_packages(package.__path__, f"{package.__name__}."), key=lambda i: i.name):
            if not any(part.startswith("_") for part in info.name.split(".")):
                found.append(importlib.import_module(info.name))
    return found


def public_names(module: types.ModuleType) -> list[tuple[str, str, str]]:
    """(name, kind, first docstring line) of what a module offers: its ``__all__``, or else the classes and
    functions it defines and its upper-case constants, in source order."""
    source_order: list[str] = []
    constant_docs: dict[str, str] = {}
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        tree = ast.Module(body=[], type_ignores=[])
    body = tree.body
    for index, node in enumerate(body):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            source_order.append(node.name)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                source_order.append(target.id)
                following = body[index + 1] if index + 1 < len(body) else None
                if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                    constant_docs[target.id] = str(following.value.value)
    exported = getattr(module, "__all__", None)
    names = list(exported) if exported is not None else [n for n in source_order if not n.startswith("_")]
    found = []
    for name in names:
        value = getattr(module, name, None)
        if inspect.isclass(value):
            kind = "class"
        elif inspect.isfunction(value):
            kind = "function"
        elif inspect.ismodule(value):
            kind = "module"
        else:
            kind = "constant"
        doc = constant_docs.get(name, "") if kind == "constant" else (inspect.getdoc(value) or "")
        found.append((name, kind, doc.strip().split("\n\n")[0].replace("\n", " ")))
    return found


def settings_classes() -> list[type]:
    """Every settings class (``FunctionSettings`` subclass) of the imported runtime, by module and name."""
    from pinpoint_runtime.core.environment import FunctionSettings  # noqa: PLC0415

    def walk(base: type) -> Iterator[type]:
        sub: type
        for sub in base.__subclasses__():
            yield sub
            yield from walk(sub)

    return sorted(
        {c for c in walk(FunctionSettings) if dataclasses.is_dataclass(c)}, key=lambda c: (c.__module__, c.__qualname__)
    )


def settings_rows(settings_class: type[FunctionSettings]) -> list[tuple[str, str, str, str, str]]:
    """(variable, field, type, default, doc) of each variable of a settings class, in field order."""
    types_by_field: dict[str, Any] = {}
    for klass in reversed(settings_class.__mro__):  # the annotations as written (strings under PEP 563)
        types_by_field.update(vars(klass).get("__annotations__", {}))
    rows = []
    for name, spec in settings_class.environment_variables().items():
        annotation = types_by_field[spec.field]
        annotation = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
        default = "required" if spec.required else default_text(spec.default)
        rows.append((name, spec.field, annotation, default, spec.doc))
    return rows


def default_text(value: Any) -> str:
    """A default as the code would spell it: ``KeyType.USER_ID`` for an Enum member, else its ``repr``."""
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def option_classes(cls: type, annotation: str) -> list[type]:
    """The dataclasses of the library that a prop's annotation names (typed option objects), resolved in the
    construct's module."""
    module = sys.modules[cls.__module__]
    found = []
    for name in re.findall(r"[A-Za-z_][\w.]*", annotation):
        value: Any = module
        for part in name.split("."):
            value = getattr(value, part, None)
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__.startswith("pinpoint_"):
            found.append(value)
    return found


def option_fields(option: type) -> list[Prop]:
    """The fields of an option dataclass, with their annotations and defaults as written."""
    found = []
    for item in dataclasses.fields(option):
        annotation = item.type if isinstance(item.type, str) else getattr(item.type, "__name__", str(item.type))
        if item.default is not dataclasses.MISSING:
            default: str | None = default_text(item.default)
        elif item.default_factory is not dataclasses.MISSING:
            default = f"{getattr(item.default_factory, '__name__', 'factory')}()"
        else:
            default = None
        found.append(Prop(item.name, annotation, default))
    return found


def handler_settings(folder: str) -> tuple[type, ...] | None:
    """The ``SETTINGS`` a function folder's handler declares (``None``: not declared yet)."""
    module = importlib.import_module(f"{folder}.handler")
    return getattr(module, "SETTINGS", None)


def function_folders() -> list[str]:
    return sorted(path.parent.name for path in LAMBDA_SRC.glob("*/handler.py"))


def first_line(path: Path) -> str:
    """The first paragraph of a Python file's module docstring, as one line (``""`` if it has none)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text()))
    except (OSError, SyntaxError):
        return ""
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")
