"""Reads of the API console."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from connections.models import Connection, Role

from .models import HISTORY_SIZE, ConsoleAccess, ConsoleCall, SavedRequest


def operators_allowed(*, connection: Connection) -> bool:
    return ConsoleAccess.objects.filter(connection=connection, operators_allowed=True).exists()


def console_access_of(*, connection: Connection) -> ConsoleAccess | None:
    return ConsoleAccess.objects.filter(connection=connection).select_related("changed_by").first()


def may_use_console(*, connection: Connection, role: Role | None) -> bool:
    """Managers may always; operators when a manager allowed them on this connection; viewers never."""
    if role is None or role < Role.OPERATOR:
        return False
    return role >= Role.MANAGER or operators_allowed(connection=connection)


def check_console_access(*, connection: Connection, role: Role) -> None:
    """PermissionDenied, in words, unless the role may use the console of `connection`."""
    if may_use_console(connection=connection, role=role):
        return
    if role >= Role.OPERATOR:
        raise PermissionDenied(
            f"The API console of “{connection.name}” is for its managers; a manager can open it to operators."
        )
    raise PermissionDenied(
        f"The API console of “{connection.name}” needs the manager role (or the operator role, where a manager "
        f"allows it); you are a {Role(role).label.lower()}. Ask one of its managers."
    )


def saved_requests(*, connection: Connection) -> QuerySet[SavedRequest]:
    return SavedRequest.objects.filter(connection=connection).select_related("created_by")


def saved_request_get(*, connection: Connection, saved_id) -> SavedRequest:
    try:
        return SavedRequest.objects.select_related("created_by").get(connection=connection, pk=int(saved_id))
    except (SavedRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such saved request") from None


def recent_calls(*, connection: Connection, actor) -> QuerySet[ConsoleCall]:
    """The user's own last calls on this connection, newest first."""
    return ConsoleCall.objects.filter(connection=connection, actor=actor)[:HISTORY_SIZE]


def call_get(*, connection: Connection, actor, call_id) -> ConsoleCall:
    """One of the user's own calls (another user's is not found)."""
    try:
        return ConsoleCall.objects.get(connection=connection, actor=actor, pk=int(call_id))
    except (ConsoleCall.DoesNotExist, ValueError, TypeError):
        raise Http404("No such call") from None
