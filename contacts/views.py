"""XM Directory screens: thin subclasses of web/crud.py that declare columns and call selectors and
services, plus the import flow and the CSV exports as plain function views."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from connections.access import connection_view
from connections.audit import audit_record
from connections.models import Role
from connections.scoping import ConnectionViewMixin
from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView, Page
from web.errors import EXPLAINABLE_ERRORS, explained
from web.forms import add_service_error
from web.htmx import is_partial

from . import csvimport, selectors, services
from . import validation as v
from .forms import ContactForm, ContactSearchForm, ImportMappingForm, ImportUploadForm, MailingListForm, MemberForm
from .models import ContactImport

# --- Shared pieces ------------------------------------------------------------------------------


def full_name(item: dict) -> str:
    name = " ".join(p for p in (item.get("firstName"), item.get("lastName")) if p)
    return name or item.get("email") or item.get("extRef") or item.get("phone") or "(no name)"


def _words(key: str) -> str:
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

    def reads(self) -> dict:
        return {"connection": self.connection, "actor": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(directory_id=self.directory_id, tab=self.tab)
        if not is_partial(self.request):
            context["directory_name"] = selectors.directory_name(**self.reads(), directory_id=self.directory_id)
        return context


class WriteScreen:
    """Forms and confirmations: even opening them needs the operator role (viewers only read)."""

    read_role = Role.OPERATOR


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


# --- Directory contacts -------------------------------------------------------------------------


class ContactMixin(DirectoryMixin):
    resource = "contacts:contact"
    verbose_name = "contact"
    id_field = "contactId"
    object_kwarg = "contact_id"

    def get_object(self):
        return selectors.contact_get(**self.reads(), directory_id=self.directory_id,
                                     contact_id=self.kwargs["contact_id"])


class ContactListView(ContactMixin, CrudListView):
    fetch_in_background = True
    template_name = "contacts/contact_list.html"
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
            offset = len(self.request.GET.getlist("trail")) * page_size  # pages before this one
            found = selectors.contact_search_page(
                **self.reads(), directory_id=self.directory_id, field=search["field"], value=search["q"],
                comparison=search["comparison"], page_size=page_size, skip_token=cursor, offset=offset,
            )
        else:
            found = selectors.contact_page(**self.reads(), directory_id=self.directory_id, page_size=page_size,
                                           cursor=cursor)
        return Page(items=found.items, next_cursor=found.next_cursor, notice=found.notice)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = context.get("search_form")
        searching = bool(search is not None and search.is_bound and search.is_valid() and search.cleaned_data.get("q"))
        if searching:
            context["empty_message"] = "No contact matches this search."
        context["export_url"] = reverse("contacts:contact_export", kwargs=self.url_kwargs())
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
            stats=[(_words(key), key, value) for key, value in sorted((contact.get("stats") or {}).items())],
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
        context.update(
            duplicate=self.duplicate,
            duplicate_name=full_name(self.duplicate) if self.duplicate else "",
            duplicate_on_list=self.duplicate_on_list,
            embedded_row_url=self.embedded_row_url(),
            language_codes=sorted(v.LANGUAGE_CODES.items()),
        )
        return context

    def offer_duplicate(self, form, exc: services.DuplicateContactError) -> None:
        self.duplicate = exc.existing
        self.duplicate_on_list = exc.on_list
        form.add_error(None, str(exc))


class ContactFormView(WriteScreen, EmbeddedEditorMixin, ContactMixin, CrudFormView):
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
                result = services.contact_create(**self.reads(), directory_id=self.directory_id, data=data,
                                                 on_duplicate=form.cleaned_data["on_duplicate"])
            except services.DuplicateContactError as exc:
                self.offer_duplicate(form, exc)
                return None
            if result["updated"]:
                self.success_message = "Updated the existing contact “{name}”."
            return result["id"]
        services.contact_update(**self.reads(), directory_id=self.directory_id, contact_id=self.kwargs["contact_id"],
                                data=data, removed_embedded=form.cleaned_data.get("removed_embedded", ()))
        return self.kwargs["contact_id"]


class ContactDeleteView(WriteScreen, ContactMixin, CrudDeleteView):
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
        services.contact_delete(**self.reads(), directory_id=self.directory_id, contact_id=self.kwargs["contact_id"])


@require_GET
@connection_view(Role.OPERATOR)
def embedded_row(request, connection_id, directory_id):
    """One blank row of the embedded-data editor, added in place by htmx."""
    return render(request, "contacts/contact_form.html#embedded-row", {"row": {"name": "", "value": ""}})


# --- Mailing lists ------------------------------------------------------------------------------


class MailingListMixin(DirectoryMixin):
    resource = "contacts:mailinglist"
    verbose_name = "mailing list"
    id_field = "mailingListId"
    object_kwarg = "mailing_list_id"
    tab = "lists"

    def get_object(self):
        return selectors.mailing_list_get(**self.reads(), directory_id=self.directory_id,
                                          mailing_list_id=self.kwargs["mailing_list_id"])

    @cached_property
    def owners(self) -> dict:
        return selectors.owner_choices(**self.reads())

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
        found = selectors.mailing_list_page(**self.reads(), directory_id=self.directory_id, page_size=page_size,
                                            cursor=cursor)
        return Page(items=found.items, next_cursor=found.next_cursor)

    row_url_name = "contacts:member_list"


class MailingListFormView(WriteScreen, MailingListMixin, CrudFormView):
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
            return services.mailing_list_create(**self.reads(), directory_id=self.directory_id,
                                                name=form.cleaned_data["name"], owner_id=owner)
        services.mailing_list_update(**self.reads(), directory_id=self.directory_id,
                                     mailing_list_id=self.kwargs["mailing_list_id"], name=form.cleaned_data["name"],
                                     owner_id=owner)
        return self.kwargs["mailing_list_id"]

    def success_url_for(self, result) -> str:
        return reverse("contacts:member_list", kwargs=self.url_kwargs(mailing_list_id=result))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["owner_error"] = self.owners.get("error", "")
        return context


class MailingListDeleteView(WriteScreen, MailingListMixin, CrudDeleteView):
    def consequences(self, obj):
        count = obj.get("contactCount")
        if count is None:
            yield "Its contacts leave the list."
        else:
            yield f"Its {count:,} contact{'' if count == 1 else 's'} leave the list (Qualtrics' count, approximate)."
        yield "The contacts stay in the directory and on their other mailing lists."
        yield "Distributions scheduled to this list will fail to send."

    def delete(self, obj):
        services.mailing_list_delete(**self.reads(), directory_id=self.directory_id,
                                     mailing_list_id=self.kwargs["mailing_list_id"])

    def detail_url(self, obj):
        return reverse("contacts:member_list", kwargs=self.url_kwargs(mailing_list_id=self.kwargs["mailing_list_id"]))


@require_GET
@connection_view(Role.VIEWER)
def mailinglist_detail(request, connection_id, directory_id, mailing_list_id):
    return redirect("contacts:member_list", connection_id=connection_id, directory_id=directory_id,
                    mailing_list_id=mailing_list_id)


# --- Mailing-list members -----------------------------------------------------------------------


class MemberMixin(DirectoryMixin):
    resource = "contacts:member"
    verbose_name = "member"
    id_field = "contactId"
    object_kwarg = "contact_id"
    parent_kwargs_names = ("directory_id", "mailing_list_id")
    tab = "lists"

    def get_object(self):
        return selectors.member_get(**self.reads(), directory_id=self.directory_id,
                                    mailing_list_id=self.mailing_list_id, contact_id=self.kwargs["contact_id"])

    def mailing_list(self) -> dict | None:
        mailing_list, _error = explained(selectors.mailing_list_get, **self.reads(), directory_id=self.directory_id,
                                         mailing_list_id=self.mailing_list_id)
        return mailing_list

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mailing_list_id"] = self.mailing_list_id
        if not is_partial(self.request):
            context["mailing_list"] = self.mailing_list()
        return context


class MemberListView(MemberMixin, CrudListView):
    """A list's members; the route returns at most 50 a page."""

    fetch_in_background = True
    template_name = "contacts/member_list.html"
    page_sizes = (25, 50)
    default_page_size = 50
    which = "all"
    list_tab = "members"
    columns = [
        Column("Name", full_name, link=True),
        Column("E-mail", "email"),
        Column("Phone", "phone", kind="mono"),
        Column("External reference", "extRef", kind="mono"),
        Column("Lookup ID", "contactLookupId", kind="mono"),
        Column("Opted out of list", "mailingListUnsubscribed", kind="bool"),
    ]
    empty_message = "Nobody is on this list yet. Add a member or import a CSV file."

    def fetch_page(self, *, cursor, page_size, search):
        found = selectors.member_page(**self.reads(), directory_id=self.directory_id,
                                      mailing_list_id=self.mailing_list_id, page_size=page_size, cursor=cursor,
                                      which=self.which)
        return Page(items=found.items, next_cursor=found.next_cursor)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["list_tab"] = self.list_tab
        context["export_url"] = reverse("contacts:member_export", kwargs=self.url_kwargs())
        return context


