"""The props convention shared by every construct (modelled on AWS Solutions Constructs).

For each underlying service a construct offers three choices:

* pass nothing: the construct builds the resource from secure defaults;
* pass ``<x>_props``: a partial props object (an aws-cdk-lib ``XxxProps`` struct or a plain mapping) that is
  deep-merged over the secure defaults (plain mappings merge key by key, lists and CDK objects replace);
* pass ``existing_<x>_obj``: bring your own resource.

Passing both ``<x>_props`` and ``existing_<x>_obj`` is an error. Every conflict of one construct call is collected
and reported in a single :class:`PropsConflictError`, so a caller fixes them all at once.

Merge order (lowest to highest): secure defaults < caller props < construct-required props. Overriding a secure
default is allowed but leaves a warning annotation on the construct, so ``cdk synth`` shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import aws_cdk as cdk
from constructs import Construct


class PropsConflictError(ValueError):
    """Raised once per construct call with every conflicting or invalid prop listed."""

    def __init__(self, construct_name: str, problems: Iterable[str]) -> None:
        self.construct_name = construct_name
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{construct_name}: {len(self.problems)} invalid prop(s):\n{lines}")


class PropsValidation:
    """Collects prop problems of one construct call; :meth:`raise_if_any` raises them together."""

    def __init__(self, construct_name: str) -> None:
        self.construct_name = construct_name
        self.problems: list[str] = []

    def exclusive(self, props_name: str, props: Any, existing_name: str, existing: Any) -> None:
        """Record an error when both the partial props and the existing object are given."""
        if props is not None and existing is not None:
            self.problems.append(f"Either provide {props_name} or {existing_name}, but not both.")

    def require(self, condition: bool, message: str) -> None:
        """Record ``message`` when ``condition`` is false."""
        if not condition:
            self.problems.append(message)

    def raise_if_any(self) -> None:
        if self.problems:
            raise PropsConflictError(self.construct_name, self.problems)


def props_to_dict(props: Any) -> dict[str, Any]:
    """A plain dict of a props value: ``None``, a mapping, or a jsii struct such as ``s3.BucketProps``.

    jsii structs keep their fields in ``_values``; this is the one place the library reads it.
    """
    if props is None:
        return {}
    if isinstance(props, Mapping):
        return dict(props)
    values = getattr(props, "_values", None)
    if isinstance(values, Mapping):
        return dict(values)
    raise TypeError(f"expected a props struct or a mapping, got {type(props).__name__}")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: nested plain mappings merge, everything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def consolidate_props(
    scope: Construct,
    defaults: Mapping[str, Any],
    user_props: Any = None,
    required: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Secure defaults < caller props < construct-required props, warning when a caller overrides a default."""
    user = props_to_dict(user_props)
    for key, value in user.items():
        if key in defaults and not _same(defaults[key], value):
            cdk.Annotations.of(scope).add_warning_v2(
                f"pinpoint-constructs:override-{key}",
                f"An override has been provided for the secure default '{key}'.",
            )
    merged = deep_merge(defaults, user)
    return deep_merge(merged, required or {})


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 (jsii objects may raise anything when compared)
        return a is b
