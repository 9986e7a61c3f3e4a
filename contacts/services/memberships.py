"""Putting contacts already in the directory on a mailing list, without making copies of them.

Qualtrics has no call that puts a directory contact on a list by its ID: adding a member creates a new
contact. The portal sends, for each contact, the fields the directory de-duplicates on through an import
job, which Qualtrics merges into the existing contact (docs/qualtrics-api.md#adding-existing-contacts).
The job is a ContactImport like a CSV import (same worker, progress page, cancel and audit) whose
source is the contacts picked, or every result of a search.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.audit import audit_record
from qualtrics import NotFoundError

from .. import selectors
from .. import validation as v
from ..models import ContactImport
from .imports import enqueue_import_step

MAX_PICKED = 500
NO_DEDUP = ("This directory merges no contacts (it has no de-duplication fields), so Qualtrics would make a "
            "copy of each contact instead of putting it on the list. A brand administrator can set the "
            "directory's de-duplication in Qualtrics.")


def members_add_existing(*, connection, actor, directory_id: str, mailing_list_id: str,
                         contact_ids: list[str]) -> ContactImport:
    """Queue putting these directory contacts on the list; the worker does it (see the import's page)."""
    ids = list(dict.fromkeys(c.strip() for c in contact_ids if c and c.strip()))
    if not ids:
        raise ValidationError("Choose at least one contact.")
    if len(ids) > MAX_PICKED:
        raise ValidationError(f"At most {MAX_PICKED} contacts at a time; for more, add the results of a search.")
    name = f"{len(ids)} contact{'' if len(ids) == 1 else 's'} of the directory"
    return _queue(connection=connection, actor=actor, directory_id=directory_id, mailing_list_id=mailing_list_id,
                  source=ContactImport.Source.CONTACTS, detail={"contact_ids": ids}, name=name, rows=len(ids))


def members_add_search_results(*, connection, actor, directory_id: str, mailing_list_id: str, field: str,
                               comparison: str, value: str) -> ContactImport:
    """Queue putting every result of a contact search (Qualtrics returns at most 10,000) on the list."""
    if field not in selectors.SEARCH_FIELDS or comparison not in ("eq", "contains") or not value.strip():
        raise ValidationError("Search for something first: these are the contacts that will be added.")
    how = "is" if comparison == "eq" else "contains"
    name = f"Search: {selectors.SEARCH_FIELDS[field].lower()} {how} “{value.strip()[:100]}”"
    detail = {"field": field, "comparison": comparison, "value": value.strip()}
    return _queue(connection=connection, actor=actor, directory_id=directory_id, mailing_list_id=mailing_list_id,
                  source=ContactImport.Source.SEARCH, detail=detail, name=name, rows=0)


def _queue(*, connection, actor, directory_id, mailing_list_id, source, detail, name, rows) -> ContactImport:
    reads = {"connection": connection, "actor": actor}
    directory = selectors.directory_get(**reads, directory_id=directory_id)
    dedup = selectors.directory_dedup_fields(directory)
    if not dedup:
        raise ValidationError(NO_DEDUP)
    mailing_list = selectors.mailing_list_get(**reads, directory_id=directory_id, mailing_list_id=mailing_list_id)
    now = timezone.now()
    job = ContactImport.objects.create(
        connection=connection, created_by=actor, directory_id=directory_id, mailing_list_id=mailing_list_id,
        mailing_list_name=(mailing_list.get("name") or "")[:200], dedup_fields=dedup, source=source,
        source_detail=detail, original_name=name[:255], row_count=rows, status=ContactImport.Status.QUEUED,
        queued_at=now, next_run_at=now, chunk_size=settings.CONTACT_IMPORT_CHUNK_SIZE,
    )
    audit_record(actor=actor, connection=connection, action="contacts.members.add_existing",
                 target=f"{directory_id}/{mailing_list_id}", detail=f"{name}, by their {', '.join(dedup)}")
    enqueue_import_step(job.pk)
    return job


def planned_members(job: ContactImport, client) -> Iterator[tuple[int, dict | None, str]]:
    """(position, what to send or None, why not) for each contact of a job of existing contacts."""
    if job.source == ContactImport.Source.CONTACTS:
        for number, contact_id in enumerate(job.source_detail.get("contact_ids") or [], start=1):
            try:
                contact = client.contacts.get(job.directory_id, contact_id)
            except NotFoundError:
                yield number, None, f"{contact_id} is no longer in the directory."
                continue
            yield number, *_identity({**contact, "contactId": contact_id}, job.dedup_fields)
        return
    search = job.source_detail
    page = client.contacts.search(job.directory_id, page_size=100, filter={
        "filterType": search["field"], "comparison": search["comparison"], "value": search["value"]})
    for number, contact in enumerate(page.iter_all(), start=1):
        yield number, *_identity({**contact, "contactId": contact.get("contactId") or contact.get("id")},
                                 job.dedup_fields)
        if number >= selectors.SEARCH_CAP:
            return


def _identity(contact: dict, fields: list[str]) -> tuple[dict | None, str]:
    """The contact's de-duplication fields, which Qualtrics recognises it by; or why it cannot be sent."""
    payload = {}
    for name in fields:
        value = contact.get(name)
        if value in (None, ""):
            label = v.FIELD_LABELS.get(name, name).lower()
            return None, (f"{contact.get('contactId')} has no {label}, which this directory recognises contacts "
                          "by: adding it would make a copy.")
        payload[name] = value
    return payload, ""
