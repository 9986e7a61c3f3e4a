"""A directory's mailing lists: list, create, rename, delete."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from connections.access import connection_view
from connections.models import Role
from web.crud import Column, CrudDeleteView, CrudFormView, CrudListView

from .. import selectors, services
from ..forms import MailingListForm
from .base import DirectoryMixin

# --- Mailing lists ------------------------------------------------------------------------------


class MailingListMixin(DirectoryMixin):
    resource = "contacts:mailinglist"
    verbose_name = "mailing list"
    id_field = "mailingListId"
    object_kwarg = "mailing_list_id"
    tab = "lists"

    def get_object(self):
        return selectors.mailing_list_get(**self.connection_and_actor(), directory_id=self.directory_id,
                                          mailing_list_id=self.kwargs["mailing_list_id"])

    @cached_property
    def owners(self) -> dict:
        return selectors.owner_choices(**self.connection_and_actor())

    def owner_name(self, item) -> str:
        return selectors.owner_label(owners=self.owners, owner_id=item.get("ownerId") or "")


class MailingListListView(MailingListMixin, CrudListView):
    fetch_in_background = True
    template_name = "contacts/mailinglist_list.html"
    page_sizes = (25, 50, 100)
    default_page_size = 50
    empty_message = "No mailing lists in this directory yet."

    @property
    def columns(self):
        return [
            Column("Name", "name", link=True),
            Column("Owner", self.owner_name),
            Column("Contacts", "contactCount", kind="number", css="text-end"),
            Column("Created", "creationDate", kind="date"),
            Column("Modified", "lastModifiedDate", kind="datetime"),
        ]

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.mailing_list_page(**self.connection_and_actor(), directory_id=self.directory_id,
                                           page_size=page_size, cursor=cursor)

    row_url_name = "contacts:member_list"


class MailingListFormView(MailingListMixin, CrudFormView):
    form_class = MailingListForm
    template_name = "contacts/mailinglist_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["owners"] = self.owners
        return kwargs

    def initial_from(self, obj) -> dict:
        return {"name": obj.get("name", ""), "owner": obj.get("ownerId", "")}

    def form_title(self) -> str:
        return "New mailing list" if self.is_create else "Rename or change owner"

    def save(self, form):
        owner = form.owner_value()
        if self.is_create:
            return services.mailing_list_create(**self.connection_and_actor(), directory_id=self.directory_id,
                                                name=form.cleaned_data["name"], owner_id=owner)
        services.mailing_list_update(**self.connection_and_actor(), directory_id=self.directory_id,
                                     mailing_list_id=self.kwargs["mailing_list_id"], name=form.cleaned_data["name"],
                                     owner_id=owner)
        return self.kwargs["mailing_list_id"]

    def success_url_for(self, result) -> str:
        return reverse("contacts:member_list", kwargs=self.url_kwargs(mailing_list_id=result))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["owner_error"] = self.owners.get("error", "")
        return context


class MailingListDeleteView(MailingListMixin, CrudDeleteView):
    def consequences(self, obj):
        count = obj.get("contactCount")
        if count is None:
            yield "Its contacts leave the list."
        else:
            yield f"Its {count:,} contact{'' if count == 1 else 's'} leave the list (Qualtrics' count, approximate)."
        yield "The contacts stay in the directory and on their other mailing lists."
        yield "Distributions scheduled to this list will fail to send."

    def delete(self, obj):
        services.mailing_list_delete(**self.connection_and_actor(), directory_id=self.directory_id,
                                     mailing_list_id=self.kwargs["mailing_list_id"])

    def detail_url(self, obj):
        return reverse("contacts:member_list", kwargs=self.url_kwargs(mailing_list_id=self.kwargs["mailing_list_id"]))


@require_GET
@connection_view(Role.VIEWER)
def mailinglist_detail(request, connection_id, directory_id, mailing_list_id):
    return redirect("contacts:member_list", connection_id=connection_id, directory_id=directory_id,
                    mailing_list_id=mailing_list_id)
