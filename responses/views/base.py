"""What every responses screen shares: the survey in the URL (Qualtrics must know it), its name in the
heading, and the one way an error from Qualtrics is explained."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from connections.models import Role
from web.errors import error_response, explain, page_status
from web.htmx import is_partial

from .. import selectors


def survey_context(request, survey_id: str, /, **extra) -> dict:
    """The survey (read from Qualtrics: an unknown survey is explained as not found) and the role's powers."""
    survey = selectors.survey_get(connection=request.connection, actor=request.user, survey_id=survey_id)
    role = request.connection_role
    context = {
        "connection": request.connection,
        "role": role,
        "can_write": role >= Role.OPERATOR,
        "can_delete": role >= Role.MANAGER,
        "survey": survey,
        "survey_id": survey_id,
        "survey_name": survey.get("name") or survey_id,
    }
    context.update({key: value for key, value in extra.items() if key != "survey_id"})
    return context


def explain_page(request, exc, **kwargs):
    """A screen whose survey (or response) Qualtrics cannot give: explained, 404 when it is gone."""
    survey_id = kwargs.get("survey_id", "")
    back = reverse("surveys:survey_list", kwargs={"connection_id": request.connection.pk})
    context = {"back_url": back, "back_label": "Back to the surveys"}
    if survey_id:
        context["back_url"] = reverse("surveys:survey_detail", kwargs={"connection_id": request.connection.pk,
                                                                       "survey_id": survey_id})
        context["back_label"] = "Back to the survey"
    return error_response(request, explain(exc), context=context, status=page_status(exc))


def template_for(request, page: str, partial: str) -> str:
    """The whole page, or for htmx (a form posted in place) the partial it swaps."""
    return partial if is_partial(request) else page


def go(request, url: str):
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


def url(name: str, request, survey_id: str, **kwargs) -> str:
    return reverse(f"responses:{name}", kwargs={"connection_id": request.connection.pk, "survey_id": survey_id,
                                                **kwargs})
