"""The audit trail: every change to a connection and every write made to Qualtrics through one."""

from __future__ import annotations

import logging

from .models import AuditEvent, Connection

logger = logging.getLogger(__name__)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# POST routes that only read (Qualtrics puts a search's filter in a body).
READ_ONLY_POSTS = ("/contacts/search",)


def audit_record(
    *,
    actor=None,
    connection: Connection | None = None,
    action: str,
    target: str = "",
    outcome: str = AuditEvent.Outcome.OK,
    request_id: str = "",
    detail: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=(actor.get_username() if actor is not None and getattr(actor, "pk", None) else "system"),
        connection=connection,
        connection_label=connection.name if connection else "",
        action=action[:80],
        target=target[:300],
        outcome=outcome,
        request_id=request_id or "",
        detail=detail,
    )


def is_write(method: str, path: str) -> bool:
    """A call that changes something in Qualtrics."""
    return method.upper() in WRITE_METHODS and not path.endswith(READ_ONLY_POSTS)


class QualtricsCallAuditor:
    """A client hook that records every write call (and every refused call) with its request id."""

    def __init__(self, *, connection: Connection, actor=None):
        self.connection = connection
        self.actor = actor

    def __call__(self, record) -> None:
        if not is_write(record.method, record.path):
            return
        status = record.status
        if status is not None and status < 400:
            outcome = AuditEvent.Outcome.OK
        elif status in (401, 403):
            outcome = AuditEvent.Outcome.DENIED
        else:
            outcome = AuditEvent.Outcome.FAILED
        detail = ""
        if record.error_message or record.error_code:
            detail = f"{record.error_code or ''} {record.error_message or ''}".strip()
        try:
            audit_record(
                actor=self.actor,
                connection=self.connection,
                action=f"qualtrics.{record.method.lower()}",
                target=record.path,
                outcome=outcome,
                request_id=record.request_id or "",
                detail=detail if status is not None else f"no answer: {detail or 'connection failed'}",
            )
        except Exception:  # the audit must never break the call it records
            logger.exception("could not record an audit event")
