"""The dashboard (the page after log-in) and the demo's mail box."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connections.access import connections_for
from connections.selectors import expiring_connection_ids_for, expiring_connections_for, failing_connections_for
from distributions.selectors import upcoming_distributions_for
from gateway.selectors import gateway_use_for

from .mailbox import mailbox_enabled, mailbox_messages
from .selectors import worker_status

CONNECTIONS_SHOWN = 12
# Connections listed as expiring, and as failing: the soonest (or first) ones, with how many there are.
LISTED = 8


@require_GET
def dashboard(request):
    user = request.user
    mine = connections_for(user).select_related("owner").order_by("name", "pk")
    shown = list(mine[:CONNECTIONS_SHOWN + 1])
    expiring = expiring_connection_ids_for(user, request=request)
    failing = failing_connections_for(user).order_by("name", "pk")
    failing_shown = list(failing[:LISTED + 1])
    context = {
        # The page costs the same for 10 connections or 5,000: the rest are a link away.
        "connections": shown[:CONNECTIONS_SHOWN],
        "connection_count": mine.count() if len(shown) > CONNECTIONS_SHOWN else len(shown),
        "expiring": expiring_connections_for(user, ids=expiring, limit=LISTED),
        "expiring_count": len(expiring),
        "failing": failing_shown[:LISTED],
        "failing_count": failing.count() if len(failing_shown) > LISTED else len(failing_shown),
        "upcoming": upcoming_distributions_for(user, limit=10),
        "worker": worker_status(),
        "gateway": gateway_use_for(user),
    }
    return render(request, "dashboard/dashboard.html", context)


@require_GET
def mailbox(request):
    """The e-mails the portal wrote to its file mail box (the demo's EMAIL_URL), newest first. They may
    name any connection and any recipient, so only superusers read them."""
    if not request.user.is_superuser:
        raise PermissionDenied("The mail box is for the portal's administrators.")
    return render(request, "dashboard/mailbox.html", {"mails": mailbox_messages(limit=50),
                                                      "enabled": mailbox_enabled()})
