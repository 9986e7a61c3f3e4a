"""The dashboard (the page after log-in) and the demo's mail box."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connections.access import connections_for
from connections.selectors import (
    connection_tallies_for,
    expiring_connection_ids_for,
    expiring_connections_for,
    failing_connections_for,
    first_by_name,
)
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
    # The page costs the same for 10 connections or 5,000: one pass counts them, the few shown are sorted on
    # their names alone, and the rest are a link away.
    tallies = connection_tallies_for(user, request=request)
    expiring = expiring_connection_ids_for(user, request=request)
    context = {
        "connections": first_by_name(connections_for(user), CONNECTIONS_SHOWN),
        "connection_count": tallies["total"],
        "expiring": expiring_connections_for(user, ids=expiring, limit=LISTED),
        "expiring_count": len(expiring),
        "failing": first_by_name(failing_connections_for(user), LISTED) if tallies["failing"] else [],
        "failing_count": tallies["failing"],
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
