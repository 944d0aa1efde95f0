"""Lazily opened resources, so building a graph opens no client or model."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """A value made by ``factory`` on first use, once, thread-safely."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def of(cls, value: T | Lazy[T]) -> Lazy[T]:
        """Wrap a ready value (or pass a ``Lazy`` through)."""
        if isinstance(value, Lazy):
            return value
        lazy: Lazy[T] = cls(lambda: value)
        lazy._value, lazy._ready = value, True
        return lazy

    def get(self) -> T:
        """Return the value, making it on first call."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._value = self._factory()
                    self._ready = True
        return self._value  # type: ignore[return-value]

    async def aget(self) -> T:
        """``get`` for async code: the first (blocking) making runs in a worker thread."""
        if self._ready:
            return self._value  # type: ignore[return-value]
        return await asyncio.to_thread(self.get)
