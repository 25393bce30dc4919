"""Objects a Lambda function builds once per process and keeps across warm invocations (clients, caches,
rate limiters), with a reset for tests that change the environment between cases."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """``current = PerProcess(factory)``: ``current()`` builds the value on first use and then returns the same
    one; ``current.reset()`` forgets it."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None

    def __call__(self) -> T:
        if self._value is None:
            self._value = self._factory()
        return self._value

    def reset(self) -> None:
        self._value = None


class EnvironmentBuiltEntryPoint:
    """Base of a built-in function's entry point: ``current()`` is the object ``build(os.environ)`` made once per
    process, ``reset()`` forgets it, ``logger`` is the function's (Powertools) logger."""

    def __init__(self, build: Callable[[Mapping[str, str]], Any], logger: Any) -> None:
        self.current: PerProcess[Any] = PerProcess(lambda: build(os.environ))
        self.reset = self.current.reset
        self.logger = logger
