"""Names for the brand's user types and group types, which Qualtrics gives only as IDs, and for divisions, which
it names itself (a name set here replaces its name on the portal's screens)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections.access import connection_view
from connections.models import Role
from web.errors import explained

from .. import selectors, services
from ..models import LabelKind
from .base import explain_brandadmin_error, redirect_to

KIND_HEADINGS = {
    "user_type": ("User types", "Qualtrics names user types only in its own admin pages; the API gives their IDs."),
    "group_type": ("Group types", "Group types cannot be listed through the API either: the IDs in use are shown."),
    "division": ("Divisions", "Qualtrics names divisions itself; a name given here is shown instead."),
}


@require_GET
@connection_view(Role.VIEWER)
def label_list(request, connection_id):
    connection = request.connection
    rows, error = explained(selectors.labels_to_set, connection=connection, actor=request.user,
                            explain=lambda exc: explain_brandadmin_error(exc, connection))
    sections = [{"kind": kind, "heading": KIND_HEADINGS[kind][0], "note": KIND_HEADINGS[kind][1],
                 "rows": (rows or {}).get(kind, [])} for kind in LabelKind.values]
    return render(request, "brandadmin/labels.html", {
        "connection": connection, "tab": "labels", "sections": sections, "error": error,
        "can_label": request.connection_role >= Role.MANAGER,
    })


@require_POST
@connection_view(Role.MANAGER)
def label_save(request, connection_id):
    connection = request.connection
    kind, qualtrics_id = request.POST.get("kind", ""), request.POST.get("qualtrics_id", "").strip()
    label = request.POST.get("label", "")
    try:
        services.label_set(connection=connection, actor=request.user, kind=kind, qualtrics_id=qualtrics_id,
                           label=label)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        shown = " ".join(label.split())
        messages.success(request, f"{qualtrics_id} is now shown as “{shown}”." if shown else
                         f"{qualtrics_id} is shown by its ID again.")
    return redirect_to(request, reverse("brandadmin:label_list", kwargs={"connection_id": connection.pk}))