class OptedOutMemberListView(MemberListView):
    which = "opted_out"
    list_tab = "opted_out"
    columns = [*MemberListView.columns[:5], Column("Opted out on", "unsubscribeDate", kind="datetime")]
    empty_message = "No member has opted out of this list."


class BouncedMemberListView(MemberListView):
    which = "bounced"
    list_tab = "bounced"
    columns = [*MemberListView.columns[:5], Column("Bounced on", "bounceDate", kind="datetime")]
    empty_message = "No e-mail to this list's members has bounced."


class MemberDetailView(MemberMixin, CrudDetailView):
    template_name = "contacts/member_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = context["object"]
        context.update(
            name=full_name(member),
            embedded=sorted((member.get("embeddedData") or {}).items(), key=lambda kv: kv[0].lower()),
            contact_url=reverse("contacts:contact_detail", kwargs={
                "connection_id": self.connection.pk, "directory_id": self.directory_id,
                "contact_id": member.get("contactId") or self.kwargs["contact_id"]}),
        )
        return context


class MemberFormView(WriteScreen, EmbeddedEditorMixin, MemberMixin, CrudFormView):
    form_class = MemberForm
    unsubscribed_key = "mailingListUnsubscribed"

    def form_title(self) -> str:
        return "Add a member" if self.is_create else "Edit member"

    def initial_from(self, obj) -> dict:
        initial = super().initial_from(obj)
        initial["unsubscribed"] = bool(obj.get("mailingListUnsubscribed", obj.get("unsubscribed")))
        return initial

    def save(self, form):
        data = form.contact_data()
        if self.is_create:
            try:
                result = services.member_create(**self.reads(), directory_id=self.directory_id,
                                                mailing_list_id=self.mailing_list_id, data=data,
                                                on_duplicate=form.cleaned_data["on_duplicate"])
            except services.DuplicateContactError as exc:
                self.offer_duplicate(form, exc)
                return None
            return result["id"]
        services.member_update(**self.reads(), directory_id=self.directory_id, mailing_list_id=self.mailing_list_id,
                               contact_id=self.kwargs["contact_id"], data=data,
                               removed_embedded=form.cleaned_data.get("removed_embedded", ()))
        return self.kwargs["contact_id"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.duplicate:
            context["duplicate_member_url"] = reverse("contacts:member_edit", kwargs=self.url_kwargs(
                contact_id=self.duplicate["contactId"])) if self.duplicate_on_list else ""
            context["duplicate_contact_url"] = reverse("contacts:contact_detail", kwargs={
                "connection_id": self.connection.pk, "directory_id": self.directory_id,
                "contact_id": self.duplicate["contactId"]})
        return context


class MemberDeleteView(WriteScreen, MemberMixin, CrudDeleteView):
    template_name = "contacts/member_remove.html"
    success_message = "Removed “{name}” from the list."

    def object_label(self, obj) -> str:
        return full_name(obj)

    def consequences(self, obj):
        yield "The contact leaves this mailing list only."
        yield "It stays in the directory, with its other mailing lists and its history."

    def delete(self, obj):
        services.member_delete(**self.reads(), directory_id=self.directory_id, mailing_list_id=self.mailing_list_id,
                               contact_id=self.kwargs["contact_id"])


# --- Exports ------------------------------------------------------------------------------------


def _csv_response(request, lines, filename: str, *, action: str, target: str) -> StreamingHttpResponse:
    audit_record(actor=request.user, connection=request.connection, action=action, target=target)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@connection_view(Role.VIEWER)
def contact_export(request, connection_id, directory_id):
    """Every contact of the directory as CSV, streamed page by page."""
    lines = selectors.export_rows(connection=request.connection, actor=request.user, directory_id=directory_id)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _csv_response(request, lines, f"{directory_id}-contacts-{stamp}.csv", action="contacts.export",
                         target=directory_id)


@require_GET
@connection_view(Role.VIEWER)
def member_export(request, connection_id, directory_id, mailing_list_id):
    lines = selectors.export_rows(connection=request.connection, actor=request.user, directory_id=directory_id,
                                  mailing_list_id=mailing_list_id)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _csv_response(request, lines, f"{mailing_list_id}-members-{stamp}.csv", action="contacts.export",
                         target=f"{directory_id}/{mailing_list_id}")


# --- Bulk CSV import ----------------------------------------------------------------------------


def _import_kwargs(request, directory_id, mailing_list_id, **extra):
    return {"connection_id": request.connection.pk, "directory_id": directory_id,
            "mailing_list_id": mailing_list_id, **extra}


def _list_context(request, directory_id, mailing_list_id, **extra):
    reads = {"connection": request.connection, "actor": request.user}
    mailing_list, _error = explained(selectors.mailing_list_get, **reads, directory_id=directory_id,
                                     mailing_list_id=mailing_list_id)
    context = {
        "connection": request.connection,
        "role": request.connection_role,
        "can_write": request.connection_role >= Role.OPERATOR,
        "directory_id": directory_id,
        "directory_name": selectors.directory_name(**reads, directory_id=directory_id),
        "mailing_list_id": mailing_list_id,
        "mailing_list": mailing_list,
        "tab": "lists",
    }
    context.update(extra)
    return context


@require_GET
@connection_view(Role.VIEWER)
def import_list(request, connection_id, directory_id, mailing_list_id):
    imports = selectors.contact_import_list(connection=request.connection, mailing_list_id=mailing_list_id)[:50]
    return render(request, "contacts/import_list.html",
                  _list_context(request, directory_id, mailing_list_id, imports=imports, list_tab="imports"))


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
def import_create(request, connection_id, directory_id, mailing_list_id):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        reads = {"connection": request.connection, "actor": request.user}
        try:
            directory = selectors.directory_get(**reads, directory_id=directory_id)
            mailing_list = selectors.mailing_list_get(**reads, directory_id=directory_id,
                                                      mailing_list_id=mailing_list_id)
            contact_import = services.contact_import_create(
                connection=request.connection, actor=request.user, directory=directory, mailing_list=mailing_list,
                upload=form.cleaned_data["file"], phone_region=form.cleaned_data["phone_region"],
            )
        except csvimport.CSVFormatError as exc:
            form.add_error("file", str(exc))
        except EXPLAINABLE_ERRORS as exc:
            add_service_error(form, exc)
        else:
            url = reverse("contacts:import_map", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                        import_id=contact_import.pk))
            return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)
    return render(request, "contacts/import_upload.html",
                  _list_context(request, directory_id, mailing_list_id, form=form, list_tab="imports"))


