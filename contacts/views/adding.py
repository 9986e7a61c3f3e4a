"""Contacts already in the directory put on a mailing list, without copies: picked on the list's page (a
searchable picker, several at once), from a contact's page ("Add to list…"), or every result of a search.
Each becomes a job the worker runs (services.memberships), followed on the list's Imports tab."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from web.crud import CrudFormView
from web.errors import EXPLAINABLE_ERRORS, explain
from web.htmx import is_partial

from .. import selectors, services
from .. import validation as v
from ..forms import AddResultsForm, AddToListForm
from .base import DirectoryMixin, full_name
from .contacts import ContactMixin
from .imports import _list_context

PICKER_RESULTS = 20


def job_url(connection_id, job) -> str:
    return reverse("contacts:import_detail", kwargs={
        "connection_id": connection_id, "directory_id": job.directory_id, "mailing_list_id": job.mailing_list_id,
        "import_id": job.pk})


@connection_view(Role.OPERATOR)
def member_add_existing(request, connection_id, directory_id, mailing_list_id):
    """The list's "Add existing contacts": search the directory, choose several, add them at once."""
    errors: list[str] = []
    chosen = []
    if request.method == "POST":
        ids = request.POST.getlist("contact_id")
        chosen = list(zip(ids, request.POST.getlist("contact_label"), strict=False))
        try:
            job = services.members_add_existing(connection=request.connection, actor=request.user,
                                                directory_id=directory_id, mailing_list_id=mailing_list_id,
                                                contact_ids=ids)
        except ValidationError as exc:
            errors = exc.messages
        except EXPLAINABLE_ERRORS as exc:
            errors = [explain(exc)["title"] + ": " + explain(exc)["message"]]
        else:
            url = job_url(connection_id, job)
            return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)
    context = _list_context(request, directory_id, mailing_list_id, list_tab="members", errors=errors,
                            chosen=chosen, fields=list(selectors.SEARCH_FIELDS.items()))
    template = "contacts/member_add_existing.html"
    return render(request, f"{template}#picker" if is_partial(request) else template, context)


@connection_view(Role.OPERATOR)
@require_GET
def contact_picker(request, connection_id, directory_id, mailing_list_id):
    """Directory contacts matching what was typed, each with a button that chooses it."""
    text = (request.GET.get("q") or "").strip()[:200]
    field = request.GET.get("field") if request.GET.get("field") in selectors.SEARCH_FIELDS else "email"
    context = {"results": [], "text": text, "error": None, "connection": request.connection,
               "directory_id": directory_id, "mailing_list_id": mailing_list_id}
    if len(text) >= 2:
        try:
            page = selectors.contact_search_page(connection=request.connection, actor=request.user,
                                                 directory_id=directory_id, field=field, value=text,
                                                 comparison="contains", page_size=PICKER_RESULTS, skip_token=None)
            dedup = selectors.directory_dedup(connection=request.connection, actor=request.user,
                                              directory_id=directory_id) or []
            context["results"] = [{"id": c["contactId"], "label": full_name(c), "email": c.get("email") or "",
                                   "extRef": c.get("extRef") or "",
                                   "missing": ", ".join(v.FIELD_LABELS.get(f, f).lower() for f in dedup
                                                        if not c.get(f))} for c in page.items]
            context["more"] = bool(page.next_page)
        except EXPLAINABLE_ERRORS as exc:
            context["error"] = explain(exc)
    return render(request, "contacts/member_add_existing.html#results", context)


@connection_view(Role.OPERATOR)
@require_GET
def contact_chip(request, connection_id, directory_id, mailing_list_id):
    """One chosen contact, added to the list of those to add (in place, by htmx)."""
    context = {"contact_id": (request.GET.get("contact_id") or "")[:60],
               "label": (request.GET.get("label") or "")[:200]}
    return render(request, "contacts/member_add_existing.html#chip", context)


class ListChoices:
    @cached_property
    def mailing_lists(self) -> list[tuple[str, str]]:
        return selectors.mailing_list_choices(**self.connection_and_actor(), directory_id=self.directory_id)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "mailing_lists": self.mailing_lists}

    def success_url_for(self, result) -> str:
        return job_url(self.connection.pk, result)


class ContactAddToListView(ListChoices, ContactMixin, CrudFormView):
    """"Add to list…" on a contact's page."""

    form_class = AddToListForm
    template_name = "contacts/form.html"
    submit_label = "Add to the list"
    cancel_to_detail = True

    @property
    def contact(self) -> dict:
        return self.object

    @cached_property
    def mailing_lists(self) -> list[tuple[str, str]]:
        on = {m["mailingListId"] for m in selectors.contact_memberships(self.contact)}
        return [choice for choice in super().mailing_lists if choice[0] not in on]

    def initial_from(self, obj) -> dict:
        return {}

    def form_title(self) -> str:
        return f"Add {full_name(self.contact)} to a mailing list"

    def save(self, form):
        return services.members_add_existing(**self.connection_and_actor(), directory_id=self.directory_id,
                                             mailing_list_id=form.cleaned_data["mailing_list_id"],
                                             contact_ids=[self.kwargs["contact_id"]])

    def success_text(self, form, result) -> str:
        return f"Adding {full_name(self.contact)} to “{result.mailing_list_name}”: it appears there in a moment."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = ["The contact joins the list as it is, with its data and history: no copy is made. "
                            "Lists it is already on are not offered."]
        return context


class SearchResultsToListView(ListChoices, DirectoryMixin, CrudFormView):
    """Every result of a contact search, onto a list (a job with progress)."""

    resource = "contacts:contact"
    verbose_name = "contacts"
    object_kwarg = "contact_id"
    form_class = AddResultsForm
    template_name = "contacts/form.html"
    submit_label = "Add them all to the list"

    def get_initial(self):
        return {**super().get_initial(), **{k: self.request.GET.get(k, "") for k in ("field", "comparison", "q")}}

    def form_title(self) -> str:
        return "Add the results of a search to a list"

    def search_words(self) -> str:
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        field = selectors.SEARCH_FIELDS.get(source.get("field") or "", "E-mail").lower()
        how = "is" if source.get("comparison") == "eq" else "contains"
        return f"{field} {how} “{(source.get('q') or '').strip()[:100]}”"

    def save(self, form):
        data = form.cleaned_data
        return services.members_add_search_results(
            **self.connection_and_actor(), directory_id=self.directory_id,
            mailing_list_id=data["mailing_list_id"], field=data["field"], comparison=data["comparison"],
            value=data["q"])

    def success_text(self, form, result) -> str:
        return f"Adding every contact whose {self.search_words()} to “{result.mailing_list_name}”."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = [
            f"Every contact whose {self.search_words()} (Qualtrics' search returns at most 10,000) is put on the "
            "list you choose, as the same directory contact: no copy is made.",
            "It runs in the background; its page shows the progress, and it can be cancelled there.",
        ]
        context["cancel_url"] = reverse("contacts:contact_list", kwargs=self.url_kwargs()) + "?" + \
            self.request.GET.urlencode()
        return context
