"""What every XM Directory screen shares: the directory in the URL and its name in the heading."""

from __future__ import annotations

import re

from django.urls import reverse

from connections.scoping import ConnectionViewMixin
from web.errors import error_response, page_status
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



class ObjectListErrors:
    """A list screen of one object (a contact's transactions, a batch's members): when Qualtrics cannot give
    the object, the page explains it like the object's own page would (404 when it is gone)."""

    back_url_name = "contacts:contact_list"
    back_label = "Back to the contacts"

    def error_response(self, exc):
        if is_partial(self.request):
            return super().error_response(exc)
        back = reverse(self.back_url_name, kwargs={"connection_id": self.connection.pk,
                                                   "directory_id": self.directory_id})
        context = {"back_url": back, "back_label": self.back_label}
        return error_response(self.request, self.explain_error(exc), context=context, status=page_status(exc))
