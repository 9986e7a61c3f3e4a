"""Changing a survey in Qualtrics: activate or deactivate it, rename it, set or clear its expiration window."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.models import Connection

from .base import NAME_MAX, clean_name, client_for, done

__all__ = ["NAME_MAX", "survey_rename", "survey_set_active", "survey_set_window"]


def survey_set_active(*, connection: Connection, actor, survey_id: str, active: bool, name: str = "") -> None:
    """Activate the survey (respondents may answer it) or deactivate it (they no longer can)."""
    client = client_for(connection, actor)
    client.surveys.update(survey_id, is_active=active)
    done(client, connection, actor, "survey.activate" if active else "survey.deactivate", survey_id, name)


def survey_rename(*, connection: Connection, actor, survey_id: str, name: str, old_name: str = "") -> str:
    """Give the survey a new name (at most NAME_MAX characters); returns the name as saved."""
    name = clean_name(name)
    client = client_for(connection, actor)
    client.surveys.update(survey_id, name=name)
    done(client, connection, actor, "survey.rename", survey_id, name,
         f"renamed from “{old_name}”" if old_name and old_name != name else "")
    return name


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y %H:%M %Z") if moment else "open"


def survey_set_window(*, connection: Connection, actor, survey_id: str, starts: datetime.datetime | None,
                      ends: datetime.datetime | None, name: str = "") -> None:
    """Set when respondents may answer (either side may stay open); both None clears the window."""
    for moment, field in ((starts, "starts"), (ends, "ends")):
        if moment is not None and timezone.is_naive(moment):
            raise ValidationError({field: "The time has no time zone."})
    if starts is not None and ends is not None and ends <= starts:
        raise ValidationError({"ends": f"The window ends ({_local(ends)}) before it starts ({_local(starts)}): "
                                       "the end must come after the start."})
    client = client_for(connection, actor)
    client.surveys.update(survey_id, expiration=(starts, ends))
    detail = "window cleared" if starts is None and ends is None else f"window {_local(starts)} → {_local(ends)}"
    done(client, connection, actor, "survey.window", survey_id, name, detail)
