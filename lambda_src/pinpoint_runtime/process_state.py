"""Objects a Lambda function builds once per process and keeps across warm invocations (clients, caches,
rate limiters), with a reset for tests that change the environment between cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

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
