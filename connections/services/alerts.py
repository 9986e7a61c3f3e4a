"""E-mails about a connection's token (expiring, expired, refused), each sent exactly once."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ..audit import audit_record
from ..models import AlertKind, AlertSent, Connection, ConnectionShare, Role

logger = logging.getLogger(__name__)


def alert_recipients(connection: Connection) -> list[str]:
    """The owner, the managers (single users and members of manager teams) and the extra addresses."""
    User = get_user_model()
    shares = ConnectionShare.objects.filter(connection=connection, role__gte=Role.MANAGER)
    users = User.objects.filter(is_active=True).filter(
        pk__in=[connection.owner_id, *shares.filter(user__isnull=False).values_list("user_id", flat=True)]
    )
    team_users = User.objects.filter(
        is_active=True, groups__in=shares.filter(team__isnull=False).values("team_id")
    )
    addresses: list[str] = []
    for address in [
        *users.order_by("pk").values_list("email", flat=True),
        *team_users.order_by("pk").values_list("email", flat=True),
        *connection.notification_addresses(),
    ]:
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def alert_email_content(*, template: str, connection: Connection, context: dict) -> tuple[str, str, str]:
    """An alert's subject, text and HTML body."""
    context = {
        "connection": connection,
        "connection_url": _absolute(connection.get_absolute_url()),
        "rotate_url": _absolute(reverse("connections:connection_rotate", args=[connection.pk])),
        "edit_url": _absolute(reverse("connections:connection_edit", args=[connection.pk])),
        **context,
    }
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    return subject, text, html


def _send_alert_email(*, template: str, connection: Connection, recipients: list[str], context: dict) -> None:
    subject, text, html = alert_email_content(template=template, connection=connection, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    message.send()


def _claim_alert(*, connection: Connection, kind: str, key: str, recipients: list[str]) -> AlertSent | None:
    """Insert the AlertSent row first: whoever inserts it sends the alert; everyone else stops."""
    try:
        with transaction.atomic():
            # Sent right after (or the row is deleted again when sending fails).
            return AlertSent.objects.create(
                connection=connection, kind=kind, key=key, recipients="\n".join(recipients),
                delivered_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _send_claimed(alert: AlertSent, **send_kwargs) -> bool:
    try:
        _send_alert_email(**send_kwargs)
    except Exception:
        # Give the alert back so the next attempt (task retry, next sweep) sends it.
        AlertSent.objects.filter(pk=alert.pk).delete()
        raise
    audit_record(
        connection=alert.connection,
        action=f"alert.{alert.kind}",
        target=alert.connection.name,
        detail=f"e-mailed {len(send_kwargs['recipients'])} recipient(s) ({alert.key})",
    )
    return True


def connection_expiry_alert_send(*, connection: Connection, today: datetime.date | None = None) -> str | None:
    """Send the expiry alert due today for this connection, once per (connection, date, kind).

    Returns the kind sent, or None. Safe to run from several workers at once: the unique AlertSent
    row is inserted before the e-mail goes out.
    """
    today = today or timezone.localdate()
    if not connection.enabled or not connection.expires_on:
        return None
    status = connection.expiry_status(today)
    if status == "soon":
        kind, template = AlertKind.EXPIRY_NOTICE, "connection-expiring"
    elif status == "expired":
        kind, template = AlertKind.EXPIRED, "connection-expired"
    else:
        return None
    recipients = alert_recipients(connection)
    if not recipients:
        logger.warning("connection %s: nobody to tell about its expiry", connection.pk)
        return None
    alert = _claim_alert(connection=connection, kind=kind, key=connection.expires_on.isoformat(),
                         recipients=recipients)
    if alert is None:
        return None
    _send_claimed(
        alert,
        template=template,
        connection=connection,
        recipients=recipients,
        context={"days_left": (connection.expires_on - today).days, "today": today},
    )
    return kind


def connection_token_rejected_alert_send(*, connection: Connection) -> bool:
    connection.refresh_from_db()
    if connection.token_rejected_at is None:
        return False
    recipients = alert_recipients(connection)
    if not recipients:
        return False
    alert = _claim_alert(
        connection=connection,
        kind=AlertKind.TOKEN_REJECTED,
        key=connection.token_rejected_at.isoformat(),
        recipients=recipients,
    )
    if alert is None:
        return False
    return _send_claimed(
        alert,
        template="connection-token-rejected",
        connection=connection,
        recipients=recipients,
        context={"error": connection.last_check_error},
    )


def connection_expiry_alert_now(*, connection: Connection, today: datetime.date | None = None) -> tuple[bool, str]:
    """A manager's "check now": send the expiry alert if one is due (as the daily sweep at 06:00 UTC would,
    and still once per expiration date), and say in plain words what happened. (sent, message)."""
    today = today or timezone.localdate()
    if not connection.expires_on:
        return False, "This connection has no expiration date, so there is no expiry alert to send."
    if not connection.enabled:
        return False, "This connection is disabled: it sends no alerts until it is enabled again."
    status = connection.expiry_status(today)
    if status not in {"soon", "expired"}:
        due = connection.expires_on - datetime.timedelta(days=connection.notify_days_before)
        expires = date_format(connection.expires_on, "j F Y")
        return False, (f"Not due yet: the token expires on {expires}, and its alert goes out "
                       f"{connection.notify_days_before} days before, on {date_format(due, 'j F Y')}.")
    if not alert_recipients(connection):
        return False, "Nobody to tell: add alert addresses to the connection (or give it an owner with an e-mail)."
    kind = connection_expiry_alert_send(connection=connection, today=today)
    wanted = AlertKind.EXPIRED if status == "expired" else AlertKind.EXPIRY_NOTICE
    alert = connection.alerts.filter(kind=wanted, key=connection.expires_on.isoformat()).first()
    who = ", ".join((alert.recipients if alert else "").split())
    if kind is not None:
        return True, f"Sent the expiry alert to {who}."
    when = date_format(timezone.localtime(alert.sent_at), "j F Y H:i") if alert else "earlier"
    return False, f"The alert for this expiration date already went out on {when} to {who}: it is sent once."
