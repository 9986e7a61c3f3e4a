"""Testing a saved connection's token: on demand, daily, and when other work finds it refused."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from web.errors import EXPLAINABLE_ERRORS, error_text

from ..audit import audit_record
from ..models import AuditEvent, Connection
from ..qualtrics_client import connection_oauth_token_forget
from .alerts import connection_token_rejected_alert_send
from .whoami import WhoAmI, whoami_for_connection

logger = logging.getLogger(__name__)


@dataclass
class CheckResult:
    """The outcome of a connection test."""

    ok: bool
    whoami: WhoAmI | None = None
    error: Exception | None = None
    checked_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def request_id(self) -> str:
        if self.whoami is not None:
            return self.whoami.request_id
        return getattr(self.error, "request_id", "") or ""

    @property
    def token_rejected(self) -> bool:
        from qualtrics.errors import AuthenticationError

        return isinstance(self.error, AuthenticationError)


def connection_test(*, connection: Connection, actor=None, retry=None) -> CheckResult:
    """Ask Qualtrics who is behind the saved token; record the outcome on the connection and audit it.

    On AuthenticationError the rejection time is set (kept if already set, so the alert about it goes
    out once); any success clears it.
    """
    from qualtrics.errors import AuthenticationError

    now = timezone.now()
    connection_oauth_token_forget(connection)  # an OAuth connection's test fetches a token: its scopes are news
    try:
        who = whoami_for_connection(connection=connection, actor=actor, retry=retry)
    except EXPLAINABLE_ERRORS as exc:
        updates: dict[str, Any] = {
            "last_checked_at": now,
            "last_check_ok": False,
            "last_check_error": error_text(exc),
        }
        rejected = isinstance(exc, AuthenticationError)
        Connection.objects.filter(pk=connection.pk).update(**updates)
        if rejected:
            connection.mark_token_rejected(at=now)
        connection.refresh_from_db()
        audit_record(
            actor=actor,
            connection=connection,
            action="connection.test",
            target=connection.name,
            outcome=AuditEvent.Outcome.DENIED if rejected else AuditEvent.Outcome.FAILED,
            request_id=getattr(exc, "request_id", "") or "",
            detail=updates["last_check_error"],
        )
        return CheckResult(ok=False, error=exc, checked_at=now)

    connection.save(update_fields=connection.record_whoami(who, at=now))
    connection.refresh_from_db()
    detail = f"brand {who.brand_id or '?'}, user {who.user_name or '?'}, account type {who.account_type or '?'}"
    if who.suggested_datacenter:
        detail += f"; Qualtrics proxied the call and suggests datacenter {who.suggested_datacenter}"
    audit_record(
        actor=actor,
        connection=connection,
        action="connection.test",
        target=connection.name,
        request_id=who.request_id,
        detail=detail,
    )
    return CheckResult(ok=True, whoami=who, checked_at=now)


def connection_token_health_check(*, connection: Connection, retry=None) -> CheckResult:
    """Daily: test the token; when Qualtrics rejects it, alert once per rejection."""
    result = connection_test(connection=connection, actor=None, retry=retry)
    if result.token_rejected:
        connection_token_rejected_alert_send(connection=connection)
    return result


def connection_mark_token_rejected(*, connection: Connection) -> bool:
    """Qualtrics rejected the token during other work: mark it once (holding its distributions) and alert.

    Returns True when this call marked it (a second caller finds it marked and does nothing).
    """
    if not connection.mark_token_rejected():
        return False
    try:
        connection_token_rejected_alert_send(connection=connection)
    except Exception:  # the alert must not stop the caller from holding its work
        logger.exception("could not send the token-rejected alert for connection %s", connection.pk)
    return True


@dataclass
class HealthBatch:
    ok: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    transient: list[int] = field(default_factory=list)  # to check again later
    retry_after: float | None = None


def connections_token_health_batch(*, connection_ids: list[int], retry=None) -> HealthBatch:
    """Daily, for a batch: test each enabled connection's token; the ones Qualtrics rejected are alerted
    together (one SMTP connection, one insert; once per rejection)."""
    from .alert_batches import token_rejected_alerts_send

    outcome = HealthBatch()
    rejected: list[Connection] = []
    for connection in Connection.objects.filter(pk__in=connection_ids, enabled=True).select_related("owner").order_by(
        "pk"
    ):
        result = connection_test(connection=connection, actor=None, retry=retry)
        if result.ok:
            outcome.ok.append(connection.pk)
        elif result.token_rejected:
            outcome.rejected.append(connection.pk)
            rejected.append(connection)
        elif getattr(result.error, "is_transient", False):
            outcome.transient.append(connection.pk)
            wait = getattr(result.error, "retry_after", None)
            if wait:
                outcome.retry_after = max(outcome.retry_after or 0.0, float(wait))
    token_rejected_alerts_send(rejected)
    return outcome
