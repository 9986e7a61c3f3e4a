"""How the responses app answers the surveys app's hooks (connected in ResponsesConfig.ready()): a survey's
page links to its exports, responses and imports; deleting a survey switches its schedules off."""

from __future__ import annotations

from django.urls import reverse

from connections.signals import Dependent, Dependents

from .models import ExportSchedule


def _url(name: str, connection, survey_id: str) -> str:
    return reverse(f"responses:{name}", kwargs={"connection_id": connection.pk, "survey_id": survey_id})


def survey_responses(sender, *, connection, survey_id, pending_only=False, **kwargs) -> Dependents:
    schedules = ExportSchedule.objects.filter(connection=connection, survey_id=survey_id, enabled=True)
    if pending_only:
        return Dependents(
            title="Scheduled exports", noun="scheduled export(s)",
            fate="would fail without the survey, so they will be switched off",
            none_text="No export of this survey's responses is scheduled in the portal.",
            items=tuple(Dependent(label=s.name, url=s.get_absolute_url(), note=s.get_frequency_display().lower())
                        for s in schedules))
    items = [
        Dependent(label="Export responses", url=_url("export_list", connection, survey_id),
                  note="now or on a schedule; the files are kept for the team"),
        Dependent(label="Open a response", url=_url("response_find", connection, survey_id), note="by its ID"),
        Dependent(label="Import responses", url=_url("import_list", connection, survey_id),
                  note="from a CSV file in Qualtrics' export layout"),
    ]
    items += [Dependent(label=f"Schedule: {s.name}", url=s.get_absolute_url(),
                        note=s.get_frequency_display().lower()) for s in schedules]
    return Dependents(title="Exports, single responses, imports", noun="link(s)", items=tuple(items))


def stop_survey_schedules(sender, *, connection, survey_id, actor, **kwargs) -> Dependents:
    """The survey was deleted in Qualtrics: its schedules are switched off, saying why."""
    schedules = list(ExportSchedule.objects.filter(connection=connection, survey_id=survey_id, enabled=True))
    ExportSchedule.objects.filter(pk__in=[s.pk for s in schedules]).update(
        enabled=False, next_run_at=None, disabled_reason="The survey was deleted.")
    return Dependents(title="Scheduled exports", noun="scheduled export(s)",
                      items=tuple(Dependent(label=s.name) for s in schedules))
