"""Transaction-contact imports (async, honouring transactionMeta.batchId) and transaction batches."""

from __future__ import annotations

from typing import Any

from .. import contacts, dates, jobs, paging, validation
from ..envelope import bad_request, not_found
from ..records import ImportJob, TransactionBatch
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

IMPORT_CONTACT_KEYS = (*contacts.CONTACT_KEYS, "transactionData")
IMPORT_MAX = 100_000


def _job_view(call: ApiCall, job: ImportJob, summary: bool = False) -> dict[str, Any]:
    percent, done = jobs.progress(call.state, job.started)
    view: dict[str, Any] = {
        "id": job.id,
        "percentComplete": percent,
        "status": "complete" if done and job.applied else "inProgress",
        "contacts": {"count": {"added": job.added, "updated": job.updated, "failed": job.failed}},
        "transactions": {"count": {"created": job.transactions_created}},
    }
    if summary:
        view["invalidEmails"] = list(job.invalid_emails)
    return view


def _job(call: ApiCall) -> ImportJob:
    directory, _ = lookups.mailing_list(call)
    job = directory.imports.get(call.params["importId"])
    if job is None or job.mailing_list_id != call.params["mailingListId"]:
        raise not_found("import", call.params["importId"])
    return job


@table.post("/directories/{directoryId}/mailinglists/{mailingListId}/transactioncontacts",
            limit="transaction_contacts_import")
def start_import(call: ApiCall) -> dict[str, Any]:
    directory, mailing_list = lookups.mailing_list(call)
    body = call.json()
    validation.keys(body, required=("contacts",), optional=("transactionMeta",))
    items = body["contacts"]
    if not isinstance(items, list) or not items:
        raise bad_request("contacts must be a non-empty array of contacts")
    if len(items) > IMPORT_MAX:
        raise bad_request(f"An import holds at most {IMPORT_MAX:,} contacts")
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("Each entry of contacts must be a JSON object")
        contacts.check_body(item, IMPORT_CONTACT_KEYS)
        if item.get("transactionData") is not None and not isinstance(item["transactionData"], dict):
            raise bad_request("transactionData must be an object")
    meta = validation.obj(body, "transactionMeta") or {}
    validation.keys(meta, optional=("batchId", "fields"))
    batch_id = validation.optional_str(meta, "batchId")
    if batch_id and batch_id not in directory.batches:
        raise not_found("transaction batch", batch_id)
    fields = meta.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise bad_request("transactionMeta.fields must be an array of strings")
    job = ImportJob(
        id=call.state.ids.make("PGR"), mailing_list_id=mailing_list.id, started=call.now,
        contacts=[dict(item) for item in items], batch_id=batch_id, fields=list(fields),
    )
    directory.imports[job.id] = job
    if jobs.progress(call.state, job.started)[1]:
        jobs.apply_import(call.state, directory, job)
    view = _job_view(call, job)
    return {
        "id": job.id,
        "contacts": {"count": len(items)},
        "tracking": {"url": call.url(f"{call.path}/{job.id}")},
        "status": view["status"],
    }


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/transactioncontacts/{importId}",
           limit="transaction_contacts_status")
def import_status(call: ApiCall) -> dict[str, Any]:
    return _job_view(call, _job(call))


@table.get("/directories/{directoryId}/mailinglists/{mailingListId}/transactioncontacts/{importId}/summary",
           limit="transaction_contacts_status")
def import_summary(call: ApiCall) -> dict[str, Any]:
    return _job_view(call, _job(call), summary=True)


def _batch_view(batch: TransactionBatch) -> dict[str, Any]:
    return {"id": batch.id, "creationDate": dates.iso(batch.created), "transactionIds": list(batch.transaction_ids)}


@table.post("/directories/{directoryId}/transactionbatches")
def create_batch(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    body = call.json()
    validation.keys(body, optional=("transactionIds", "creationDate", "createdDate"))
    created = validation.date(body, "creationDate") or validation.date(body, "createdDate") or call.now
    transaction_ids = body.get("transactionIds") or []
    if not isinstance(transaction_ids, list) or not all(isinstance(t, str) for t in transaction_ids):
        raise bad_request("transactionIds must be an array of transaction IDs")
    for transaction_id in transaction_ids:
        if transaction_id not in directory.transactions:
            raise not_found("transaction", transaction_id)
    batch = TransactionBatch(id=call.state.ids.make("BT"), created=created, transaction_ids=list(transaction_ids))
    directory.batches[batch.id] = batch
    return {"id": batch.id}


@table.get("/directories/{directoryId}/transactionbatches")
def list_batches(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    return paging.skip_page(call, list(directory.batches.values()), _batch_view)


@table.get("/directories/{directoryId}/transactionbatches/{batchId}")
def get_batch(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    batch = directory.batches.get(call.params["batchId"])
    if batch is None:
        raise not_found("transaction batch", call.params["batchId"])
    return _batch_view(batch)
