"""The daily sweeps' alerts in batches. The number of queries does not grow with the number of connections.

1. The **sweep** reads what is due in one query (plain values, no model instances), what was already
   recorded in one more, and records every new alert with one INSERT that ignores the rows another sweep
   already holds. Each row carries the sweep's claim token and `(connection, kind, key)` is unique, so the
   rows read back with that token are the alerts this sweep won, whatever other sweeps run at once. It then
   hands them to workers, ALERT_BATCH per message.
2. **Delivery** (a worker, per batch) takes its rows over by one conditional UPDATE to a token of its own (a
   repeated message takes nothing), reads them with their connections, works out every recipient in three
   queries, renders the e-mails and sends them over one SMTP connection, then marks them delivered and
   audits them, one statement each.
3. A batch whose sending fails gives its rows back (claim emptied) and the next sweep claims them again; a
   row nobody can be told about is removed, so it goes out once someone can. A worker that dies between
   taking a batch and marking it delivered leaves it undelivered and unsent again, never sent twice.
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
from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import AlertKind, AlertSent, AuditEvent, Connection, ConnectionShare, Role
from .alerts import alert_email_content

logger = logging.getLogger(__name__)

# Alerts one delivery takes: one message to a worker, one SMTP connection.
ALERT_BATCH = 200
# The widest notice window a connection may ask for (Connection.notify_days_before's maximum).
WIDEST_NOTICE_DAYS = 100
EXPIRY_KINDS = (AlertKind.EXPIRY_NOTICE, AlertKind.EXPIRED)
TEMPLATES = {
    AlertKind.EXPIRY_NOTICE: "connection-expiring",
    AlertKind.EXPIRED: "connection-expired",
    AlertKind.TOKEN_REJECTED: "connection-token-rejected",
}


@dataclass
class SweepReport:
    due: int = 0
    already_sent: int = 0
    claimed: int = 0
    lost_to_another_sweep: int = 0
    batches: list[list[int]] = field(default_factory=list)
    claim: str = ""


@dataclass
class Delivery:
    sent: int = 0
    not_mine: int = 0
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


def _expiry_kind(expires_on: datetime.date, notify_days_before: int, today: datetime.date) -> str | None:
    """As Connection.expiry_status: expired on the day, a notice inside the connection's window."""
    if expires_on <= today:
        return AlertKind.EXPIRED
    if (expires_on - today).days <= notify_days_before:
        return AlertKind.EXPIRY_NOTICE
    return None


def alerts_claim(due: set[tuple[int, str, str]], *, report: SweepReport | None = None) -> SweepReport:
    """Record `due` alerts {(connection id, kind, key)} for this caller, once across every caller at once,
    and split what it won into delivery batches (`report.batches`, under `report.claim`)."""
    report = report or SweepReport(due=len(due))
    claim = uuid.uuid4().hex
    _insert_ignoring_taken(due, claim=claim, now=timezone.now())
    ids = list(AlertSent.objects.filter(claim=claim, delivered_at__isnull=True).order_by("pk")
               .values_list("pk", flat=True))
    report.claimed += len(ids)
    report.lost_to_another_sweep += len(due) - len(ids)
    report.claim = claim
    report.batches = [ids[start:start + ALERT_BATCH] for start in range(0, len(ids), ALERT_BATCH)]
    return report


def _insert_ignoring_taken(due: set[tuple[int, str, str]], *, claim: str, now: datetime.datetime) -> None:
    """Insert an AlertSent row under `claim` for each of `due`, skipping those another sweep recorded."""
    if db.vendor != "postgresql":
        AlertSent.objects.bulk_create(
            [AlertSent(connection_id=pk, kind=kind, key=key, claim=claim, sent_at=now) for pk, kind, key in due],
            ignore_conflicts=True,
        )
        return
    # One statement with the rows as three arrays: at 10,000 alerts, the model instance and parameter list
    # bulk_create builds for each row were most of the sweep's time.
    pks, kinds, keys = zip(*due, strict=True) if due else ((), (), ())
    with db.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {db.ops.quote_name(AlertSent._meta.db_table)} '  # noqa: S608 - the model's own table
            '("connection_id", "kind", "key", "recipients", "sent_at", "claim") '
            "SELECT row_connection, row_kind, row_key, '', %s, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS due(row_connection, row_kind, row_key) "
            "ON CONFLICT DO NOTHING",
            [now, claim, list(pks), list(kinds), list(keys)],
        )


