"""How the console answers the connections app's hooks (connected in ApiConsoleConfig.ready())."""

from __future__ import annotations

from . import selectors


def console_section_visible(sender, *, section, connection, user, role, **kwargs) -> bool | None:
    """The console shows in the navigation only to those who may use it on this connection."""
    if section != "console":
        return None
    return selectors.may_use_console(connection=connection, role=role)
