from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .access import connections_for, role_for
from .models import AuditEvent, Connection

SESSION_KEY = "current_connection_id"


def current_connection_for(request) -> Connection | None:
    """The connection in the URL, else the one last used in this session (if still accessible)."""
    connection = getattr(request, "connection", None)
    if connection is not None:
        if request.session.get(SESSION_KEY) != connection.pk:
            request.session[SESSION_KEY] = connection.pk
        return connection
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    connection = Connection.objects.filter(pk=pk).first()
    if connection is None or role_for(request.user, connection) is None:
        request.session.pop(SESSION_KEY, None)
        return None
    return connection


def expiring_connections_for(user, *, today: datetime.date | None = None) -> list[Connection]:
    """The user's enabled connections whose expiration date is inside their notice window (or past)."""
    today = today or timezone.localdate()
    qs = connections_for(user).filter(enabled=True, expires_on__isnull=False)
    qs = qs.filter(expires_on__lte=today + datetime.timedelta(days=100))
    return [c for c in qs if c.expiry_status(today) in {"soon", "expired"}]


def failing_connections_for(user) -> QuerySet[Connection]:
    return connections_for(user).filter(Q(last_check_ok=False) | Q(token_rejected_at__isnull=False))


def audit_events_for(*, connection: Connection, action: str = "", actor: str = "", outcome: str = "",
                     since=None, until=None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(connection=connection)
    if action:
        qs = qs.filter(action__icontains=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs

