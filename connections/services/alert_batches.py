"""The daily sweeps' alerts in batches: what is due read in one query, each alert recorded exactly once by one
INSERT that ignores the rows another sweep already holds, and the e-mails sent over one SMTP connection per
batch. The number of queries does not grow with the number of connections.

Exactly once, with any number of sweeps at once: every AlertSent row this sweep inserts carries its own claim
token, and `(connection, kind, key)` is unique, so the rows read back with that token are the alerts this sweep
won; only those are sent. A batch whose sending fails gives its rows (and the ones after it) back, so the next
sweep sends them.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from ..models import AlertKind, AlertSent, AuditEvent, Connection, ConnectionShare, Role
from .alerts import alert_email_content

logger = logging.getLogger(__name__)

# E-mails sent over one SMTP connection.
ALERT_BATCH = 200
# The widest notice window a connection may ask for (Connection.notify_days_before's maximum).
WIDEST_NOTICE_DAYS = 100


@dataclass
class DueAlert:
    connection: Connection
    kind: str
    key: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepReport:
    due: int = 0
    already_sent: int = 0
    sent: int = 0
    lost_to_another_sweep: int = 0
    no_recipients: int = 0


def recipients_by_connection(connections: list[Connection]) -> dict[int, list[str]]:
    """`alerts.alert_recipients` of many connections in three queries, whatever their number: the owner and
    the managers (single users, then members of manager teams, each by id), then the extra addresses."""
    User = get_user_model()
    ids = [c.pk for c in connections]
    user_ids: dict[int, set[int]] = {c.pk: {c.owner_id} if c.owner_id else set() for c in connections}
    team_ids: dict[int, set[int]] = defaultdict(set)
    for connection_id, user_id, team_id in ConnectionShare.objects.filter(
        connection_id__in=ids, role__gte=Role.MANAGER
    ).values_list("connection_id", "user_id", "team_id"):
        if user_id:
            user_ids[connection_id].add(user_id)
        if team_id:
            team_ids[connection_id].add(team_id)
    emails = dict(
        User.objects.filter(is_active=True, pk__in={u for users in user_ids.values() for u in users})
        .values_list("pk", "email")
    )
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    all_teams = {t for teams in team_ids.values() for t in teams}
    if all_teams:
        for group_id, user_id, email in User.groups.through.objects.filter(
            group_id__in=all_teams, user__is_active=True
        ).values_list("group_id", "user_id", "user__email"):
            members[group_id].append((user_id, email))
    found: dict[int, list[str]] = {}
    for c in connections:
        team_users = sorted({member for team in team_ids[c.pk] for member in members[team]})
        addresses: list[str] = []
        seen: set[str] = set()
        for address in [*(emails.get(u) for u in sorted(user_ids[c.pk])), *(e for _pk, e in team_users),
                        *c.notification_addresses()]:
            if address and address.lower() not in seen:
                seen.add(address.lower())
                addresses.append(address)
        found[c.pk] = addresses
    return found


def alerts_send(due: list[DueAlert], *, report: SweepReport | None = None) -> SweepReport:
    """Record and send `due` alerts, each exactly once across every sweep running at once."""
    report = report or SweepReport()
    if not due:
        return report
    recipients = recipients_by_connection([alert.connection for alert in due])
    addressed = []
    for alert in due:
        if recipients[alert.connection.pk]:
            addressed.append(alert)
        else:
            report.no_recipients += 1
            logger.warning("connection %s: nobody to tell about its %s alert", alert.connection.pk, alert.kind)
    claim = uuid.uuid4().hex
    now = timezone.now()
    AlertSent.objects.bulk_create(
        [AlertSent(connection=alert.connection, kind=alert.kind, key=alert.key, claim=claim, sent_at=now,
                   recipients="\n".join(recipients[alert.connection.pk])) for alert in addressed],
        ignore_conflicts=True,
    )
    won = {(connection_id, kind, key): pk for pk, connection_id, kind, key in AlertSent.objects.filter(
        claim=claim).values_list("pk", "connection_id", "kind", "key")}
    mine = [alert for alert in addressed if (alert.connection.pk, alert.kind, alert.key) in won]
    report.lost_to_another_sweep += len(addressed) - len(mine)
    sent: list[DueAlert] = []
    try:
        for start in range(0, len(mine), ALERT_BATCH):
            batch = mine[start:start + ALERT_BATCH]
            messages = [_message(alert, recipients[alert.connection.pk]) for alert in batch]
            try:
                get_connection(fail_silently=False).send_messages(messages)  # opens one connection, closes it
            except Exception:
                # Give back this batch and the ones not tried, so the next sweep sends them.
                AlertSent.objects.filter(pk__in=[won[(a.connection.pk, a.kind, a.key)] for a in mine[start:]]).delete()
                raise
            sent += batch
    finally:
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=None, actor_label="system", connection=alert.connection,
                       connection_label=alert.connection.name, action=f"alert.{alert.kind}"[:80],
                       target=alert.connection.name[:300], outcome=AuditEvent.Outcome.OK,
                       detail=f"e-mailed {len(recipients[alert.connection.pk])} recipient(s) ({alert.key})")
            for alert in sent
        ])
        report.sent += len(sent)
    return report


def _message(alert: DueAlert, recipients: list[str]) -> EmailMultiAlternatives:
    subject, text, html = alert_email_content(template=alert.template, connection=alert.connection,
                                              context=alert.context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message


def connections_expiry_sweep(*, today: datetime.date | None = None) -> SweepReport:
    """Send every expiry alert due today (expiring inside the connection's notice window, or expired), once
    per (connection, expiration date, kind)."""
    today = today or timezone.localdate()
    window = Connection.objects.filter(
        enabled=True, expires_on__isnull=False, expires_on__lte=today + datetime.timedelta(days=WIDEST_NOTICE_DAYS)
    ).select_related("owner").order_by("pk")  # the e-mails name the owner
    due: list[DueAlert] = []
    for connection in window:
        status = connection.expiry_status(today)
        if status == "soon":
            kind, template = AlertKind.EXPIRY_NOTICE, "connection-expiring"
        elif status == "expired":
            kind, template = AlertKind.EXPIRED, "connection-expired"
        else:
            continue
        due.append(DueAlert(connection, kind, connection.expires_on.isoformat(), template,
                            {"days_left": (connection.expires_on - today).days, "today": today}))
    report = SweepReport(due=len(due))
    if due:
        sent = set(AlertSent.objects.filter(
            kind__in=(AlertKind.EXPIRY_NOTICE, AlertKind.EXPIRED), connection__in=window
        ).values_list("connection_id", "kind", "key"))
        fresh = [alert for alert in due if (alert.connection.pk, alert.kind, alert.key) not in sent]
        report.already_sent = len(due) - len(fresh)
        alerts_send(fresh, report=report)
    if report.sent:
        logger.info("expiry sweep: %d alert(s) sent", report.sent)
    return report


def token_rejected_alerts_send(connections: list[Connection]) -> SweepReport:
    """The token-rejected alerts of a batch of connections Qualtrics refused, once per rejection."""
    due = [DueAlert(c, AlertKind.TOKEN_REJECTED, c.token_rejected_at.isoformat(), "connection-token-rejected",
                    {"error": c.last_check_error}) for c in connections if c.token_rejected_at is not None]
    return alerts_send(due, report=SweepReport(due=len(due)))
