"""What every resource shares: the client it calls through, and how its paths are built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..http import segment

if TYPE_CHECKING:
    from ..http import BaseClient


def path(*segments: str) -> str:
    """A path relative to the API's base URL; IDs in it must have gone through ``segment``."""
    return "/" + "/".join(segments)


class Resource:
    """A group of related calls, reached as an attribute of the client (``client.users``)."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


__all__ = ["Resource", "path", "segment"]
