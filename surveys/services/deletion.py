"""Deleting a survey in Qualtrics, and then the work other apps kept on it (scheduled distributions…)."""

from __future__ import annotations

from django.db import transaction

from connections.models import Connection

from ..signals import Dependents, answers, survey_deleted
from .base import client_for, done


def survey_delete(*, connection: Connection, actor, survey_id: str, name: str = "",
                  responses: int | None = None) -> list[Dependents]:
    """Delete the survey in Qualtrics; once that has worked, have the other apps cancel what they kept on it
    (each says why on its own record). Returns what they cancelled. When Qualtrics refuses, nothing changes
    in the portal either."""
    client = client_for(connection, actor)
    client.surveys.delete(survey_id)
    with transaction.atomic():
        cancelled = [work for work in answers(survey_deleted, connection=connection, survey_id=survey_id,
                                              survey_name=name, actor=actor) if work.items]
        detail = f"{responses} recorded response(s)" if responses is not None else ""
        detail += "".join(f"; cancelled {work.summary()}" for work in cancelled)
        done(client, connection, actor, "survey.delete", survey_id, name, detail.lstrip("; "))
    return cancelled
