"""What the survey services share: the client, the audit record in words, the name rule."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from connections.audit import audit_record
from connections.models import Connection
from connections.qualtrics_client import connection_client

from ..selectors import cache_forget

# Qualtrics refuses a longer survey name (docs/qualtrics-api.md#surveys).
NAME_MAX = 200


def clean_name(name: str, *, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({field: "Give the survey a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({field: f"A survey name may be at most {NAME_MAX} characters; this one has {len(name)}."})
    return name


def client_for(connection: Connection, actor):
    return connection_client(connection, actor=actor)


def done(client, connection: Connection, actor, action: str, survey_id: str, name: str, detail: str = "") -> None:
    """After a write Qualtrics accepted: forget the cached reads, and audit it in words."""
    cache_forget(connection)
    audit_record(
        actor=actor,
        connection=connection,
        action=action,
        target=f"survey {survey_id}: {name}" if name else f"survey {survey_id}",
        request_id=(client.last_meta or {}).get("requestId") or "",
        detail=detail,
    )
