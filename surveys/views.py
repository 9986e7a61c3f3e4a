"""Screens of a connection's surveys: list, detail, activate or deactivate, rename, expiration window, copy,
import, export, delete, and the survey picker other screens use. Thin: reads are selectors, writes services."""

from __future__ import annotations

import datetime
import html
import re
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from connections.scoping import ConnectionViewMixin
from web import background
from web.crud import (
    Column,
    CrudDeleteView,
    CrudDetailView,
    CrudFormView,
    CrudListView,
    ObjectScreenMixin,
    Page,
)
from web.errors import EXPLAINABLE_ERRORS, error_response, explain, explained, handles_errors, page_status
from web.htmx import is_partial

from . import selectors, services
from .forms import CopyForm, ImportForm, RenameForm, SurveySearchForm, WindowForm
from .selectors import FactsError, Owners

SURVEY_ID = re.compile(r"SV_[A-Za-z0-9]{1,40}")
ROWS_MAX = 100
TONES = {"ok": "badge-soft-ok", "warn": "badge-soft-warn", "muted": "badge-soft-muted", "bad": "badge-soft-bad"}


def status_badge(status: selectors.Status) -> str:
    return format_html('<span class="badge {}" data-status="{}" title="{}">{}</span>', TONES[status.tone],
                       status.key, status.note, status.label)


class SurveyMixin(ConnectionViewMixin):
    resource = "surveys:survey"
    verbose_name = "survey"
    object_kwarg = "survey_id"

    def reads(self) -> dict:
        return {"connection": self.connection, "actor": self.request.user}

    @property
    def survey_id(self) -> str:
        return self.kwargs["survey_id"]

    def get_object(self):
        return selectors.survey_get(**self.reads(), survey_id=self.survey_id)

    @cached_property
    def owners(self) -> Owners:
        found, error = explained(selectors.owner_names, **self.reads())
        return found if error is None else Owners(error=error["title"])


# --- the list ---------------------------------------------------------------------------------------


