"""The one access function: every view, form choice and task asks here.

A user with no access to a connection gets 404 (no hint that it exists); a role that is too low gets
403 with a message naming the role needed.
"""

from __future__ import annotations

import functools
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Connection, ConnectionShare, Role


def role_for(user, connection: Connection) -> Role | None:
    """The highest role `user` holds on `connection`, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or connection.owner_id == user.pk:
        return Role.MANAGER
    roles = ConnectionShare.objects.filter(connection=connection).filter(
        Q(user=user) | Q(team__in=user.groups.all())
    ).values_list("role", flat=True)
    best = max(roles, default=None)
    return Role(best) if best is not None else None


def connections_for(user, *, role: Role = Role.VIEWER) -> QuerySet[Connection]:
    """Connections `user` may use with at least `role`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Connection.objects.none()
    if user.is_superuser:
        return Connection.objects.all()
    shared = ConnectionShare.objects.filter(role__gte=role).filter(
        Q(user=user) | Q(team__in=user.groups.all())
    )
    # One table and a subquery, no join: no row can come twice, so no DISTINCT (which made PostgreSQL compare
    # and sort every column of every connection: 60 ms a page for someone with 5,000 of them).
    return Connection.objects.filter(Q(owner=user) | Q(pk__in=shared.values("connection_id")))


def connection_for(user, connection_id, *, role: Role = Role.VIEWER) -> tuple[Connection, Role]:
    """The connection and the user's role, or Http404 (no access) / PermissionDenied (role too low)."""
    try:
        connection = next(iter(Connection.objects.raw(_connection_sql(), [int(connection_id)])), None)
    except (ValueError, TypeError, OverflowError):
        connection = None
    if connection is None:
        raise Http404("No such connection")
    held = role_for(user, connection)
    if held is None:
        raise Http404("No such connection")
    if held < role:
        raise PermissionDenied(
            f"This needs the {Role(role).label.lower()} role on “{connection.name}”; "
            f"you are {_article(held.label.lower())} {held.label.lower()}. Ask one of its managers."
        )
    return connection, held


@functools.cache
def _connection_sql() -> str:
    """The query of one connection by id, compiled once per process. Every page of a connection starts with it,
    and the ORM compiles a query anew each time: for these 29 columns that was half of the lookup (a quarter of
    a millisecond, more when the process had been idle), before the page could call Qualtrics. Not joined to
    its owner: most pages never show it, and a join costs every page of the connection."""
    sql, _params = Connection.objects.filter(pk=0).query.sql_with_params()
    return sql


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def connection_view(role: Role = Role.VIEWER):
    """Decorate a view taking `connection_id`: sets request.connection and request.connection_role."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, connection_id, *args, **kwargs):
            connection, held = connection_for(request.user, connection_id, role=role)
            request.connection = connection
            request.connection_role = held
            return view(request, *args, connection_id=connection_id, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator


def can(request, role: Role) -> bool:
    held = getattr(request, "connection_role", None)
    return held is not None and held >= role
