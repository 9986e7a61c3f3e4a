"""Exports of a survey's responses: the files kept (and the schedules), a new export, its live progress,
cancel, download."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connections.access import connection_view
from connections.models import Role
from web.errors import explained, handles_errors
from web.htmx import stop_polling

from .. import selectors, services
from ..forms import ExportForm
from ..models import CONTENT_TYPES, ResponseExport
from .base import explain_page, go, survey_context, template_for, url

POLL_FIRST_SECONDS, POLL_MAX_SECONDS = 1, 10


def export_form_choices(request, survey_id: str) -> dict:
    """The survey's saved filters and questions for the options form (each may fail on its own: the form
    then offers every response / every question)."""
    reads = {"connection": request.connection, "actor": request.user, "survey_id": survey_id}
    filters, _ = explained(selectors.survey_filters, **reads)
    summary, _ = explained(selectors.survey_definition, **reads)
    questions = [(q.qid, f"{q.tag}: {q.text[:80]}") for block in (summary.blocks if summary else [])
                 for q in block.questions]
    return {"filters": filters or [], "questions": questions}


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def export_list(request, connection_id, survey_id):
    context = survey_context(request, survey_id, tab="exports",
                             exports=selectors.export_list(connection=request.connection, survey_id=survey_id)[:100],
                             schedules=selectors.schedule_list(connection=request.connection, survey_id=survey_id))
    return render(request, "responses/export_list.html", context)


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def export_create(request, connection_id, survey_id):
    context = survey_context(request, survey_id, tab="exports")
    form = ExportForm(request.POST or None, **export_form_choices(request, survey_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone_name()
        body = services.export_body(**form.options(time_zone=zone, starts=data["starts"], ends=data["ends"]))
        export = services.response_export_create(
            connection=request.connection, actor=request.user, survey_id=survey_id,
            survey_name=context["survey_name"], fmt=data["format"], options=body)
        return go(request, export.get_absolute_url())
    context.update(form=form, form_title=f"Export responses of “{context['survey_name']}”",
                   submit_label="Start the export", cancel_url=url("export_list", request, survey_id),
                   tz=timezone.get_current_timezone_name())
    return render(request, template_for(request, "responses/export_form.html", "crud/form.html#form"), context)


def _poll_seconds(export: ResponseExport) -> int:
    """1 s at first, then a tenth of the export's age, at most 10 s: a long export costs few requests."""
    elapsed = (timezone.now() - export.created_at).total_seconds()
    return int(min(POLL_MAX_SECONDS, max(POLL_FIRST_SECONDS, elapsed / 10)))


def _export_context(request, export: ResponseExport) -> dict:
    return {"export": export, "poll_seconds": _poll_seconds(export), "connection": request.connection,
            "can_write": request.connection_role >= Role.OPERATOR, "survey_id": export.survey_id}


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def export_detail(request, connection_id, survey_id, export_id):
    export = selectors.export_get(connection=request.connection, survey_id=survey_id, export_id=export_id)
    context = survey_context(request, survey_id, tab="exports", **_export_context(request, export))
    return render(request, "responses/export_detail.html", context)


@require_GET
@connection_view(Role.VIEWER)
def export_progress(request, connection_id, survey_id, export_id):
    """The progress partial, polled while the export runs; 286 (stop polling) once it has ended."""
    export = selectors.export_get(connection=request.connection, survey_id=survey_id, export_id=export_id)
    response = render(request, "responses/export_detail.html#progress", _export_context(request, export))
    return stop_polling(response) if export.is_finished else response


@require_POST
@connection_view(Role.OPERATOR)
def export_cancel(request, connection_id, survey_id, export_id):
    export = selectors.export_get(connection=request.connection, survey_id=survey_id, export_id=export_id)
    status = services.response_export_cancel(export=export, actor=request.user)
    if status == ResponseExport.Status.CANCELLED:
        messages.info(request, "Export cancelled.")
    elif status == ResponseExport.Status.CANCELLING:
        messages.info(request, "Cancelling: the worker stops at its next step and nothing more is downloaded.")
    else:
        messages.warning(request, "This export has already ended.")
    return go(request, export.get_absolute_url())


@require_GET
@connection_view(Role.VIEWER)
def export_download(request, connection_id, survey_id, export_id):
    """The file, streamed from storage to whoever may see the connection."""
    export = selectors.export_get(connection=request.connection, survey_id=survey_id, export_id=export_id)
    if not export.has_file:
        raise Http404("This export has no file (not finished, failed, or deleted after the retention period).")
    try:
        stream = default_storage.open(export.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The export's file is gone from storage.") from None
    return FileResponse(stream, as_attachment=True, filename=export.file_name,
                        content_type=CONTENT_TYPES[export.format])


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def survey_daily(request, connection_id, survey_id):
    """The card of the survey's responses per day (htmx): the chart as last counted, or, when asked (`count`), a
    count started in a worker (the card asks again every few seconds while it runs), or why it could not. A
    count is only started when someone asks for one: each is an export job in Qualtrics."""
    if request.GET.get("count"):
        services.daily_counts_forget(connection=request.connection, survey_id=survey_id)
        services.daily_counts_request(connection=request.connection, survey_id=survey_id)
    daily = selectors.survey_daily_responses(connection=request.connection, survey_id=survey_id)
    return render(request, "responses/_daily.html", {
        "daily": daily, "daily_url": url("survey_daily", request, survey_id), "days": services.DAILY_DAYS,
    })
