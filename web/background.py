"""Qualtrics reads started ahead, so a page's layout renders while Qualtrics answers.

A list screen spends most of its time waiting for Qualtrics. `start(fn)` (or `start_request(fn)`, which
returns once the request has left) runs `fn` on a small pool of threads and returns a Future; the view
renders its layout meanwhile and waits only where the table needs the answer. Functions run here may
call Qualtrics, the cache and the settings, never the database: a background thread has no request
transaction and must not open connections of its own, so any query from one fails loudly
(`DatabaseFromBackground`) instead of opening one.
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


_task = threading.local()


def request_sent() -> None:
    """Called by the HTTP layer as a request leaves this thread: a task started with `start_request`
    running here has its request on its way, and whoever started it may carry on."""
    leaving = getattr(_task, "request_sent", None)
    if leaving is not None:
        leaving.set()


def _start(fn: Callable[..., Any], args, kwargs, *, until_sent: bool) -> Future:
    begun, sent = threading.Event(), threading.Event()

    def run():
        begun.set()
        _task.request_sent = sent
        try:
            return fn(*args, **kwargs)
        finally:
            sent.set()
            _task.request_sent = None

    future = _pool.get().submit(run)  # threads start as they are needed
    # A busy pool: carry on, the answer is awaited later anyway.
    (sent if until_sent else begun).wait(timeout=0.05)
    return future


def start(fn: Callable[..., Any], /, *args, **kwargs) -> Future:
    """Run `fn` on the pool; returns once it has begun, so the two threads do not queue for the
    interpreter lock while the caller renders. For many reads started at once."""
    return _start(fn, args, kwargs, until_sent=False)


def start_request(fn: Callable[..., Any], /, *args, **kwargs) -> Future:
    """Run `fn` on the pool; returns once its first request has left (see `request_sent`), or it ended.

    What comes before the request (the client's set-up, the rate budget's round trips to the shared
    cache) then runs while the caller waits rather than while it renders: a thread coming back from each
    of those round trips would otherwise queue for the interpreter lock behind the rendering. For the
    one read a page waits for."""
    return _start(fn, args, kwargs, until_sent=True)
