"""Keys about to expire: the connection's managers are told, as for its token, its notice window ahead."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from connections.audit import audit_record
from connections.services.alerts import alert_recipients

from ..models import ApiKey

logger = logging.getLogger(__name__)


def keys_due_for_expiry_notice(today: datetime.date | None = None) -> list[int]:
    """Ids of live keys expiring within their connection's notice window, not yet told about."""
    today = today or timezone.localdate()
    candidates = (
        ApiKey.objects.filter(revoked_at__isnull=True, expires_on__gt=today, connection__enabled=True)
        .exclude(expiry_notice_for=F("expires_on"))
        .select_related("connection")
    )
    return [key.pk for key in candidates if (key.expires_on - today).days <= key.connection.notify_days_before]


def api_key_expiry_notice_send(*, key_id: int, today: datetime.date | None = None) -> bool:
    """E-mail the notice for one key, once per expiry date: the row is claimed before the mail goes out, and
    given back if it cannot be sent."""
    today = today or timezone.localdate()
    key = ApiKey.objects.select_related("connection__owner").filter(pk=key_id, revoked_at__isnull=True).first()
    if key is None or key.expires_on is None or key.expires_on <= today:
        return False
    recipients = alert_recipients(key.connection)
    if not recipients:
        logger.warning("API key %s: nobody to tell about its expiry", key.pk)
        return False
    claimed = ApiKey.objects.filter(pk=key.pk).filter(
        Q(expiry_notice_for__isnull=True) | ~Q(expiry_notice_for=key.expires_on)
    ).update(expiry_notice_for=key.expires_on)
    if not claimed:
        return False
    keys_url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("gateway:key_list", args=[key.connection_id])
    context = {"key": key, "connection": key.connection, "days_left": (key.expires_on - today).days,
               "keys_url": keys_url}
    try:
        send_mail(
            subject=" ".join(render_to_string("emails/api-key-expiring-subject.txt", context).split()),
            message=render_to_string("emails/api-key-expiring-body.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        ApiKey.objects.filter(pk=key.pk).update(expiry_notice_for=None)
        raise
    audit_record(connection=key.connection, action="alert.api_key_expiry", target=f"{key.prefix}…",
                 detail=f"API key “{key.name}” expires on {key.expires_on.isoformat()}: e-mailed "
                        f"{len(recipients)} recipient(s)")
    return True
