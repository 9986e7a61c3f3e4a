"""The signed-in user, kept in the cache between requests.

Every page loads the signed-in user and profile before anything else, and before it can call Qualtrics: from
the database that was the page's slowest step (a query of about a millisecond). Kept here, it costs one round
trip to the cache, shared with a check that it is still current.

Saving or deleting a user or its profile stamps the user as changed (at once, and again when the transaction
commits); a kept copy read before the latest stamp is never used, so a password change or a deactivation
applies to the very next request, even when a request read the old row while the change was being made.
A bulk `update()` of users sends no signal: what it changes shows once the copy expires (KEPT_SECONDS).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

KEPT_SECONDS = 60
STAMP_SECONDS = 2 * KEPT_SECONDS  # outlives every copy kept before it


def _kept_key(user_id) -> str:
    return f"accounts:signed-in:{user_id}"


def _changed_key(user_id) -> str:
    return f"accounts:signed-in-changed:{user_id}"


def signed_in_user(user_id, load: Callable[[], object | None]):
    """The user with `user_id` as `load()` reads it from the database, or its copy kept since the last change."""
    found = cache.get_many([_kept_key(user_id), _changed_key(user_id)])
    kept, changed = found.get(_kept_key(user_id)), found.get(_changed_key(user_id), 0)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] > changed:
        return kept[1]
    read_at = time.time_ns()  # before reading: a change committed during the read is newer than this copy
    user = load()
    if user is not None:
        cache.set(_kept_key(user_id), (read_at, user), KEPT_SECONDS)
    return user


def user_changed(user_id) -> None:
    """The user (or its profile) was saved or deleted: no copy read before now is used again."""
    _stamp(user_id)
    transaction.on_commit(lambda: _stamp(user_id))


def _stamp(user_id) -> None:
    cache.set(_changed_key(user_id), time.time_ns(), STAMP_SECONDS)


def on_user_saved(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        user_changed(instance.pk)


def on_profile_saved(sender, instance, **kwargs) -> None:
    if instance.user_id is not None:
        user_changed(instance.user_id)
