"""Bulk CSV import into a mailing list: upload, map columns, check, start, follow, cancel, rejected rows."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from connections.access import connection_view
from connections.models import Role
from web.csv import csv_response
from web.errors import EXPLAINABLE_ERRORS, error_text, explained
from web.forms import add_service_error
from web.htmx import is_partial, stop_polling

from .. import csvfile, csvimport, selectors, services
from .. import validation as v
from ..forms import ImportMappingForm, ImportUploadForm
from ..models import ContactImport

# --- Bulk CSV import ----------------------------------------------------------------------------


def _import_kwargs(request, directory_id, mailing_list_id, **extra):
    return {"connection_id": request.connection.pk, "directory_id": directory_id,
            "mailing_list_id": mailing_list_id, **extra}


def _list_context(request, directory_id, mailing_list_id, **extra):
    reads = {"connection": request.connection, "actor": request.user}
    mailing_list, _error = explained(selectors.mailing_list_get, **reads, directory_id=directory_id,
                                     mailing_list_id=mailing_list_id)
    context = {
        "connection": request.connection,
        "role": request.connection_role,
        "can_write": request.connection_role >= Role.OPERATOR,
        "directory_id": directory_id,
        "directory_name": selectors.directory_name(**reads, directory_id=directory_id),
        "mailing_list_id": mailing_list_id,
        "mailing_list": mailing_list,
        "owner_name": selectors.list_owner_name(**reads, mailing_list=mailing_list),
        "tab": "lists",
    }
    context.update(extra)
    return context


@require_GET
@connection_view(Role.VIEWER)
def import_list(request, connection_id, directory_id, mailing_list_id):
    imports = selectors.contact_import_list(connection=request.connection, mailing_list_id=mailing_list_id)[:50]
    return render(request, "contacts/import_list.html",
                  _list_context(request, directory_id, mailing_list_id, imports=imports, list_tab="imports"))


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
def import_create(request, connection_id, directory_id, mailing_list_id):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        reads = {"connection": request.connection, "actor": request.user}
        try:
            directory = selectors.directory_get(**reads, directory_id=directory_id)
            mailing_list = selectors.mailing_list_get(**reads, directory_id=directory_id,
                                                      mailing_list_id=mailing_list_id)
            contact_import = services.contact_import_create(
                connection=request.connection, actor=request.user, directory=directory, mailing_list=mailing_list,
                upload=form.cleaned_data["file"], phone_region=form.cleaned_data["phone_region"],
            )
        except csvfile.CSVFormatError as exc:
            form.add_error("file", str(exc))
        except EXPLAINABLE_ERRORS as exc:
            add_service_error(form, exc)
        else:
            url = reverse("contacts:import_map", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                        import_id=contact_import.pk))
            return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)
    return render(request, "contacts/import_upload.html",
                  _list_context(request, directory_id, mailing_list_id, form=form, list_tab="imports"))


def _sample_rows(contact_import: ContactImport, count: int = 3) -> list[list[str]]:
    rows = []
    with contact_import.file.open("rb") as raw:
        for _number, cells in csvimport.iter_rows(raw, encoding=contact_import.encoding,
                                                  delimiter=contact_import.delimiter):
            rows.append(cells)
            if len(rows) >= count:
                break
    return rows


@require_http_methods(["GET", "POST"])
@connection_view(Role.OPERATOR)
def import_map(request, connection_id, directory_id, mailing_list_id, import_id):
    """Map the columns, then have a worker check every row (the page follows it): a report and a preview
    before anything is sent."""
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    if contact_import.status not in ContactImport.MAPPABLE:
        return redirect("contacts:import_detail", **_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    batches, batch_error = explained(selectors.batch_choices, connection=request.connection, actor=request.user,
                                     directory_id=directory_id)
    chosen = contact_import.transaction_batch_id
    if chosen and chosen not in {value for value, _ in batches or ()}:
        batches = [*(batches or ()), (chosen, chosen)]  # keep the choice shown; starting checks it still exists
    form = ImportMappingForm(request.POST or None, headers=contact_import.headers, mapping=contact_import.mapping,
                             batches=batches or [], initial={"phone_region": contact_import.phone_region,
                                                             "transaction_batch": chosen})
    mapping_errors = []
    if request.method == "POST" and form.is_valid():
        mapping_errors = services.contact_import_check(
            contact_import=contact_import, mapping=form.mapping(), phone_region=form.cleaned_data["phone_region"],
            transaction_batch_id=form.cleaned_data.get("transaction_batch") or "")
    samples = _sample_rows(contact_import)
    columns = []
    for index, (header, field) in enumerate(form.column_fields()):
        columns.append({"header": header, "field": field,
                        "samples": [row[index] if index < len(row) else "" for row in samples]})
    report = contact_import.report or {}
    context = _list_context(
        request, directory_id, mailing_list_id, contact_import=contact_import, form=form, columns=columns,
        mapping_errors=mapping_errors, report=report, list_tab="imports", batch_error=batch_error,
        poll_seconds=_poll_seconds(contact_import),
        issue_rows=[(csvimport.ISSUE_LABELS.get(k, k), n) for k, n in (report.get("issues") or {}).items()],
        key_fields=", ".join(v.FIELD_LABELS.get(f, f).lower() for f in report.get("key_fields", [])),
        preview_fields=v.CONTACT_FIELDS,
        preview_rows=[
            {"row": p["row"], "problems": p["problems"],
             "cells": [(p["contact"] or {}).get(f) for f in v.CONTACT_FIELDS] if p.get("contact") else None,
             "embedded": sorted(((p["contact"] or {}).get("embeddedData") or {}).items()),
             "transaction": sorted(((p["contact"] or {}).get("transactionData") or {}).items())}
            for p in report.get("preview", [])
        ],
    )
    template = "contacts/import_map.html#mapping" if is_partial(request) else "contacts/import_map.html"
    return render(request, template, context)


@connection_view(Role.OPERATOR)
@require_POST
def import_start(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    try:
        started = services.contact_import_start(contact_import=contact_import, actor=request.user)
    except (ValidationError, *EXPLAINABLE_ERRORS) as exc:
        # Nothing was sent: back to the mapping, which shows the message, to choose again.
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else error_text(exc))
        url = reverse("contacts:import_map", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                    import_id=import_id))
        return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)
    if started:
        messages.success(request, f"Import of “{contact_import.original_name}” started.")
    else:
        messages.warning(request, "This import cannot start: check the file first, or it has already started.")
    url = reverse("contacts:import_detail", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


@connection_view(Role.OPERATOR)
@require_POST
def import_cancel(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    status = services.contact_import_cancel(contact_import=contact_import, actor=request.user)
    if status == ContactImport.Status.CANCELLING:
        messages.info(request, "Cancelled: nothing more is sent to Qualtrics. What it already received is "
                               "counted when it has finished.")
    elif status == ContactImport.Status.CANCELLED:
        messages.info(request, "Import cancelled.")
    else:
        messages.warning(request, "This import has already finished.")
    url = reverse("contacts:import_detail", kwargs=_import_kwargs(request, directory_id, mailing_list_id,
                                                                   import_id=import_id))
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


POLL_FIRST_SECONDS, POLL_MAX_SECONDS = 2, 30


def _poll_seconds(contact_import: ContactImport) -> int:
    """How long a page following a check or an import waits before asking again: 2 s at first, then a
    tenth of the time the job has taken so far, at most 30 s, so that a long job costs few requests."""
    since = contact_import.queued_at or contact_import.created_at or timezone.now()
    elapsed = (timezone.now() - since).total_seconds()
    return int(min(POLL_MAX_SECONDS, max(POLL_FIRST_SECONDS, elapsed / 10)))


def _import_progress_context(contact_import: ContactImport) -> dict:
    progress = selectors.contact_import_progress(contact_import=contact_import)
    return {"contact_import": contact_import, "progress": progress, "poll_seconds": _poll_seconds(contact_import),
            "rejected_rows": selectors.contact_import_rejection_count(contact_import=contact_import),
            "retention_days": settings.CONTACT_IMPORT_FILE_RETENTION_DAYS}


@require_GET
@connection_view(Role.VIEWER)
def import_detail(request, connection_id, directory_id, mailing_list_id, import_id):
    """Progress while it runs (polled less and less often), the summary when it is done."""
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    if contact_import.status in ContactImport.MAPPABLE and \
            request.connection_role >= Role.OPERATOR and "summary" not in request.GET:
        return redirect("contacts:import_map", **_import_kwargs(request, directory_id, mailing_list_id,
                                                                import_id=import_id))
    context = _list_context(request, directory_id, mailing_list_id, list_tab="imports",
                            **_import_progress_context(contact_import))
    return render(request, "contacts/import_detail.html", context)


@require_GET
@connection_view(Role.VIEWER)
def import_progress(request, connection_id, directory_id, mailing_list_id, import_id):
    """The progress partial, polled while an import runs or its file is checked. A check that has ended
    reloads the page, which then shows the check's report (the mapping page) or the import's state."""
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    context = {
        "connection": request.connection, "can_write": request.connection_role >= Role.OPERATOR,
        "directory_id": directory_id, "mailing_list_id": mailing_list_id, **_import_progress_context(contact_import),
    }
    if contact_import.is_checking:
        return render(request, "contacts/import_map.html#checking", context)
    if request.GET.get("checking"):
        return HttpResponseClientRefresh()
    response = render(request, "contacts/import_detail.html#progress", context)
    if contact_import.is_finished:
        # The heading's contact count changed with the import: send it again alongside the summary.
        summary = render(request, "contacts/_list_header.html#summary",
                         _list_context(request, directory_id, mailing_list_id, oob=True))
        response.content = response.content + summary.content
        return stop_polling(response)
    return response


@require_GET
@connection_view(Role.VIEWER)
def import_rejected(request, connection_id, directory_id, mailing_list_id, import_id):
    contact_import = selectors.contact_import_get(connection=request.connection, import_id=import_id,
                                                  mailing_list_id=mailing_list_id)
    rows = selectors.contact_import_rejected_rows(contact_import=contact_import)
    return csv_response(rows, filename=f"import-{contact_import.pk}-rejected-rows.csv")
