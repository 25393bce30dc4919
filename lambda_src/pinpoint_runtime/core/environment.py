"""Function settings: written by a construct, read by its function, through one typed object.

A settings class is a frozen dataclass of :class:`FunctionSettings` whose fields are declared with
:func:`variable`, so that the name of each environment variable, its default and its encoding exist once::

    @dataclass(frozen=True)
    class ImportSettings(FunctionSettings):
        construct: ClassVar[str] = "S3TriggeredImport"
        results_bucket: str = variable("IMPORT_RESULTS_BUCKET")
        rows_per_chunk: int = variable("IMPORT_ROWS_PER_CHUNK", default=2000)
        strip_pii_from_rejects: bool = variable("IMPORT_STRIP_PII_FROM_REJECTS", default=True)

The construct builds ``ImportSettings(results_bucket=bucket.bucket_name, ...)`` and gives it to its function
(``PythonFunction(settings=[...])`` writes :meth:`FunctionSettings.to_environment`); the function reads
``ImportSettings.from_environment()``. A variable without a default must be set; one whose value is ``None`` is
left out of the environment. The encoding follows the field's type (``str``, ``int``, ``float``, ``bool``,
``list``/``tuple``/``frozenset`` of ``str``, ``dict``, an :class:`enum.Enum` (by value), each optionally
``| None``) or an explicit :class:`Codec`.

Each handler declares the settings classes it reads (``SETTINGS = (ImportSettings,)``); a test checks that every
variable a construct writes is one its function reads and that every required one is written, and that no runtime
code reads ``os.environ`` outside this module.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

_Settings = TypeVar("_Settings", bound="FunctionSettings")

_REQUIRED: Any = dataclasses.MISSING


class SettingsError(RuntimeError):
    """A function's environment does not hold valid settings (the message names the variable)."""


@dataclass(frozen=True)
class Codec:
    """How a value is written into an environment variable (``encode``) and read back (``decode``)."""

    encode: Callable[[Any], str]
    decode: Callable[[str], Any]


def _decode_flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("must be true or false")


def _decode_json(kind: type) -> Callable[[str], Any]:
    def decode(text: str) -> Any:
        value = json.loads(text)
        if not isinstance(value, kind):
            raise ValueError(f"must be a JSON {'object' if kind is dict else 'array'}")
        return value

    return decode


