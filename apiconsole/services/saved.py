"""Saved requests: kept by name on a connection, shared with everyone who may use its console."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.functions import Lower

from connections.audit import audit_record
from connections.models import Connection, Role

from ..models import SavedRequest
from .calls import ConsoleRequest


def saved_request_save(*, connection: Connection, actor, name: str, request: ConsoleRequest) -> SavedRequest:
    """Save `request` under `name`; a request already saved under that name (any case) is replaced."""
    name = name.strip()[:100]
    fields = {"method": request.method, "path": request.path, "query": [list(p) for p in request.query],
              "headers": [list(p) for p in request.headers], "body": request.body}
    with transaction.atomic():
        existing = (SavedRequest.objects.select_for_update().annotate(lower=Lower("name"))
                    .filter(connection=connection, lower=name.lower()).first())
        if existing is None:
            saved = SavedRequest.objects.create(connection=connection, name=name, created_by=actor, **fields)
        else:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.name = name
            existing.save()
            saved = existing
        audit_record(actor=actor, connection=connection, action="console.save",
                     target=f"{request.method} {request.path}", detail=f"Saved request “{name}”")
    return saved


def saved_request_delete(*, saved: SavedRequest, actor, role: Role) -> None:
    """The one who saved it, or a manager, may delete a saved request."""
    if role < Role.MANAGER and saved.created_by_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the one who saved this request, or a manager, may delete it.")
    audit_record(actor=actor, connection=saved.connection, action="console.unsave",
                 target=f"{saved.method} {saved.path}", detail=f"Deleted saved request “{saved.name}”")
    saved.delete()