def connections_expiry_sweep(*, today: datetime.date | None = None, deliver=None) -> SweepReport:
    """Claim every expiry alert due today (expiring inside the connection's notice window, or expired), once
    per (connection, expiration date, kind), and hand each batch to `deliver(alert_ids, claim)` once the
    claim is committed (`alerts_deliver` when none is given: the caller's own process sends them)."""
    today = today or timezone.localdate()
    window = Connection.objects.filter(
        enabled=True, expires_on__isnull=False, expires_on__lte=today + datetime.timedelta(days=WIDEST_NOTICE_DAYS)
    )
    due: set[tuple[int, str, str]] = set()
    for pk, expires_on, notify_days_before in window.values_list("pk", "expires_on", "notify_days_before"):
        kind = _expiry_kind(expires_on, notify_days_before, today)
        if kind is not None:
            due.add((pk, kind, expires_on.isoformat()))
    report = SweepReport(due=len(due))
    if not due:
        return report
    with transaction.atomic():
        recorded = AlertSent.objects.filter(kind__in=EXPIRY_KINDS, connection__in=window.values("pk"))
        given_back: set[tuple[int, str, str]] = set()
        for pk, kind, key, delivered_at, claim in recorded.values_list(
            "connection_id", "kind", "key", "delivered_at", "claim"
        ):
            if (pk, kind, key) in due:
                due.discard((pk, kind, key))
                if delivered_at is None and not claim:
                    given_back.add((pk, kind, key))
                else:
                    report.already_sent += 1
        alerts_claim(due, report=report)
        if given_back:  # a failed delivery gave these back: claimed again, by one sweep only
            taken = recorded.filter(delivered_at__isnull=True, claim="").filter(
                _keys_filter(given_back)).update(claim=report.claim, sent_at=timezone.now())
            report.claimed += taken
            extra = list(recorded.filter(claim=report.claim).exclude(
                pk__in=[pk for batch in report.batches for pk in batch]).values_list("pk", flat=True))
            report.batches += [extra[start:start + ALERT_BATCH] for start in range(0, len(extra), ALERT_BATCH)]
        deliver = deliver or (lambda ids, claim: alerts_deliver(alert_ids=ids, claim=claim))
        for batch in report.batches:
            transaction.on_commit(lambda batch=batch: _hand_over(deliver, batch, report.claim))
    if report.claimed:
        logger.info("expiry sweep: %d alert(s) claimed in %d batch(es)", report.claimed, len(report.batches))
    return report


def _keys_filter(keys: set[tuple[int, str, str]]) -> Q:
    condition = Q(pk__in=[])
    for pk, kind, key in keys:
        condition |= Q(connection_id=pk, kind=kind, key=key)
    return condition


def _hand_over(deliver, batch: list[int], claim: str) -> None:
    try:
        deliver(batch, claim)
    except Exception:
        # Not handed over (the broker is down, the relay refused): give the batch back for the next sweep.
        AlertSent.objects.filter(pk__in=batch, claim=claim, delivered_at__isnull=True).update(claim="")
        logger.exception("could not deliver %d alert(s); the next sweep tries again", len(batch))


def alerts_deliver(*, alert_ids: list[int], claim: str, today: datetime.date | None = None) -> Delivery:
    """Send a batch of claimed alerts over one SMTP connection, each once: rows are taken over from `claim`
    to this delivery's own token first, so a repeated message sends nothing."""
    today = today or timezone.localdate()
    mine = uuid.uuid4().hex
    outcome = Delivery()
    taken = AlertSent.objects.filter(pk__in=alert_ids, claim=claim, delivered_at__isnull=True).update(claim=mine)
    outcome.not_mine = len(alert_ids) - taken
    if not taken:
        return outcome
    rows = list(AlertSent.objects.filter(claim=mine, delivered_at__isnull=True).select_related("connection__owner"))
    recipients = recipients_by_connection([row.connection for row in rows])
    nobody = [row.pk for row in rows if not recipients[row.connection_id]]
    if nobody:  # removed, so the alert goes out once someone can be told
        logger.warning("%d alert(s) with nobody to tell (no owner, manager or extra address)", len(nobody))
        AlertSent.objects.filter(pk__in=nobody, claim=mine).delete()
        outcome.no_recipients = len(nobody)
    rows = [row for row in rows if recipients[row.connection_id]]
    messages = [_message(row, recipients[row.connection_id], today) for row in rows]
    try:
        get_connection(fail_silently=False).send_messages(messages)  # opens one SMTP connection, closes it
    except Exception:
        AlertSent.objects.filter(claim=mine, delivered_at__isnull=True).update(claim="")  # given back
        raise
    now = timezone.now()
    for row in rows:
        row.delivered_at = row.sent_at = now
        row.recipients = "\n".join(recipients[row.connection_id])
    AlertSent.objects.bulk_update(rows, ["delivered_at", "sent_at", "recipients"])
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=None, actor_label="system", connection=row.connection, connection_label=row.connection.name,
                   action=f"alert.{row.kind}"[:80], target=row.connection.name[:300], outcome=AuditEvent.Outcome.OK,
                   detail=f"e-mailed {len(recipients[row.connection_id])} recipient(s) ({row.key})")
        for row in rows
    ])
    outcome.sent = len(rows)
    return outcome


def _message(row: AlertSent, recipients: list[str], today: datetime.date) -> EmailMultiAlternatives:
    connection = row.connection
    context: dict[str, Any]
    if row.kind == AlertKind.TOKEN_REJECTED:
        context = {"error": connection.last_check_error}
    else:
        expires_on = datetime.date.fromisoformat(row.key)
        context = {"days_left": (expires_on - today).days, "today": today}
    subject, text, html = alert_email_content(template=TEMPLATES[row.kind], connection=connection, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message


def token_rejected_alerts_send(connections: list[Connection]) -> Delivery:
    """The token-rejected alerts of a batch of connections Qualtrics refused, once per rejection, sent here."""
    due = {(c.pk, AlertKind.TOKEN_REJECTED, c.token_rejected_at.isoformat())
           for c in connections if c.token_rejected_at is not None}
    total = Delivery()
    if not due:
        return total
    report = alerts_claim(due)
    for batch in report.batches:
        delivered = alerts_deliver(alert_ids=batch, claim=report.claim)
        total.sent += delivered.sent
        total.no_recipients += delivered.no_recipients
    return total