def _encode_number(value: float) -> str:
    """``10`` for 10.0, ``2.5`` for 2.5: integral numbers without a fraction, others as ``repr`` writes them."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


TEXT = Codec(encode=str, decode=str)
INTEGER = Codec(encode=lambda value: str(int(value)), decode=int)
NUMBER = Codec(encode=_encode_number, decode=float)
FLAG = Codec(encode=lambda value: "true" if value else "false", decode=_decode_flag)
JSON_LIST = Codec(encode=lambda value: json.dumps(list(value)), decode=_decode_json(list))
JSON_OBJECT = Codec(encode=lambda value: json.dumps(dict(value)), decode=_decode_json(dict))
COMMA_LIST = Codec(
    encode=lambda value: ",".join(value),
    decode=lambda text: tuple(part.strip() for part in text.split(",") if part.strip()),
)


def variable(
    name: str,
    *,
    default: Any = _REQUIRED,
    codec: Codec | None = None,
    empty_is_unset: bool = True,
    doc: str = "",
) -> Any:
    """A settings field stored in the environment variable ``name``.

    ``default``: the value when the variable is unset (omitted: the variable is required). ``codec``: the encoding
    (omitted: from the field's type). ``empty_is_unset``: an empty value counts as unset (the default) rather than
    being decoded. ``doc``: what the setting is, for the documentation.
    """
    metadata = {"environment_variable": name, "codec": codec, "empty_is_unset": empty_is_unset, "doc": doc}
    if default is _REQUIRED:
        return dataclasses.field(metadata=metadata)
    if isinstance(default, (list, dict, set)):
        raise TypeError(
            f"{name}: use a tuple, frozenset or None as the default, not a mutable {type(default).__name__}"
        )
    return dataclasses.field(default=default, metadata=metadata)


def _codec_for(annotation: Any) -> Codec:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _codec_for(members[0])
        raise TypeError(f"no codec for {annotation}: give one")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        enum_type = annotation
        return Codec(encode=lambda value: str(enum_type(value).value), decode=lambda text: enum_type(text.strip()))
    if annotation is str:
        return TEXT
    if annotation is bool:
        return FLAG
    if annotation is int:
        return INTEGER
    if annotation is float:
        return NUMBER
    if origin in (list, tuple, frozenset):
        base = JSON_LIST
        convert = {list: list, tuple: tuple, frozenset: frozenset}[origin]
        return Codec(encode=base.encode, decode=lambda text: convert(base.decode(text)))
    if origin is dict or annotation is dict:
        return JSON_OBJECT
    raise TypeError(f"no codec for {annotation}: give one")


@dataclass(frozen=True)
class _Variable:
    field: str
    name: str
    codec: Codec
    required: bool
    default: Any
    empty_is_unset: bool
    doc: str


class FunctionSettings:
    """Base of the settings classes (frozen dataclasses whose fields are :func:`variable` s)."""

    construct: ClassVar[str] = "the library's construct"
    """The construct that writes these settings (named in errors about a missing variable)."""

    @classmethod
    def environment_variables(cls) -> dict[str, _Variable]:
        """Environment variable name -> its declaration, in field order."""
        cached = cls.__dict__.get("_variables_cache")
        if cached is not None:
            return cached
        hints = typing.get_type_hints(cls)
        declared: dict[str, _Variable] = {}
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            name = item.metadata.get("environment_variable")
            if name is None:
                raise TypeError(f"{cls.__name__}.{item.name} is not declared with variable()")
            if name in declared:
                raise TypeError(f"{cls.__name__}: {name} is declared twice")
            declared[name] = _Variable(
                field=item.name,
                name=name,
                codec=item.metadata["codec"] or _codec_for(hints[item.name]),
                required=item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING,
                default=None if item.default is dataclasses.MISSING else item.default,
                empty_is_unset=item.metadata["empty_is_unset"],
                doc=item.metadata["doc"],
            )
        cls._variables_cache = declared  # type: ignore[attr-defined]
        return declared

    @classmethod
    def required_variables(cls) -> frozenset[str]:
        return frozenset(name for name, spec in cls.environment_variables().items() if spec.required)

    def to_environment(self) -> dict[str, str]:
        """The environment variables that hold these settings (``None`` values are left out)."""
        environment: dict[str, str] = {}
        for name, spec in self.environment_variables().items():
            value = getattr(self, spec.field)
            if value is not None:
                environment[name] = spec.codec.encode(value)
        return environment

    @classmethod
    def from_environment(cls: type[_Settings], environ: Mapping[str, str] | None = None) -> _Settings:
        """The settings held in ``environ`` (default ``os.environ``); :class:`SettingsError` names what is wrong."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, spec in cls.environment_variables().items():
            raw = env.get(name)
            if raw is None or (raw == "" and spec.empty_is_unset):
                if spec.required:
                    raise SettingsError(f"{name} is not set (the {cls.construct} construct sets it)")
                continue
            try:
                values[spec.field] = spec.codec.decode(raw)
            except (ValueError, TypeError) as error:
                raise SettingsError(f"{name} is invalid: {error}") from None
        try:
            return cls(**values)
        except (ValueError, TypeError) as error:
            raise SettingsError(f"{cls.__name__}: {error}") from None

    @classmethod
    def from_environment_if_set(cls: type[_Settings], environ: Mapping[str, str] | None = None) -> _Settings | None:
        """The settings, or ``None`` when none of their variables is set (an optional attachment, e.g. the event
        lake or an opt-out list, that the construct did not configure)."""
        env = os.environ if environ is None else environ
        if not any(env.get(name) for name in cls.environment_variables()):
            return None
        return cls.from_environment(env)


LAMBDA_RUNTIME_VARIABLES = frozenset({"_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME"})
"""Variables the Lambda runtime itself sets (not settings of a construct)."""


def lambda_runtime_variable(name: str) -> str | None:
    """The value of a variable the Lambda runtime sets, e.g. ``_X_AMZN_TRACE_ID`` (per invocation)."""
    if name not in LAMBDA_RUNTIME_VARIABLES:
        raise ValueError(f"{name} is not set by the Lambda runtime: declare it as a setting")
    return os.environ.get(name)