class SurveyListView(SurveyMixin, CrudListView):
    """The brand's surveys. A plain list is one Qualtrics page; a search, filter or order reads the whole
    list (see selectors). Each row's window and response counts load after the page (surveys/_rows.html)."""

    template_name = "surveys/survey_list.html"
    table_footer_template = "surveys/_rows_loader.html"
    verbose_name_plural = "surveys"
    page_sizes = (25, 50, 100)
    default_page_size = 25
    empty_message = "The connection's Qualtrics user sees no survey in this brand."
    SEARCH_KEYS = ("q", "status", "owner", "sort")

    @property
    def searching(self) -> bool:
        return any(self.request.GET.get(key) for key in self.SEARCH_KEYS)

    @property
    def fetch_in_background(self) -> bool:
        # A search reads several pages and the surveys' facts in parallel itself; one page overlaps the layout.
        return not self.searching

    search_form_class = SurveySearchForm

    def search_form(self):
        # The owners' names are first needed to draw the form, by when the list is being read (in the
        # background) already: read here, they come from the cache or alongside it.
        return SurveySearchForm(self.request.GET or None, owners=lambda: self.owners)

    @cached_property
    def row_url_pattern(self) -> tuple[str, ...]:
        """The row link split around the survey ID (the route takes only survey IDs, so a survey-like marker)."""
        marker = "SV_ROWIDMARKER"
        return tuple(reverse("surveys:survey_detail", kwargs=self.url_kwargs(survey_id=marker)).split(marker))

    @cached_property
    def columns(self) -> list[Column]:
        zone = timezone.get_current_timezone()
        return [
            Column("Survey", "name", link=True),
            Column("Status", status_cell),
            Column("Owner", lambda s: self.owners.label(s.get("ownerId") or "")),
            Column("Created", lambda s: local_time(s.get("creationDate"), zone), css="text-nowrap"),
            Column("Last modified", lambda s: local_time(s.get("lastModified"), zone, with_time=True),
                   css="text-nowrap"),
            Column("Responses", counts_cell, css="text-end"),
            Column("ID", "id", kind="mono"),
        ]

    def fetch_page(self, *, cursor, page_size, search) -> Page:
        if not self.searching:
            found = selectors.survey_page(**self.reads(), page_size=page_size, cursor=cursor)
        else:
            try:
                offset = max(int(cursor or 0), 0)
            except ValueError:
                offset = 0
            found = selectors.survey_search(**self.reads(), name=search.get("q", ""),
                                            status=search.get("status", ""), owner_id=search.get("owner", ""),
                                            sort=search.get("sort", ""), page_size=page_size, offset=offset)
        return found

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.searching:
            context["empty_message"] = "No survey matches this search."
        context["import_url"] = reverse("surveys:survey_import", kwargs=self.url_kwargs()) if self.can_write else ""
        rows_url = reverse("surveys:survey_rows", kwargs=self.url_kwargs())
        page = context["page"]  # lazy: read once the table is drawn, after Qualtrics answered
        context["rows_url"] = SimpleLazyObject(
            lambda: f"{rows_url}?" + "&".join(f"id={quote(s.get('id') or '', safe='')}" for s in page.items)
            if page.items else "")
        return context


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_time(value, zone: datetime.tzinfo, *, with_time: bool = False) -> str:
    """A Qualtrics ISO date in `zone` (the viewer's), as the generic table writes dates ("7 May 2024", with the
    time "7 May 2024 09:00"), with the standard library and without strftime: a page formats up to 200 of them
    once Qualtrics has answered."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    local = moment.astimezone(zone)
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return f"{day} {local.hour:02d}:{local.minute:02d}" if with_time else day


# Until the row's facts arrive (surveys/_rows.html): its status as the list says (active or not, the window
# unknown yet) and a placeholder for its counts. Built once, not per row: a page has up to 100 rows. The cells
# are SafeStrings made directly (their ID escaped): mark_safe's checks cost a page 200 calls.
LISTED_STATUS = {active: status_badge(selectors.status_of(is_active=active, starts=None, ends=None))
                 for active in (True, False)}


def status_cell(survey: dict) -> SafeString:
    survey_id = html.escape(survey.get("id") or "")
    return SafeString(f'<span id="status-{survey_id}">{LISTED_STATUS[bool(survey.get("isActive"))]}</span>')


def counts_cell(survey: dict) -> SafeString:
    survey_id = html.escape(survey.get("id") or "")
    return SafeString(f'<span id="counts-{survey_id}" class="text-body-secondary" aria-busy="true">…</span>')


@connection_view(Role.VIEWER)
@require_GET
def survey_rows(request, connection_id: int):
    """The status and response counts of the listed surveys, swapped into their rows (htmx out-of-band)."""
    ids = [value for value in request.GET.getlist("id") if SURVEY_ID.fullmatch(value)][:ROWS_MAX]
    facts = selectors.survey_facts(connection=request.connection, actor=request.user, survey_ids=ids)
    rows = []
    for survey_id, found in facts.items():
        if isinstance(found, FactsError):
            rows.append({"id": survey_id, "error": found.error})
        else:
            rows.append({"id": survey_id, "facts": found, "badge": status_badge(found.status)})
    return render(request, "surveys/_rows.html", {"rows": rows})


# --- one survey -------------------------------------------------------------------------------------


class SurveyDetailView(SurveyMixin, CrudDetailView):
    template_name = "surveys/survey_detail.html"

    def get(self, request, *args, **kwargs):
        # The definition, quotas and filters are read while the survey itself is.
        reads = {**self.reads(), "survey_id": self.survey_id}
        self.parts = {name: background.start(read, **reads) for name, read in (
            ("summary", selectors.survey_definition), ("quotas", selectors.survey_quotas),
            ("filters", selectors.survey_filters))}
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        survey = context["object"]
        facts = selectors.facts_from(survey, self.survey_id)
        summary, summary_error = explained(self.parts["summary"].result)
        quotas, quotas_error = explained(self.parts["quotas"].result)
        filters, filters_error = explained(self.parts["filters"].result)
        context.update(
            survey=survey,
            facts=facts,
            badge=status_badge(facts.status),
            status=facts.status,
            owner=self.owners.label(facts.owner_id),
            summary=summary,
            summary_error=summary_error,
            quotas=quotas,
            quotas_error=quotas_error,
            filters=filters,
            filters_error=filters_error,
            anonymous_link=selectors.anonymous_link(summary.base_url if summary else "", self.survey_id),
            work=selectors.survey_work(connection=self.connection, survey_id=self.survey_id),
            can_delete=self.role >= Role.MANAGER,
            urls=survey_urls(self.connection.pk, self.survey_id),
            tz=timezone.get_current_timezone_name(),
        )
        return context


def survey_urls(connection_id: int, survey_id: str) -> dict[str, str]:
    kwargs = {"connection_id": connection_id, "survey_id": survey_id}
    return {name: reverse(f"surveys:survey_{name}", kwargs=kwargs)
            for name in ("detail", "status", "rename", "window", "copy", "export", "delete")}


# --- changes ----------------------------------------------------------------------------------------


class SurveyStatusView(SurveyMixin, ObjectScreenMixin, TemplateView):
    """Activate (at once) or deactivate (after a confirmation that says what it means) a survey."""

    template_name = "surveys/survey_status.html"
    partial_template_name = "surveys/survey_status.html"
    partial = "confirm"
    write_screen = True  # a confirmation: opening it needs the operator role

    def context_for(self, survey: dict, active: bool, error: dict | None = None) -> dict:
        facts = selectors.facts_from(survey, self.survey_id)
        return self.get_context_data(survey=survey, facts=facts, active=active, error=error,
                                     cancel_url=self.detail_url(self.survey_id))

    def get(self, request, *args, **kwargs):
        return self.render_page(self.context_for(self.get_object(), request.GET.get("active") == "1"))

    def post(self, request, *args, **kwargs):
        active = request.POST.get("active") == "1"
        survey = self.get_object()
        name = survey.get("name") or self.survey_id
        try:
            services.survey_set_active(**self.reads(), survey_id=self.survey_id, active=active, name=name)
        except EXPLAINABLE_ERRORS as exc:
            return self.render_page(self.context_for(survey, active, error=self.explain_error(exc)))
        if active:
            messages.success(request, f"Activated “{name}”: respondents can answer it.")
        else:
            messages.success(request, f"Deactivated “{name}”: respondents can no longer answer it.")
        url = self.detail_url(self.survey_id)
        return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


class SurveyFormScreen(SurveyMixin, CrudFormView):
    """A form about one survey (rename, window, copy): its name in the title, the detail page after."""

    template_name = "surveys/survey_form.html"
    partial_template_name = "crud/form.html"
    title = ""
    intro = ""
    submit_label = ""

    def form_title(self) -> str:
        return self.title.format(name=(self.object or {}).get("name") or self.survey_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(intro=self.intro, survey=self.object, submit_label=self.submit_label)
        return context


class SurveyRenameView(SurveyFormScreen):
    form_class = RenameForm
    title = "Rename “{name}”"
    submit_label = "Rename"
    success_message = "Renamed the survey “{name}”."

    def initial_from(self, obj) -> dict:
        return {"name": obj.get("name") or ""}

    def save(self, form):
        services.survey_rename(**self.reads(), survey_id=self.survey_id, name=form.cleaned_data["name"],
                               old_name=self.object.get("name") or "")
        return self.survey_id


class SurveyWindowView(SurveyFormScreen):
    form_class = WindowForm
    title = "Expiration window of “{name}”"
    submit_label = "Save the window"
    intro = ("Respondents may answer only between these times (while the survey is active). Leave both empty to "
             "clear the window.")
    success_message = "Saved the expiration window of “{name}”."

    def initial_from(self, obj) -> dict:
        facts = selectors.facts_from(obj, self.survey_id)
        return {"starts": facts.starts, "ends": facts.ends}

    def object_name(self, form, result) -> str:
        return self.object.get("name") or self.survey_id

    def save(self, form):
        services.survey_set_window(**self.reads(), survey_id=self.survey_id, starts=form.cleaned_data["starts"],
                                   ends=form.cleaned_data["ends"], name=self.object.get("name") or "")
        return self.survey_id


class SurveyCopyView(SurveyFormScreen):
    form_class = CopyForm
    title = "Copy “{name}”"
    submit_label = "Make the copy"
    intro = ("Qualtrics copies the survey's questions, flow, options, quotas and saved filters; the copy starts "
             "inactive, without responses.")
    success_message = "Made the copy “{name}”."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "owners": self.owners}

    def initial_from(self, obj) -> dict:
        return {"name": f"Copy of {obj.get('name') or self.survey_id}"[: services.NAME_MAX]}

    def save(self, form):
        return services.survey_copy(**self.reads(), survey_id=self.survey_id, name=form.cleaned_data["name"],
                                    owner_id=form.cleaned_data["owner"], source_name=self.object.get("name") or "")


class SurveyImportView(SurveyMixin, CrudFormView):
    form_class = ImportForm
    template_name = "surveys/survey_form.html"
    partial_template_name = "crud/form.html"
    success_message = "Imported the survey “{name}”."

    def form_title(self) -> str:
        return "Import a survey from a .qsf file"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = ("The file is checked before anything reaches Qualtrics. The new survey starts "
                            "inactive: activate it once you have looked at it.")
        context["submit_label"] = "Import"
        return context

    def save(self, form):
        upload = form.cleaned_data["file"]
        self.imported_name = form.cleaned_data["name"] or ""
        survey_id = services.survey_import(**self.reads(), upload=upload, name=self.imported_name)
        if not self.imported_name:
            self.imported_name = selectors.survey_get(**self.reads(), survey_id=survey_id).get("name") or survey_id
        return survey_id

    def object_name(self, form, result) -> str:
        return self.imported_name


@connection_view(Role.VIEWER)
@require_GET
def survey_export(request, connection_id: int, survey_id: str):
    """The survey as a .qsf file to download."""
    try:
        name, content = selectors.survey_qsf(connection=request.connection, actor=request.user, survey_id=survey_id)
    except EXPLAINABLE_ERRORS as exc:
        back = reverse("surveys:survey_detail", kwargs={"connection_id": connection_id, "survey_id": survey_id})
        return error_response(request, explain(exc), context={"back_url": back, "back_label": "Back to the survey"},
                              status=page_status(exc))
    response = HttpResponse(content, content_type="application/vnd.qualtrics.survey.qsf")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name) or survey_id}.qsf"'
    return response


class SurveyDeleteView(SurveyMixin, CrudDeleteView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER
    template_name = "surveys/survey_delete.html"
    partial_template_name = "crud/confirm_delete.html"

    def consequences(self, obj):
        facts = selectors.facts_from(obj, self.survey_id)
        recorded = f"{facts.recorded:,}" if facts.recorded is not None else "its"
        test = f" (and {facts.test:,} test responses)" if facts.test else ""
        yield f"Qualtrics deletes the survey with its {recorded} recorded responses{test}, for everyone in the brand."
        for work in selectors.survey_pending_work(connection=self.connection, survey_id=self.survey_id):
            yield from work.confirmation_lines()

    def delete(self, obj):
        facts = selectors.facts_from(obj, self.survey_id)
        self.cancelled = services.survey_delete(**self.reads(), survey_id=self.survey_id, name=facts.name,
                                                responses=facts.recorded)

    @property
    def success_message(self) -> str:
        cancelled = "".join(f" Cancelled {work.summary()}." for work in getattr(self, "cancelled", ()))
        return "Deleted the survey “{name}”." + cancelled.replace("{", "{{").replace("}", "}}")


# --- the survey picker ----------------------------------------------------------------------------------


def _picker_error(request, exc, **_kwargs) -> HttpResponse:
    """A picker that could not load says why in its empty option."""
    return render(request, "surveys/picker_options.html",
                  {"choices": [], "selected": "", "empty": f"Could not load: {explain(exc)['title']}"})


def _picked(request) -> str:
    field = (request.GET.get("field") or "survey_id").strip()
    return (request.GET.get("selected") or request.GET.get(field) or "").strip()


@connection_view(Role.VIEWER)
@require_GET
@handles_errors(_picker_error)
def survey_picker(request, connection_id: int):
    """The options of a survey picker: the surveys matching what was typed, with their status."""
    field = (request.GET.get("field") or "survey_id").strip()
    q = (request.GET.get("q") or request.GET.get(f"q_{field}") or "").strip()[:100]
    selected = _picked(request)
    choices = selectors.survey_choices(connection=request.connection, actor=request.user, q=q, selected=selected)
    return render(request, "surveys/picker_options.html",
                  {"choices": choices, "selected": selected, "empty": "— choose a survey —"})


@connection_view(Role.VIEWER)
@require_GET
@handles_errors(lambda request, exc, **kwargs: HttpResponse(""))
def survey_picker_status(request, connection_id: int):
    """Under a survey picker: a warning when the chosen survey cannot be answered (inactive, or closed)."""
    survey_id = _picked(request)
    if not SURVEY_ID.fullmatch(survey_id):
        return HttpResponse("")
    found = selectors.survey_facts(connection=request.connection, actor=request.user,
                                   survey_ids=[survey_id])[survey_id]
    context = {"connection": request.connection, "survey_id": survey_id,
               "url": reverse("surveys:survey_detail", kwargs={"connection_id": connection_id,
                                                               "survey_id": survey_id})}
    if isinstance(found, FactsError):
        context["error"] = found.error
    else:
        context.update(facts=found, status=found.status)
    return render(request, "surveys/picker_status.html", context)

