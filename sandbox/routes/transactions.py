"""Contact transactions (create, a contact's list), the transactions of a batch, and directory samples.

Transactions are created in bulk: the body maps keys the caller chooses to `{contactId, mailingListId,
transactionDate, data}` and the answer maps the same keys to `createdTransactions` or, for an entry
naming an unknown contact or list or an unreadable date, `unprocessedTransactions`. A body that is not
shaped like that is refused whole (400).
"""

from __future__ import annotations

from typing import Any

from .. import dates, paging, validation
from ..envelope import bad_request, not_found
from ..records import Directory, Sample, Transaction, TransactionBatch
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

ENTRY_KEYS = ("contactId", "mailingListId", "transactionDate", "data")
MAX_ENTRIES = 1000


def transaction_view(transaction: Transaction) -> dict[str, Any]:
    return {
        "id": transaction.id,
        "contactId": transaction.contact_id,
        "mailingListId": transaction.mailing_list_id,
        "transactionDate": dates.iso(transaction.date),
        "data": dict(transaction.data),
    }


def _check_entry(key: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise bad_request(f"{key}: each transaction must be a JSON object")
    validation.keys(entry, required=("contactId", "mailingListId", "transactionDate"), optional=("data",))
    for name in ("contactId", "mailingListId", "transactionDate"):
        validation.required_str(entry, name)
    data = entry.get("data")
    if data is None:
        return
    if not isinstance(data, dict):
        raise bad_request(f"{key}.data must be an object of names to values")
    for name, value in data.items():
        if isinstance(value, (dict, list)):
            raise bad_request(f"{key}.data.{name} must be a string, number or boolean")


def _refusal(directory: Directory, entry: dict[str, Any]) -> tuple[str, str] | None:
    if entry["contactId"] not in directory.contacts:
        return "CONTACT_NOT_FOUND", f"No contact {entry['contactId']} in this directory"
    if entry["mailingListId"] not in directory.lists:
        return "MAILING_LIST_NOT_FOUND", f"No mailing list {entry['mailingListId']} in this directory"
    if dates.parse(entry["transactionDate"]) is None:
        return "INVALID_DATE", f"transactionDate is not a date: {str(entry['transactionDate'])[:40]}"
    return None


@table.post("/directories/{directoryId}/transactions")
def create_transactions(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    body = call.json()
    if not isinstance(body, dict) or not body:
        raise bad_request("Give an object of transactions keyed by names of your choice")
    if len(body) > MAX_ENTRIES:
        raise bad_request(f"At most {MAX_ENTRIES} transactions per call")
    for key, entry in body.items():
        _check_entry(key, entry)
    created: dict[str, Any] = {}
    unprocessed: dict[str, Any] = {}
    for key, entry in body.items():
        refusal = _refusal(directory, entry)
        if refusal:
            unprocessed[key] = {"error": refusal[0], "errorMessage": refusal[1]}
            continue
        transaction = Transaction(id=call.state.ids.make("CTR"), contact_id=entry["contactId"],
                                  mailing_list_id=entry["mailingListId"],
                                  date=dates.parse(entry["transactionDate"]) or call.now,
                                  data=dict(entry.get("data") or {}))
        directory.transactions[transaction.id] = transaction
        created[key] = {"id": transaction.id}
    return {"createdTransactions": created, "unprocessedTransactions": unprocessed}


@table.get("/directories/{directoryId}/contacts/{contactId}/transactions", limit="directory_contacts_read")
def contact_transactions(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    contact_id = call.params["contactId"]
    if contact_id not in directory.contacts:
        raise not_found("contact", contact_id)
    chosen = sorted((t for t in directory.transactions.values() if t.contact_id == contact_id),
                    key=lambda t: t.date, reverse=True)
    return paging.skip_page(call, chosen, transaction_view)


def _batch(call: ApiCall) -> tuple[Directory, TransactionBatch]:
    directory = lookups.directory(call)
    batch = directory.batches.get(call.params["batchId"])
    if batch is None:
        raise not_found("transaction batch", call.params["batchId"])
    return directory, batch


@table.delete("/directories/{directoryId}/transactionbatches/{batchId}")
def delete_batch(call: ApiCall) -> None:
    directory, batch = _batch(call)
    del directory.batches[batch.id]


@table.get("/directories/{directoryId}/transactionbatches/{batchId}/transactions")
def batch_transactions(call: ApiCall) -> dict[str, Any]:
    directory, batch = _batch(call)
    chosen = [directory.transactions[t] for t in batch.transaction_ids if t in directory.transactions]
    return paging.skip_page(call, chosen, transaction_view)


@table.post("/directories/{directoryId}/transactionbatches/{batchId}/transactions")
def add_batch_transactions(call: ApiCall) -> None:
    directory, batch = _batch(call)
    body = call.json()
    validation.keys(body, required=("transactionIds",))
    transaction_ids = body["transactionIds"]
    if not isinstance(transaction_ids, list) or not transaction_ids or \
            not all(isinstance(t, str) for t in transaction_ids):
        raise bad_request("transactionIds must be a non-empty array of transaction IDs")
    for transaction_id in transaction_ids:
        if transaction_id not in directory.transactions:
            raise not_found("transaction", transaction_id)
    for transaction_id in transaction_ids:
        if transaction_id not in batch.transaction_ids:
            batch.transaction_ids.append(transaction_id)


def sample_view(directory: Directory, sample: Sample) -> dict[str, Any]:
    return {
        "sampleId": sample.id,
        "name": sample.name,
        "mailingListId": sample.mailing_list_id,
        "creationDate": dates.iso(sample.created),
        "contactCount": sum(1 for c in sample.contact_ids if c in directory.contacts),
    }


@table.get("/directories/{directoryId}/samples")
def list_samples(call: ApiCall) -> dict[str, Any]:
    directory = lookups.directory(call)
    return paging.skip_page(call, list(directory.samples.values()), lambda s: sample_view(directory, s))
