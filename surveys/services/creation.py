"""New surveys: a copy of one (Qualtrics' copy, optionally to another owner), or one imported from a .qsf file."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from connections.models import Connection

from .. import qsf
from .base import clean_name, client_for, done


def survey_copy(*, connection: Connection, actor, survey_id: str, name: str, owner_id: str = "",
                source_name: str = "") -> str:
    """Copy the survey under `name`, owned by `owner_id` (a user of the brand) or else by the connection's
    Qualtrics user; returns the copy's ID. The copy starts inactive, without responses."""
    name = clean_name(name)
    client = client_for(connection, actor)
    copy_id = client.surveys.copy(survey_id, name=name, owner_id=owner_id or None)["id"]
    detail = f"copy of {survey_id}" + (f" “{source_name}”" if source_name else "")
    if owner_id:
        detail += f", owned by {owner_id}"
    done(client, connection, actor, "survey.copy", copy_id, name, detail)
    return copy_id


def survey_import(*, connection: Connection, actor, upload, name: str = "") -> str:
    """Create a survey from an uploaded .qsf file, named `name` or else as the file names it; returns its ID.

    The file is checked first (qsf.read): what is not a survey file never reaches Qualtrics.
    """
    try:
        document = qsf.read(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    name = clean_name(name or document.survey_name)
    client = client_for(connection, actor)
    survey_id = client.surveys.import_qsf(name=name, content=document.content, filename=document.filename)["id"]
    done(client, connection, actor, "survey.import", survey_id, name,
         f"from {document.filename} ({document.question_count} question{'s' if document.question_count != 1 else ''})")
    return survey_id
