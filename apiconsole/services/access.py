"""Who may use a connection's console: its managers always, its operators when a manager says so."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from connections.audit import audit_record
from connections.models import Connection, Role

from ..models import ConsoleAccess


def console_access_set(*, connection: Connection, actor, role: Role, operators_allowed: bool) -> ConsoleAccess:
    if role < Role.MANAGER:
        raise PermissionDenied(f"Only a manager of “{connection.name}” decides who may use its API console.")
    access, _created = ConsoleAccess.objects.update_or_create(
        connection=connection,
        defaults={"operators_allowed": operators_allowed, "changed_by": actor, "changed_at": timezone.now()},
    )
    audit_record(
        actor=actor, connection=connection, action="console.access",
        detail="Operators may use the API console." if operators_allowed else "Only managers may use the API console.",
    )
    return access
