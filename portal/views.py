from django.shortcuts import render

from connections.access import connections_for
from connections.selectors import expiring_connections_for, failing_connections_for

from .selectors import worker_status


def dashboard(request):
    user = request.user
    mine = connections_for(user).select_related("owner")
    context = {
        "connections": mine,
        "expiring": expiring_connections_for(user),
        "failing": failing_connections_for(user),
        "upcoming": _upcoming_distributions(user),
        "worker": worker_status(),
    }
    return render(request, "portal/dashboard.html", context)


def _upcoming_distributions(user):
    from distributions.selectors import upcoming_distributions_for

    return upcoming_distributions_for(user, limit=10)
