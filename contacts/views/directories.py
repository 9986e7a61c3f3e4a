"""The connection's XM directories."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from connections.scoping import ConnectionViewMixin
from qualtrics import Page
from web.crud import Column, CrudListView
from web.errors import EXPLAINABLE_ERRORS

from .. import selectors

# --- Directories --------------------------------------------------------------------------------


class DirectoryListView(ConnectionViewMixin, CrudListView):
    """The connection's directories; with only one, go straight to its contacts."""

    resource = "contacts:directory"
    verbose_name = "directory"
    verbose_name_plural = "XM directories"
    template_name = "contacts/directory_list.html"
    columns = [
        Column("Directory", "name", link=True),
        Column("Contacts", "contactCount", kind="number", css="text-end"),
        Column("Default", "isDefault", kind="bool"),
        Column("De-duplicated on", selectors.directory_dedup_label),
        Column("ID", "directoryId", kind="mono"),
    ]
    empty_message = "This brand has no XM Directory, or the connection's user cannot see it."

    def get(self, request, *args, **kwargs):
        try:
            self.directories = selectors.directory_list(connection=self.connection, actor=request.user)
        except EXPLAINABLE_ERRORS as exc:
            self.directories = exc  # explained in the table
        if isinstance(self.directories, list) and len(self.directories) == 1 and "all" not in request.GET:
            only = self.directories[0]["directoryId"]
            return redirect("contacts:contact_list", connection_id=self.connection.pk, directory_id=only)
        return super().get(request, *args, **kwargs)

    def fetch_page(self, *, cursor, page_size, search):
        if isinstance(self.directories, Exception):
            raise self.directories
        return Page(items=self.directories, total=len(self.directories))

    def list_url(self):
        return reverse("contacts:home", kwargs={"connection_id": self.connection.pk})

    def row_url(self, item):
        return reverse("contacts:contact_list",
                       kwargs={"connection_id": self.connection.pk, "directory_id": item["directoryId"]})

    def create_url(self):
        return None
