"""Writes on a directory's mailing lists."""

from __future__ import annotations

from django.core.cache import cache

from connections.qualtrics_client import connection_client

from ..selectors import owner_choices_cache_key


def mailing_list_create(*, connection, actor, directory_id: str, name: str, owner_id: str = "") -> str:
    client = connection_client(connection, actor=actor)
    result = client.mailing_lists.create(directory_id, name=name, owner_id=owner_id or None)
    _forget_owner_cache(connection)
    return result["id"]


def mailing_list_update(*, connection, actor, directory_id: str, mailing_list_id: str, name: str,
                        owner_id: str = "") -> None:
    connection_client(connection, actor=actor).mailing_lists.update(
        directory_id, mailing_list_id, name=name, owner_id=owner_id or None
    )


def mailing_list_delete(*, connection, actor, directory_id: str, mailing_list_id: str) -> None:
    """Delete the list; its contacts stay in the directory."""
    connection_client(connection, actor=actor).mailing_lists.delete(directory_id, mailing_list_id)


def _forget_owner_cache(connection) -> None:
    """A new list's owner may be new to the cached choices: read them afresh next time."""
    cache.delete(owner_choices_cache_key(connection))
