"""Qualtrics answers a page may reuse for a short while, dropped as soon as the portal writes to the directory
through the same connection.

A list page that shows a count beside its rows (a directory's contacts) would otherwise ask Qualtrics twice
for every page it shows. Each write the portal makes to a directory through a connection's client stamps
the connection (`WriteStamp`, one of the client's hooks); an answer is kept with the stamp it was read under
and reused only while the stamp is unchanged and the answer younger than its time to live. A change made in Qualtrics
itself shows once that time has passed.

Everything here uses the cache only, so background reads (web.background) may use it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.utils.functional import cached_property

from web.cache import get_many_unawaited

from .audit import is_write

STAMP_SECONDS = 24 * 3600  # longer than any answer is kept
# The routes whose writes may change an answer kept here (a directory's contact count): other writes, such as
# a distribution's, cost no round trip to the cache.
STAMPED_PATHS = ("/directories/",)


def _stamp_key(connection_id: int) -> str:
    return f"qualtrics-writes:{connection_id}"


class WriteStamp:
    """A client hook: every write through the connection to a route of STAMPED_PATHS, answered or not, drops
    what was kept."""

    def __init__(self, connection_id: int):
        self.connection_id = connection_id

    def __call__(self, record) -> None:
        if record.path.startswith(STAMPED_PATHS) and is_write(record.method, record.path):
            cache.set(_stamp_key(self.connection_id), time.time_ns(), STAMP_SECONDS)


class KeptRead:
    """One answer kept for a connection: `kept = KeptRead(connection, "directory-count:POOL_…", seconds=60)` asks
    the cache; `kept.found` and `kept.value` wait for its answer (so work done in between costs no round trip);
    `kept.keep(value)` after reading Qualtrics."""

    def __init__(self, connection, name: str, *, seconds: int):
        self.key = f"qualtrics-kept:{connection.pk}:{name}"
        self.seconds = seconds
        self._stamp_key = _stamp_key(connection.pk)
        self._answer = get_many_unawaited([self._stamp_key, self.key])

    @cached_property
    def _found(self) -> dict:
        return self._answer()

    @property
    def stamp(self) -> int:
        return self._found.get(self._stamp_key, 0)

    @property
    def found(self) -> bool:
        kept = self._found.get(self.key)
        return isinstance(kept, tuple) and len(kept) == 2 and kept[0] == self.stamp

    @property
    def value(self) -> Any:
        return self._found[self.key][1] if self.found else None

    def keep(self, value: Any) -> None:
        """Keep `value`, read under the stamp seen when this was made: a write since then (its stamp is
        newer) means it is not reused."""
        cache.set(self.key, (self.stamp, value), self.seconds)
