"""A mailing list's members: list (also opted-out and bounced ones), detail, add, edit, remove."""

from __future__ import annotations

from django.urls import reverse

from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView
from web.errors import explained
from web.htmx import is_partial

from .. import selectors, services
from ..forms import MemberForm
from .base import DirectoryMixin, full_name
from .contacts import EmbeddedEditorMixin

# --- Mailing-list members -----------------------------------------------------------------------


class MemberMixin(DirectoryMixin):
    resource = "contacts:member"
    verbose_name = "member"
    id_field = "contactId"
    object_kwarg = "contact_id"
    parent_kwargs_names = ("directory_id", "mailing_list_id")
    tab = "lists"

    def get_object(self):
        return selectors.member_get(**self.connection_and_actor(), directory_id=self.directory_id,
                                    mailing_list_id=self.mailing_list_id, contact_id=self.kwargs["contact_id"])

    def mailing_list(self) -> dict | None:
        mailing_list, _error = explained(selectors.mailing_list_get, **self.connection_and_actor(),
                                         directory_id=self.directory_id, mailing_list_id=self.mailing_list_id)
        return mailing_list

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mailing_list_id"] = self.mailing_list_id
        if not is_partial(self.request):
            context["mailing_list"] = self.mailing_list()
            context["owner_name"] = selectors.list_owner_name(**self.connection_and_actor(),
                                                              mailing_list=context["mailing_list"])
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
        return selectors.member_page(**self.connection_and_actor(), directory_id=self.directory_id,
                                     mailing_list_id=self.mailing_list_id, page_size=page_size, cursor=cursor,
                                     which=self.which)

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


class MemberFormView(EmbeddedEditorMixin, MemberMixin, CrudFormView):
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
                result = services.member_create(**self.connection_and_actor(), directory_id=self.directory_id,
                                                mailing_list_id=self.mailing_list_id, data=data,
                                                on_duplicate=form.cleaned_data["on_duplicate"])
            except services.DuplicateContactError as exc:
                self.offer_duplicate(form, exc)
                return None
            return result["id"]
        services.member_update(**self.connection_and_actor(), directory_id=self.directory_id,
                               mailing_list_id=self.mailing_list_id, contact_id=self.kwargs["contact_id"], data=data,
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
            context["duplicate_add_existing_url"] = reverse("contacts:member_add_existing", kwargs=self.url_kwargs())
        return context


class MemberDeleteView(MemberMixin, CrudDeleteView):
    template_name = "contacts/member_remove.html"
    success_message = "Removed “{name}” from the list."

    def object_label(self, obj) -> str:
        return full_name(obj)

    def consequences(self, obj):
        yield "The contact leaves this mailing list only."
        yield "It stays in the directory, with its other mailing lists and its history."

    def delete(self, obj):
        services.member_delete(**self.connection_and_actor(), directory_id=self.directory_id,
                               mailing_list_id=self.mailing_list_id, contact_id=self.kwargs["contact_id"])
