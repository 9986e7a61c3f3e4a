"""Answers kept for a connection: reused while nothing was written through it, dropped by any write."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from connections.kept_reads import KeptRead, WriteStamp


def call(method: str, path: str):
    return SimpleNamespace(method=method, path=path)


@pytest.fixture
def connection():
    return SimpleNamespace(pk=7)


def test_an_answer_kept_is_found_again(connection):
    first = KeptRead(connection, "directory-count:POOL_1", seconds=60)
    assert not first.found and first.value is None
    first.keep(412)
    again = KeptRead(connection, "directory-count:POOL_1", seconds=60)
    assert again.found and again.value == 412
    other = KeptRead(SimpleNamespace(pk=8), "directory-count:POOL_1", seconds=60)
    assert not other.found


def test_a_kept_none_counts_as_found(connection):
    KeptRead(connection, "x", seconds=60).keep(None)
    assert KeptRead(connection, "x", seconds=60).found


def test_a_write_through_the_connection_drops_what_was_kept(connection):
    KeptRead(connection, "directory-count:POOL_1", seconds=60).keep(412)
    stamp = WriteStamp(connection.pk)
    stamp(call("GET", "/directories/POOL_1/contacts"))
    stamp(call("POST", "/directories/POOL_1/contacts/search"))  # a search, though a POST, writes nothing
    stamp(call("POST", "/distributions"))  # a write that changes no answer kept here
    assert KeptRead(connection, "directory-count:POOL_1", seconds=60).value == 412
    stamp(call("POST", "/directories/POOL_1/contacts"))
    assert not KeptRead(connection, "directory-count:POOL_1", seconds=60).found
    KeptRead(connection, "directory-count:POOL_1", seconds=60).keep(413)
    assert KeptRead(connection, "directory-count:POOL_1", seconds=60).value == 413
    WriteStamp(99)(call("DELETE", "/directories/POOL_1/contacts/CID_1"))  # another connection's write
    assert KeptRead(connection, "directory-count:POOL_1", seconds=60).value == 413


def test_an_answer_read_before_a_write_is_not_kept_as_fresh(connection):
    """A page that started reading before a write finished keeps its answer under the older stamp."""
    reading = KeptRead(connection, "directory-count:POOL_1", seconds=60)
    WriteStamp(connection.pk)(call("PUT", "/directories/POOL_1/contacts/CID_1"))
    reading.keep(412)
    assert not KeptRead(connection, "directory-count:POOL_1", seconds=60).found


def test_an_answer_is_kept_only_its_time(connection, monkeypatch):
    from django.core.cache import cache

    seconds = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, value, timeout=None: (seconds.append(timeout),
                                                                       real_set(key, value, timeout)))
    KeptRead(connection, "x", seconds=60).keep(1)
    assert seconds == [60]


def test_each_thread_builds_the_shared_rate_limiter_once_per_settings(settings):
    """Every client of a page or task takes the same limiter (its route budgets compiled once), and a
    change of the budget's settings is taken into account at once."""
    import threading

    from connections.qualtrics_client import shared_rate_limiter

    first = shared_rate_limiter()
    assert shared_rate_limiter() is first
    other: list = []
    thread = threading.Thread(target=lambda: other.append(shared_rate_limiter()))
    thread.start()
    thread.join()
    assert other[0] is not first  # Django's cache objects are per thread, and so is the limiter on one
    settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE = 1200
    changed = shared_rate_limiter()
    assert changed is not first and changed.shared.brand_budget == 1200
    assert shared_rate_limiter() is changed
