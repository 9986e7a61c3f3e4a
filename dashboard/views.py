"""The dashboard (the page after log-in) and the demo's mail box."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render

from connections.access import connections_for
from connections.selectors import expiring_connections_for, failing_connections_for
from distributions.selectors import upcoming_distributions_for

from .mailbox import mailbox_enabled, mailbox_messages
from .selectors import worker_status


def dashboard(request):
    user = request.user
    mine = connections_for(user).select_related("owner")
    context = {
        "connections": mine,
        "expiring": expiring_connections_for(user),
        "failing": failing_connections_for(user),
        "upcoming": upcoming_distributions_for(user, limit=10),
        "worker": worker_status(),
    }
    return render(request, "dashboard/dashboard.html", context)


@staff_member_required
def mailbox(request):
    """The e-mails the portal wrote to its file mail box (the demo's EMAIL_URL), newest first."""
    return render(request, "dashboard/mailbox.html", {"mails": mailbox_messages(limit=50),
                                                      "enabled": mailbox_enabled()})