def _sample_rows(contact_import: ContactImport, count: int = 3) -> list[list[str]]:
    rows = []
    with contact_import.file.open("rb") as raw:
        for _number, cells in csvimport.iter_rows(raw, encoding=contact_import.encoding,
                                                  delimiter=contact_import.delimiter):
            rows.append(cells)
            if len(rows) >= count:
                break
    return rows


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
def import_map(request, connection_id, directory_id, mailing_list_id, import_id):
    """Map the columns, then check every row: a report and a preview before anything is sent."""
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    if contact_import.status not in (ContactImport.Status.UPLOADED, ContactImport.Status.READY):
        return redirect("contacts:import_detail", **_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    form = ImportMappingForm(request.POST or None, headers=contact_import.headers, mapping=contact_import.mapping,
                             initial={"phone_region": contact_import.phone_region})
    mapping_errors = []
    if request.method == "POST" and form.is_valid():
        mapping_errors = services.contact_import_check(contact_import=contact_import, mapping=form.mapping(),
                                                       phone_region=form.cleaned_data["phone_region"])
    samples = _sample_rows(contact_import)
    columns = []
    for index, (header, field) in enumerate(form.column_fields()):
        columns.append({"header": header, "field": field,
                        "samples": [row[index] if index < len(row) else "" for row in samples]})
    report = contact_import.report or {}
    context = _list_context(
        request, directory_id, mailing_list_id, contact_import=contact_import, form=form, columns=columns,
        mapping_errors=mapping_errors, report=report, list_tab="imports",
        issue_rows=[(csvimport.ISSUE_LABELS.get(k, k), n) for k, n in (report.get("issues") or {}).items()],
        key_fields=", ".join(v.FIELD_LABELS.get(f, f).lower() for f in report.get("key_fields", [])),
        preview_fields=v.CONTACT_FIELDS,
        preview_rows=[
            {"row": p["row"], "problems": p["problems"],
             "cells": [(p["contact"] or {}).get(f) for f in v.CONTACT_FIELDS] if p.get("contact") else None,
             "embedded": sorted(((p["contact"] or {}).get("embeddedData") or {}).items())}
            for p in report.get("preview", [])
        ],
    )
    template = "contacts/import_map.html#mapping" if is_partial(request) else "contacts/import_map.html"
    return render(request, template, context)


@connection_view(Role.OPERATOR)
@require_POST
def import_start(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    if services.contact_import_start(contact_import=contact_import, actor=request.user):
        messages.success(request, f"Import of “{contact_import.original_name}” started.")
    else:
        messages.warning(request, "This import cannot start: check the file first, or it has already started.")
    url = reverse("contacts:import_detail", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


@connection_view(Role.OPERATOR)
@require_POST
def import_cancel(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    status = services.contact_import_cancel(contact_import=contact_import, actor=request.user)
    if status == ContactImport.Status.CANCELLING:
        messages.info(request, "Cancelling: the chunks already sent to Qualtrics finish, nothing more is sent.")
    elif status == ContactImport.Status.CANCELLED:
        messages.info(request, "Import cancelled.")
    else:
        messages.warning(request, "This import has already finished.")
    url = reverse("contacts:import_detail", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


def _import_progress_context(contact_import: ContactImport) -> dict:
    progress = selectors.contact_import_progress(contact_import=contact_import)
    return {"contact_import": contact_import, "progress": progress,
            "rejected_rows": selectors.contact_import_rejection_count(contact_import=contact_import),
            "retention_days": settings.CONTACT_IMPORT_FILE_RETENTION_DAYS}


@require_GET
@connection_view(Role.VIEWER)
def import_detail(request, connection_id, directory_id, mailing_list_id, import_id):
    """Progress while it runs (polled every 2 s), the summary when it is done."""
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    if contact_import.status in (ContactImport.Status.UPLOADED, ContactImport.Status.READY) and \
            request.connection_role >= Role.OPERATOR and "summary" not in request.GET:
        return redirect("contacts:import_map", **_import_kwargs(request, directory_id, mailing_list_id,
                                                                import_id=import_id))
    context = _list_context(request, directory_id, mailing_list_id, list_tab="imports",
                            **_import_progress_context(contact_import))
    return render(request, "contacts/import_detail.html", context)


@require_GET
@connection_view(Role.VIEWER)
def import_progress(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    context = {
        "connection": request.connection, "can_write": request.connection_role >= Role.OPERATOR,
        "directory_id": directory_id, "mailing_list_id": mailing_list_id, **_import_progress_context(contact_import),
    }
    response = render(request, "contacts/import_detail.html#progress", context)
    if contact_import.is_finished:
        # The heading's contact count changed with the import: send it again alongside the summary.
        summary = render(request, "contacts/_list_header.html#summary",
                         _list_context(request, directory_id, mailing_list_id, oob=True))
        stop = HttpResponseStopPolling(response.content + summary.content)
        stop["Content-Type"] = response["Content-Type"]
        return stop
    return response


@require_GET
@connection_view(Role.VIEWER)
def import_rejected(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    lines = selectors.contact_import_rejected_rows(contact_import=contact_import)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{contact_import.pk}-rejected-rows.csv"'
    response["Cache-Control"] = "no-store"
    return response
