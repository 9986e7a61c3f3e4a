"""One response: found by its ID, shown with its question texts; embedded data set by operators; deleted by
managers after a confirmation that names it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from connections.access import connection_view
from connections.models import Role
from web.errors import EXPLAINABLE_ERRORS, explain, explained, handles_errors
from web.forms import add_service_error

from .. import selectors, services
from ..forms import RESPONSE_ID, EmbeddedDataForm, ResponseFindForm
from .base import explain_page, go, survey_context, template_for, url


def _checked(response_id: str) -> str:
    if not RESPONSE_ID.fullmatch(response_id):
        raise Http404("Not a response ID")
    return response_id


@require_http_methods(["GET"])
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def response_find(request, connection_id, survey_id):
    """A response ID typed in: its page (the form says so when it is not a response ID)."""
    form = ResponseFindForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return go(request, url("response_detail", request, survey_id, response_id=form.cleaned_data["response_id"]))
    context = survey_context(request, survey_id, tab="response", form=form)
    return render(request, "responses/response_find.html", context)


def _response_context(request, survey_id: str, response_id: str, **extra) -> dict:
    reads = {"connection": request.connection, "actor": request.user, "survey_id": survey_id}
    raw = selectors.response_get(**reads, response_id=response_id)
    summary, summary_error = explained(selectors.survey_definition, **reads)
    return survey_context(request, survey_id, tab="response", response=selectors.response_view(raw, summary),
                          summary_error=summary_error, **extra)


@require_http_methods(["GET"])
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def response_detail(request, connection_id, survey_id, response_id):
    context = _response_context(request, survey_id, _checked(response_id), embedded_form=EmbeddedDataForm())
    return render(request, "responses/response_detail.html", context)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def response_embedded(request, connection_id, survey_id, response_id):
    form = EmbeddedDataForm(request.POST)
    if form.is_valid():
        try:
            services.response_embedded_data_set(connection=request.connection, actor=request.user,
                                                survey_id=survey_id, response_id=_checked(response_id),
                                                name=form.cleaned_data["name"], value=form.cleaned_data["value"])
        except EXPLAINABLE_ERRORS as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Embedded data “{form.cleaned_data['name']}” saved.")
            return go(request, url("response_detail", request, survey_id, response_id=response_id))
    context = _response_context(request, survey_id, _checked(response_id), embedded_form=form)
    return render(request, "responses/response_detail.html", context, status=200)


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
@handles_errors(explain_page)
def response_delete(request, connection_id, survey_id, response_id):
    response_id = _checked(response_id)
    context = survey_context(request, survey_id)
    error = None
    if request.method == "POST":
        try:
            services.response_delete(connection=request.connection, actor=request.user, survey_id=survey_id,
                                     survey_name=context["survey_name"], response_id=response_id)
        except EXPLAINABLE_ERRORS as exc:
            error = explain(exc)
        else:
            messages.success(request, f"Response {response_id} deleted.")
            return go(request, url("response_find", request, survey_id))
    context.update(
        object_label=response_id, verbose_name="response", verb="Delete",
        consequences=[f"The response {response_id} of “{context['survey_name']}” is deleted in Qualtrics, with "
                      "its answers and embedded data; reports and exports no longer count it."],
        undo_note="This cannot be undone.", cancel_url=url("response_detail", request, survey_id,
                                                           response_id=response_id),
        error=error,
    )
    return render(request, template_for(request, "crud/confirm_delete.html", "crud/confirm_delete.html#confirm"),
                  context)
