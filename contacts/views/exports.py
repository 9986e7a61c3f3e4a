"""CSV exports of a directory's contacts and of a list's members, streamed as they are read."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from connections.access import connection_view
from connections.audit import audit_record
from connections.models import Role
from web.csv import csv_response

from .. import selectors

# --- Exports ------------------------------------------------------------------------------------


def _export_response(request, rows, filename: str, *, action: str, target: str) -> StreamingHttpResponse:
    audit_record(actor=request.user, connection=request.connection, action=action, target=target)
    return csv_response(rows, filename=filename)


@require_GET
@connection_view(Role.VIEWER)
def contact_export(request, connection_id, directory_id):
    """Every contact of the directory as CSV, streamed page by page."""
    rows = selectors.export_rows(connection=request.connection, actor=request.user, directory_id=directory_id)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _export_response(request, rows, f"{directory_id}-contacts-{stamp}.csv", action="contacts.export",
                         target=directory_id)


@require_GET
@connection_view(Role.VIEWER)
def member_export(request, connection_id, directory_id, mailing_list_id):
    rows = selectors.export_rows(connection=request.connection, actor=request.user, directory_id=directory_id,
                                 mailing_list_id=mailing_list_id)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _export_response(request, rows, f"{mailing_list_id}-members-{stamp}.csv", action="contacts.export",
                         target=f"{directory_id}/{mailing_list_id}")
