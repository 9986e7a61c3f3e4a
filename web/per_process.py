"""Objects built once per process: a worker forked from a parent that already built one builds its own
(sockets and threads do not survive a fork)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerProcess(Generic[T]):
    """`shared = PerProcess(factory)`; `shared.get()` builds on first use in each process."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: dict[int, T] = {}
        self._lock = threading.Lock()

    def get(self) -> T:
        pid = os.getpid()
        value = self._values.get(pid)
        if value is None:
            with self._lock:
                value = self._values.get(pid)
                if value is None:
                    value = self._values[pid] = self._factory()
        return value
