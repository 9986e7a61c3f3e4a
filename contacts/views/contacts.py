"""A directory's contacts: list and search, detail, create or update, edit with embedded data, delete."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from connections.access import connection_view
from connections.models import Role
from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView
from web.htmx import is_partial

from .. import selectors, services
from .. import validation as v
from ..forms import ContactForm, ContactSearchForm
from .base import DirectoryMixin, full_name, label_from_key

# --- Directory contacts -------------------------------------------------------------------------


class ContactMixin(DirectoryMixin):
    resource = "contacts:contact"
    verbose_name = "contact"
    id_field = "contactId"
    object_kwarg = "contact_id"

    def get_object(self):
        return selectors.contact_get(**self.connection_and_actor(), directory_id=self.directory_id,
                                     contact_id=self.kwargs["contact_id"])


class ContactListView(ContactMixin, CrudListView):
    fetch_in_background = True
    template_name = "contacts/contact_list.html"
    table_header_template = "contacts/_results_to_list.html"
    search_form_class = ContactSearchForm
    page_sizes = (25, 50, 100)
    default_page_size = 50
    columns = [
        Column("Name", full_name, link=True),
        Column("E-mail", "email"),
        Column("Phone", "phone", kind="mono"),
        Column("External reference", "extRef", kind="mono"),
        Column("Language", "language", kind="badge"),
        Column("Unsubscribed", "unsubscribed", kind="bool"),
    ]
    empty_message = "No contacts in this directory yet."

    def fetch_page(self, *, cursor, page_size, search):
        if search.get("q"):
            offset = (self.page_number - 1) * page_size  # results on the pages before this one
            return selectors.contact_search_page(
                **self.connection_and_actor(), directory_id=self.directory_id, field=search["field"], value=search["q"],
                comparison=search["comparison"], page_size=page_size, skip_token=cursor, offset=offset,
            )
        return selectors.contact_page(**self.connection_and_actor(), directory_id=self.directory_id,
                                      page_size=page_size, cursor=cursor)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = context.get("search_form")
        searching = bool(search is not None and search.is_bound and search.is_valid() and search.cleaned_data.get("q"))
        if searching:
            context["empty_message"] = "No contact matches this search."
            if self.can_write:
                found = {key: search.cleaned_data.get(key) for key in ("field", "comparison", "q")}
                context["results_to_list_url"] = reverse("contacts:contact_results_to_list",
                                                         kwargs=self.url_kwargs()) + "?" + urlencode(found)
        context["export_url"] = reverse("contacts:contact_export", kwargs=self.url_kwargs())
        if not is_partial(self.request):
            context["dedup_rule"] = selectors.dedup_sentence(selectors.directory_dedup(
                **self.connection_and_actor(), directory_id=self.directory_id))
        return context


class ContactDetailView(ContactMixin, CrudDetailView):
    template_name = "contacts/contact_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = context["object"]
        context.update(
            name=full_name(contact),
            memberships=selectors.contact_memberships(contact),
            embedded=sorted((contact.get("embeddedData") or {}).items(), key=lambda kv: kv[0].lower()),
            stats=[(label_from_key(key), key, value) for key, value in sorted((contact.get("stats") or {}).items())],
            private_embedded=sorted((contact.get("privateEmbeddedData") or {}).items()),
        )
        return context


class EmbeddedEditorMixin:
    """Create/edit forms with the embedded-data editor and the "create or update" offer."""

    template_name = "contacts/contact_form.html"
    duplicate = None
    duplicate_on_list = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        obj = self.object
        kwargs["embedded"] = (obj or {}).get("embeddedData") if obj else None
        return kwargs

    def initial_from(self, obj) -> dict:
        initial = {key: obj.get(key) or "" for key in ("firstName", "lastName", "email", "phone", "extRef",
                                                        "language")}
        initial["unsubscribed"] = bool(obj.get(self.unsubscribed_key))
        return initial

    unsubscribed_key = "unsubscribed"

    def success_url_for(self, result) -> str:
        return self.detail_url(result)

    def embedded_row_url(self) -> str:
        return reverse("contacts:embedded_row", kwargs={"connection_id": self.connection.pk,
                                                         "directory_id": self.directory_id})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.is_create and not is_partial(self.request):
            context["dedup_rule"] = selectors.dedup_sentence(selectors.directory_dedup(
                **self.connection_and_actor(), directory_id=self.directory_id))
        context.update(
            duplicate=self.duplicate,
            duplicate_name=full_name(self.duplicate) if self.duplicate else "",
            duplicate_on_list=self.duplicate_on_list,
            embedded_row_url=self.embedded_row_url(),
            language_codes=sorted(v.LANGUAGE_CODES.items()),
        )
        return context

    def offer_duplicate(self, form, exc: services.DuplicateContactError) -> None:
        """The offer box says what was found and what to do; no error above the form repeats it."""
        self.duplicate = exc.existing
        self.duplicate_on_list = exc.on_list

    def saved_response(self, form, result):
        if self.duplicate is not None:  # nothing was saved: the form again, with the offer
            return self.form_invalid(form)
        return super().saved_response(form, result)


class ContactFormView(EmbeddedEditorMixin, ContactMixin, CrudFormView):
    form_class = ContactForm
    unsubscribed_key = "directoryUnsubscribed"

    def initial_from(self, obj) -> dict:
        initial = super().initial_from(obj)
        initial["unsubscribed"] = bool(obj.get("directoryUnsubscribed", obj.get("unsubscribed")))
        return initial

    def save(self, form):
        data = form.contact_data()
        if self.is_create:
            try:
                result = services.contact_create(**self.connection_and_actor(), directory_id=self.directory_id,
                                                 data=data, on_duplicate=form.cleaned_data["on_duplicate"])
            except services.DuplicateContactError as exc:
                self.offer_duplicate(form, exc)
                return None
            if result["updated"]:
                self.success_message = "Updated the existing contact “{name}”."
            return result["id"]
        services.contact_update(**self.connection_and_actor(), directory_id=self.directory_id,
                                contact_id=self.kwargs["contact_id"], data=data,
                                removed_embedded=form.cleaned_data.get("removed_embedded", ()))
        return self.kwargs["contact_id"]


class ContactDeleteView(ContactMixin, CrudDeleteView):
    def object_label(self, obj) -> str:
        name = full_name(obj)
        return f"{name} ({obj['email']})" if obj.get("email") and obj.get("email") != name else name

    def consequences(self, obj):
        lists = selectors.contact_memberships(obj)
        if lists:
            names = ", ".join(f"“{m.get('name') or m['mailingListId']}”" for m in lists)
            yield (f"The contact leaves the directory and so leaves every mailing list it is on "
                   f"({len(lists)}: {names}).")
        else:
            yield "The contact leaves the directory and every mailing list (it is on none right now)."
        yield "Distributions already sent keep their history; it gets no reminders or new invitations."

    def delete(self, obj):
        services.contact_delete(**self.connection_and_actor(), directory_id=self.directory_id,
                                contact_id=self.kwargs["contact_id"])


@require_GET
@connection_view(Role.OPERATOR)
def embedded_row(request, connection_id, directory_id):
    """One blank row of the embedded-data editor, added in place by htmx."""
    return render(request, "contacts/contact_form.html#embedded-row", {"row": {"name": "", "value": ""}})
