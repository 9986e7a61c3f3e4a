"""The suite's cache clearing keeps to its own test process when the processes share one Redis."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from tests.fixtures.cache import clear_own_cache

pytestmark = pytest.mark.services


def test_one_workers_clear_leaves_another_workers_keys():
    location = settings.CACHES["default"]["LOCATION"]
    run = uuid.uuid4().hex[:8]
    mine = RedisCache(location, {"KEY_PREFIX": f"{run}-gw0"})
    theirs = RedisCache(location, {"KEY_PREFIX": f"{run}-gw1"})
    for number in range(1500):  # more than one batch of deletions
        mine.set(f"page:{number}", number)
    theirs.set("page:1", "kept")
    clear_own_cache(mine)
    assert mine.get("page:1") is None and mine.get("page:1499") is None
    assert theirs.get("page:1") == "kept"
    theirs.delete("page:1")
