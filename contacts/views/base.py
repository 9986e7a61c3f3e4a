"""What every XM Directory screen shares: the directory in the URL and its name in the heading."""

from __future__ import annotations

import re

from connections.scoping import ConnectionViewMixin
from web.htmx import is_partial

from .. import selectors

# --- Shared pieces ------------------------------------------------------------------------------


def full_name(item: dict) -> str:
    name = " ".join(p for p in (item.get("firstName"), item.get("lastName")) if p)
    return name or item.get("email") or item.get("extRef") or item.get("phone") or "(no name)"


def label_from_key(key: str) -> str:
    """"AvgTimeToRespond" -> "Avg time to respond"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).capitalize()


class DirectoryMixin(ConnectionViewMixin):
    """Screens under one directory (and optionally one mailing list)."""

    parent_kwargs_names = ("directory_id",)
    tab = "contacts"

    @property
    def directory_id(self) -> str:
        return self.kwargs["directory_id"]

    @property
    def mailing_list_id(self) -> str | None:
        return self.kwargs.get("mailing_list_id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(directory_id=self.directory_id, tab=self.tab)
        if not is_partial(self.request):
            context["directory_name"] = selectors.directory_name(**self.connection_and_actor(),
                                                                 directory_id=self.directory_id)
        return context

