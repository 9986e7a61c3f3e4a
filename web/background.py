"""Qualtrics reads started ahead, so a page's layout renders while Qualtrics answers.

A list screen spends most of its time waiting for Qualtrics. `start(fn)` runs `fn` on a small pool of
threads and returns a Future; the view renders its layout meanwhile and waits only where the table
needs the answer. Functions run here may call Qualtrics, the cache and the settings, never the
database: a background thread has no request transaction and must not open connections of its own,
so any query from one fails loudly (`DatabaseFromBackground`) instead of opening one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import connections

from .per_process import PerProcess

MAX_THREADS = 16


class DatabaseFromBackground(RuntimeError):
    """Code started with `start()` tried to query the database."""


def _refuse_database(*args, **kwargs):
    raise DatabaseFromBackground(
        "A background Qualtrics read tried to use the database; load what it needs before starting it."
    )


def _prepare_thread() -> None:
    """This thread's database connections refuse to open (connections are per thread)."""
    for alias in connections:
        connections[alias].ensure_connection = _refuse_database


_pool = PerProcess(lambda: ThreadPoolExecutor(
    max_workers=MAX_THREADS, thread_name_prefix="qualtrics-read", initializer=_prepare_thread
))


def start(fn: Callable[..., Any], /, *args, **kwargs) -> Future:
    """Run `fn` on the pool; returns once it has begun (its request on its way), so the two threads
    do not queue for the interpreter lock while the caller renders."""
    begun = threading.Event()

    def run():
        begun.set()
        return fn(*args, **kwargs)

    future = _pool.get().submit(run)  # threads start as they are needed
    begun.wait(timeout=0.05)  # a busy pool: carry on, the answer is awaited later anyway
    return future
