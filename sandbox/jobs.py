"""Asynchronous jobs (contact imports, response exports) that progress with the sandbox clock.

A job takes `job_seconds` of sandbox time; `percentComplete` grows linearly until then. A contact
import changes the directory only when it completes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from . import contacts
from .records import Brand, Directory, ImportJob, Transaction

if TYPE_CHECKING:
    from .state import State


def progress(state: State, started: datetime) -> tuple[float, bool]:
    duration = float(state.config["job_seconds"])
    elapsed = (state.now() - started).total_seconds()
    if duration <= 0 or elapsed >= duration:
        return 100.0, True
    return round(max(0.0, elapsed) / duration * 100, 1), False


def apply_due_imports(state: State, brand: Brand) -> None:
    for directory in brand.directories.values():
        for job in directory.imports.values():
            if not job.applied and progress(state, job.started)[1]:
                apply_import(state, directory, job)


def apply_import(state: State, directory: Directory, job: ImportJob) -> None:
    job.applied = True
    mailing_list = directory.lists.get(job.mailing_list_id)
    if mailing_list is None:
        job.failed = len(job.contacts)
        return
    batch = directory.batches.get(job.batch_id) if job.batch_id else None
    now = state.now()
    for item in job.contacts:
        email = item.get("email")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            job.failed += 1
            job.invalid_emails.append(str(email))
            continue
        fields = {key: value for key, value in item.items() if key != "transactionData"}
        contact = contacts.find_duplicate(directory, fields)
        if contact is None:
            contact = contacts.create(directory, state.ids, fields, now)
            job.added += 1
        else:
            contacts.apply(contact, fields, now)
            job.updated += 1
        contacts.join(mailing_list, contact, state.ids, now)
        data = item.get("transactionData")
        if data:
            transaction = Transaction(
                id=state.ids.make("CTR"), contact_id=contact.id, mailing_list_id=mailing_list.id, date=now,
                data=dict(data),
            )
            directory.transactions[transaction.id] = transaction
            job.transactions_created += 1
            if batch is not None:
                batch.transaction_ids.append(transaction.id)
