"""Reads of the responses app: the portal's exports, schedules and imports of a survey, and what Qualtrics
holds (the survey, its saved filters and questions, one response shown with its question texts)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from connections.models import Connection
from connections.qualtrics_client import connection_client
from surveys import selectors as survey_selectors
from surveys.definition import Summary
from web.charts import Bar, BarChart

from .models import ExportSchedule, ResponseExport, ResponseImport

# --- the portal's records ------------------------------------------------------------------------------


def export_list(*, connection: Connection, survey_id: str) -> QuerySet[ResponseExport]:
    return ResponseExport.objects.filter(connection=connection, survey_id=survey_id).select_related(
        "created_by", "schedule")


def export_get(*, connection: Connection, survey_id: str, export_id: int) -> ResponseExport:
    found = export_list(connection=connection, survey_id=survey_id).filter(pk=export_id).first()
    if found is None:
        raise Http404("No such export")
    return found


def schedule_list(*, connection: Connection, survey_id: str) -> QuerySet[ExportSchedule]:
    return ExportSchedule.objects.filter(connection=connection, survey_id=survey_id).select_related("created_by")


def schedule_get(*, connection: Connection, survey_id: str, schedule_id: int) -> ExportSchedule:
    found = schedule_list(connection=connection, survey_id=survey_id).filter(pk=schedule_id).first()
    if found is None:
        raise Http404("No such schedule")
    return found


def import_list(*, connection: Connection, survey_id: str) -> QuerySet[ResponseImport]:
    return ResponseImport.objects.filter(connection=connection, survey_id=survey_id).select_related("created_by")


def import_get(*, connection: Connection, survey_id: str, import_id: int) -> ResponseImport:
    found = import_list(connection=connection, survey_id=survey_id).filter(pk=import_id).first()
    if found is None:
        raise Http404("No such import")
    return found


# --- what Qualtrics holds ------------------------------------------------------------------------------


def survey_get(*, connection: Connection, actor, survey_id: str) -> dict[str, Any]:
    """The survey (NotFoundError when Qualtrics has no such survey)."""
    return survey_selectors.survey_get(connection=connection, actor=actor, survey_id=survey_id)


def survey_filters(*, connection: Connection, actor, survey_id: str) -> list[tuple[str, str]]:
    """(filter ID, name) of each saved response filter of the survey."""
    client = connection_client(connection, actor=actor)
    rows = [(str(f.get("filterId") or f.get("id") or ""), str(f.get("name") or f.get("filterId") or ""))
            for f in client.surveys.list_filters(survey_id).iter_all()]
    return sorted((row for row in rows if row[0]), key=lambda row: row[1].casefold())


def survey_definition(*, connection: Connection, actor, survey_id: str) -> Summary:
    return survey_selectors.survey_definition(connection=connection, actor=actor, survey_id=survey_id)


@dataclass(frozen=True)
class Answer:
    tag: str
    question: str
    value: str


@dataclass
class ResponseView:
    """One response as its page shows it."""

    response_id: str
    status: str
    started: datetime.datetime | None
    ended: datetime.datetime | None
    recorded: datetime.datetime | None
    finished: bool
    progress: Any
    duration: int | None
    recipient_name: str
    recipient_email: str
    external_reference: str
    answers: list[Answer] = field(default_factory=list)
    embedded: dict[str, str] = field(default_factory=dict)


METADATA_KEYS = frozenset({
    "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate", "_recordId",
    "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage", "recipientFirstName",
    "recipientLastName", "recipientEmail", "externalDataReference",
})
STATUS_NAMES = {0: "IP address (a respondent)", 1: "Survey preview", 2: "Survey test", 4: "Imported", 8: "Spam",
                16: "Offline"}


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def response_view(raw: dict[str, Any], summary: Summary | None) -> ResponseView:
    """A response from `GET /surveys/{id}/responses/{rid}`, with each answer under its question's text (from the
    survey's definition; an answer whose question is unknown is shown under its key)."""
    values = raw.get("values") or {}
    labels = raw.get("labels") or {}
    questions = {q.qid: q for block in (summary.blocks if summary else []) for q in block.questions}
    order = [q.qid for block in (summary.blocks if summary else []) for q in block.questions]
    answers: list[Answer] = []
    embedded: dict[str, str] = {}
    answered = [key for key in values if key not in METADATA_KEYS]

    def position(key: str) -> tuple[int, str]:
        qid = key.partition("_")[0]
        return (order.index(qid) if qid in order else len(order), key)

    for key in sorted(answered, key=position):
        qid, _, part = key.partition("_")
        question = questions.get(qid)
        if question is None and not key.startswith("QID"):
            embedded[key] = _shown(values[key])
            continue
        shown = labels.get(key, values[key])
        text = question.text if question else key
        if part and part not in ("TEXT",):
            text = f"{text} ({part.replace('_', ' ')})"
        answers.append(Answer(question.tag if question else qid, text, _shown(shown)))
    status = values.get("status")
    name = " ".join(p for p in (values.get("recipientFirstName"), values.get("recipientLastName")) if p)
    duration = values.get("duration")
    return ResponseView(
        response_id=str(raw.get("responseId") or values.get("_recordId") or ""),
        status=STATUS_NAMES.get(status, str(labels.get("status") or status or "")),
        started=survey_selectors.parse_moment(values.get("startDate")),
        ended=survey_selectors.parse_moment(values.get("endDate")),
        recorded=survey_selectors.parse_moment(values.get("recordedDate")),
        finished=str(values.get("finished")) in ("1", "True", "true"),
        progress=values.get("progress"),
        duration=int(duration) if isinstance(duration, (int, float)) or str(duration or "").isdigit() else None,
        recipient_name=name,
        recipient_email=str(values.get("recipientEmail") or ""),
        external_reference=str(values.get("externalDataReference") or ""),
        answers=answers,
        embedded=embedded,
    )


def response_get(*, connection: Connection, actor, survey_id: str, response_id: str) -> dict[str, Any]:
    return connection_client(connection, actor=actor).responses.get(survey_id, response_id)


@dataclass(frozen=True)
class DailyResponses:
    """What the chart of a survey's responses per day can show: the chart, or why not (yet)."""

    chart: BarChart | None = None
    counted_at: datetime.datetime | None = None
    error: str = ""
    counting: bool = False  # a worker is counting now


def survey_daily_responses(*, connection: Connection, survey_id: str) -> DailyResponses:
    """The survey's responses recorded each day of the last weeks, in the viewer's time zone, as counted last
    (see services.daily); no chart before a count or while a worker counts."""
    from .services.daily import DAYS, cache_key, counting_key

    kept = cache.get(cache_key(connection.pk, survey_id))
    if kept is None:
        return DailyResponses(counting=cache.get(counting_key(connection.pk, survey_id)) is not None)
    counted_at = datetime.datetime.fromtimestamp(kept["at"], datetime.UTC)
    if "error" in kept:
        return DailyResponses(error=kept["error"], counted_at=counted_at)
    zone = timezone.get_current_timezone()
    per_day: Counter = Counter()
    for hour, count in kept["hours"].items():
        per_day[datetime.datetime.fromtimestamp(int(hour), datetime.UTC).astimezone(zone).date()] += count
    today = timezone.localdate(counted_at)
    days = [today - datetime.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    bars = [Bar(f"{day.day} {day:%b}", per_day.get(day, 0)) for day in days]
    chart = BarChart(title=f"Responses recorded each day, the last {DAYS} days", bars=bars, unit="responses",
                     unit_one="response", label_every=7)
    return DailyResponses(chart=chart, counted_at=counted_at)
