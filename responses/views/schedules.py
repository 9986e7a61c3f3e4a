"""Export schedules: made, changed and deleted by operators; their run history for everyone."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from connections.access import connection_view
from connections.models import Role
from web.errors import handles_errors

from .. import selectors, services
from ..forms import ScheduleForm
from ..models import ExportSchedule
from .base import explain_page, go, survey_context, template_for, url
from .exports import export_form_choices

OPTION_FIELDS = ("format", "use_labels", "in_progress", "filter_id", "question_ids", "metadata_ids", "embedded_ids",
                 "limit", "breakout_sets", "newline_replacement")


def _initial(schedule: ExportSchedule) -> dict:
    initial = {"name": schedule.name, "frequency": schedule.frequency, "minute": schedule.minute,
               "time_of_day": schedule.time_of_day, "weekday": schedule.weekday, "incremental": schedule.incremental,
               "notify_emails": schedule.notify_emails, "notify_on": schedule.notify_on, "format": schedule.format}
    initial.update(schedule.options.get("_form", {}))
    return initial


def _apply(schedule: ExportSchedule, form: ScheduleForm, zone: str) -> None:
    data = form.cleaned_data
    for name in ("name", "frequency", "time_of_day", "weekday", "incremental", "notify_emails", "notify_on", "format"):
        setattr(schedule, name, data[name])
    schedule.minute = data["minute"] or 0
    schedule.time_zone = zone
    body = services.export_body(**form.options(time_zone=zone))
    # What the person chose is kept beside the body, to show the form again as it was filled.
    chosen = {name: data[name] for name in OPTION_FIELDS if name != "embedded_ids"}
    chosen["embedded_ids"] = ", ".join(data["embedded_ids"] or [])
    schedule.options = {**body, "_form": chosen}


def _form_screen(request, survey_id: str, form, title: str, context: dict):
    context.update(form=form, form_title=title, submit_label="Save the schedule",
                   cancel_url=url("export_list", request, survey_id), tz=timezone.get_current_timezone_name(),
                   intro="At each run a worker exports the survey's responses and keeps the file here; "
                         "incremental runs hold only what was recorded since the previous run.")
    return render(request, template_for(request, "responses/export_form.html", "crud/form.html#form"), context)


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def schedule_create(request, connection_id, survey_id):
    context = survey_context(request, survey_id, tab="exports")
    form = ScheduleForm(request.POST or None, **export_form_choices(request, survey_id))
    if request.method == "POST" and form.is_valid():
        schedule = ExportSchedule(connection=request.connection, survey_id=survey_id,
                                  survey_name=context["survey_name"][:300])
        _apply(schedule, form, timezone.get_current_timezone_name())
        services.export_schedule_save(schedule=schedule, actor=request.user, created=True)
        messages.success(request, f"Schedule “{schedule.name}” saved.")
        return go(request, schedule.get_absolute_url())
    return _form_screen(request, survey_id, form, f"Schedule exports of “{context['survey_name']}”", context)


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def schedule_edit(request, connection_id, survey_id, schedule_id):
    schedule = selectors.schedule_get(connection=request.connection, survey_id=survey_id, schedule_id=schedule_id)
    context = survey_context(request, survey_id, tab="exports")
    form = ScheduleForm(request.POST or None, initial=_initial(schedule), **export_form_choices(request, survey_id))
    if request.method == "POST" and form.is_valid():
        _apply(schedule, form, timezone.get_current_timezone_name())
        schedule.enabled, schedule.disabled_reason = True, ""
        services.export_schedule_save(schedule=schedule, actor=request.user, created=False)
        messages.success(request, f"Schedule “{schedule.name}” saved.")
        return go(request, schedule.get_absolute_url())
    return _form_screen(request, survey_id, form, f"Change the schedule “{schedule.name}”", context)


@require_GET
@connection_view(Role.VIEWER)
@handles_errors(explain_page)
def schedule_detail(request, connection_id, survey_id, schedule_id):
    schedule = selectors.schedule_get(connection=request.connection, survey_id=survey_id, schedule_id=schedule_id)
    runs = schedule.runs.select_related("created_by").order_by("-slot", "-pk")[:100]
    context = survey_context(request, survey_id, tab="exports", schedule=schedule, runs=runs)
    return render(request, "responses/schedule_detail.html", context)


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
@handles_errors(explain_page)
def schedule_delete(request, connection_id, survey_id, schedule_id):
    schedule = selectors.schedule_get(connection=request.connection, survey_id=survey_id, schedule_id=schedule_id)
    if request.method == "POST":
        name = schedule.name
        services.export_schedule_delete(schedule=schedule, actor=request.user)
        messages.success(request, f"Schedule “{name}” deleted; the files it made are kept.")
        return go(request, url("export_list", request, survey_id))
    context = survey_context(request, survey_id, object_label=schedule.name, verbose_name="schedule", verb="Delete",
                             consequences=["No more runs; the files it made stay until the retention period ends."],
                             undo_note="", cancel_url=schedule.get_absolute_url(), error=None)
    return render(request, template_for(request, "crud/confirm_delete.html", "crud/confirm_delete.html#confirm"),
                  context)
