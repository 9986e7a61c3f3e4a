"""Response imports into a survey: upload (checked at once), live progress, the result with its counts."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from connections.access import connection_view
from connections.models import Role
from web.errors import handles_errors
from web.forms import add_service_error
from web.htmx import stop_polling

from .. import selectors, services
from ..forms import ImportForm
from ..models import ResponseImport
from .base import explain_page, go, survey_context, template_for, url


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def import_list(request, connection_id, survey_id):
    context = survey_context(request, survey_id, tab="imports",
                             imports=selectors.import_list(connection=request.connection, survey_id=survey_id)[:50])
    return render(request, "responses/import_list.html", context)


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def import_create(request, connection_id, survey_id):
    context = survey_context(request, survey_id, tab="imports")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.response_import_create(connection=request.connection, actor=request.user,
                                                  survey_id=survey_id, survey_name=context["survey_name"],
                                                  upload=form.cleaned_data["file"])
        except services.UnreadableFile as exc:
            add_service_error(form, exc)
        else:
            return go(request, url("import_detail", request, survey_id, import_id=job.pk))
    context.update(form=form, form_title=f"Import responses into “{context['survey_name']}”",
                   submit_label="Upload and import", cancel_url=url("import_list", request, survey_id),
                   intro="The file is checked now; a worker then sends it to Qualtrics and follows the import.")
    return render(request, template_for(request, "responses/export_form.html", "crud/form.html#form"), context)


def _context(request, job: ResponseImport) -> dict:
    return {"job": job, "connection": request.connection, "survey_id": job.survey_id}


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def import_detail(request, connection_id, survey_id, import_id):
    job = selectors.import_get(connection=request.connection, survey_id=survey_id, import_id=import_id)
    return render(request, "responses/import_detail.html", survey_context(request, survey_id, tab="imports",
                                                                          **_context(request, job)))


@require_GET
@connection_view(Role.VIEWER)
def import_progress(request, connection_id, survey_id, import_id):
    job = selectors.import_get(connection=request.connection, survey_id=survey_id, import_id=import_id)
    response = render(request, "responses/import_detail.html#progress", _context(request, job))
    return stop_polling(response) if job.is_finished else response
