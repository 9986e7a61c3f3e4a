"""Sharing a connection with people and teams in a role, and ending a share."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ..access import role_for
from ..audit import audit_record
from ..models import Connection, ConnectionShare, Role


def _ensure_may_grant(actor, connection: Connection) -> None:
    """Only someone who manages the connection (its owner, a manager, a superuser) changes who may use it."""
    if role_for(actor, connection) != Role.MANAGER:
        raise PermissionDenied(f"Only the managers of “{connection.name}” change who it is shared with.")


@transaction.atomic
def connection_share(*, connection: Connection, actor, user=None, team: Group | None = None,
                     role: int = Role.VIEWER) -> ConnectionShare:
    """Share with one user or one team in a role (an existing share of the same grantee changes role)."""
    _ensure_may_grant(actor, connection)
    if (user is None) == (team is None):
        raise ValidationError("Share with either one person or one team.")
    role = Role(int(role))
    if user is not None:
        if user.pk == connection.owner_id:
            raise ValidationError(
                {"user": f"{user.get_username()} owns this connection and is already one of its managers."}
            )
        if not user.is_active:
            raise ValidationError({"user": f"{user.get_username()} cannot sign in (inactive account)."})
    lookup = {"user": user} if user is not None else {"team": team}
    share = ConnectionShare.objects.select_for_update().filter(connection=connection, **lookup).first()
    grantee = f"team {team.name}" if team is not None else f"user {user.get_username()}"
    if share is None:
        share = ConnectionShare.objects.create(connection=connection, role=role, **lookup)
        action, detail = "share.add", f"{grantee} as {role.label.lower()}"
    elif share.role != role:
        old = Role(share.role)
        share.role = role
        share.save(update_fields=["role"])
        action, detail = "share.change", f"{grantee}: {old.label.lower()} → {role.label.lower()}"
    else:
        return share
    audit_record(actor=actor, connection=connection, action=action, target=grantee, detail=detail)
    return share


@transaction.atomic
def connection_unshare(*, connection: Connection, actor, share_id: int) -> None:
    _ensure_may_grant(actor, connection)
    share = ConnectionShare.objects.select_related("user", "team").filter(
        connection=connection, pk=share_id
    ).first()
    if share is None:
        raise ValidationError("That share does not exist any more.")
    grantee = f"team {share.team.name}" if share.team_id else f"user {share.user.get_username()}"
    role = Role(share.role)
    share.delete()
    audit_record(
        actor=actor,
        connection=connection,
        action="share.remove",
        target=grantee,
        detail=f"{grantee} was {role.label.lower()}",
    )
