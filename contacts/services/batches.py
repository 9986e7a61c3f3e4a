"""Writes on a directory's transaction batches: the groups of transactions a distribution can go to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from connections.qualtrics_client import connection_client
from qualtrics import NotFoundError

GONE = "The transaction batch {batch_id} no longer exists (it was deleted meanwhile)."


def batch_create(*, connection, actor, directory_id: str, transaction_ids: list[str] = ()) -> str:
    """Create a batch, empty or with these transactions; returns its ID."""
    result = connection_client(connection, actor=actor).transaction_batches.create(
        directory_id, transaction_ids=list(transaction_ids), creation_date=timezone.now())
    return result["id"]


def batch_delete(*, connection, actor, directory_id: str, batch_id: str) -> None:
    """Delete the batch; its transactions stay in the contacts' histories."""
    connection_client(connection, actor=actor).transaction_batches.delete(directory_id, batch_id)


def batch_add_transactions(*, connection, actor, directory_id: str, batch_id: str,
                           transaction_ids: list[str]) -> int:
    """Add transactions to a batch; returns how many were not in it yet. A batch deleted meanwhile or a
    transaction Qualtrics does not know is refused (ValidationError) with nothing added."""
    client = connection_client(connection, actor=actor)
    ids = list(dict.fromkeys(t.strip() for t in transaction_ids if t and t.strip()))
    if not ids:
        raise ValidationError("Choose at least one transaction.")
    try:
        present = set(client.transaction_batches.get(directory_id, batch_id).get("transactionIds") or [])
    except NotFoundError:
        raise ValidationError(GONE.format(batch_id=batch_id)) from None
    try:
        client.transaction_batches.add_transactions(directory_id, batch_id, ids)
    except NotFoundError as exc:
        raise ValidationError(f"Qualtrics did not add them: {exc.message}. Nothing was added.") from None
    return len(set(ids) - present)
