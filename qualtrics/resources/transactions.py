"""Contact transactions and transaction batches of an XM Directory.

A transaction is one event in a contact's history (a purchase, a visit) with its date, its data (names
to values) and the mailing list it belongs to. A transaction batch groups transactions, and a
distribution can go to everyone in a batch (docs/qualtrics-api.md#transactions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..bodies import body, format_datetime, query
from ..errors import BadRequestError, InvalidResponseError
from ..paging import Page, optional_page_size
from .base import Resource, path, segment


def transactions_path(directory_id: str, *rest: str) -> str:
    return path("directories", segment(directory_id, "directory ID"), "transactions", *rest)


def batches_path(directory_id: str, *rest: str) -> str:
    return path("directories", segment(directory_id, "directory ID"), "transactionbatches", *rest)


def batch_path(directory_id: str, batch_id: str, *rest: str) -> str:
    return batches_path(directory_id, segment(batch_id, "transaction batch ID"), *rest)


def format_transaction_date(value: datetime | str) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC, the form a transaction's date is sent in."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class Transactions(Resource):
    def create(self, directory_id: str, transactions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Create several transactions at once.

        ``transactions`` maps keys the caller chooses to ``{"contactId", "mailingListId",
        "transactionDate", "data"}``; the answer maps the same keys to the created IDs
        (``createdTransactions: {key: {"id"}}``) or to why one was refused
        (``unprocessedTransactions: {key: {"error", "errorMessage"}}``).
        """
        fields = {key: dict(value) for key, value in transactions.items()}
        return self._client._send("POST", transactions_path(directory_id), json=fields) or {}

    def create_one(
        self,
        directory_id: str,
        *,
        contact_id: str,
        mailing_list_id: str,
        date: datetime | str,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        """Create one transaction for a contact of a list; returns its ID (``CTR_…``).

        A transaction Qualtrics leaves unprocessed raises ``BadRequestError`` with its reason.
        """
        key = uuid.uuid4().hex[:16]
        entry = {
            "contactId": contact_id,
            "mailingListId": mailing_list_id,
            "transactionDate": format_transaction_date(date),
            "data": dict(data or {}),
        }
        result = self.create(directory_id, {key: entry})
        created = (result.get("createdTransactions") or {}).get(key)
        if isinstance(created, dict) and created.get("id"):
            return str(created["id"])
        refused = (result.get("unprocessedTransactions") or {}).get(key)
        if isinstance(refused, dict):
            raise BadRequestError(str(refused.get("errorMessage") or refused.get("error") or "refused"),
                                  code=str(refused.get("error") or "") or None, method="POST",
                                  path=transactions_path(directory_id))
        raise InvalidResponseError("the answer named neither a created nor an unprocessed transaction")

    def list_for_contact(
        self, directory_id: str, contact_id: str, *, page_size: int | None = None, page_url: str | None = None
    ) -> Page:
        """One page of a contact's transactions, newest first as Qualtrics orders them."""
        target = path("directories", segment(directory_id, "directory ID"), "contacts",
                      segment(contact_id, "contact ID"), "transactions")
        return self._client._page(target, query(page_size=optional_page_size(page_size)), page_url)


class TransactionBatches(Resource):
    def list(self, directory_id: str, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page(batches_path(directory_id), query(page_size=optional_page_size(page_size)),
                                  page_url)

    def get(self, directory_id: str, batch_id: str) -> dict[str, Any]:
        """``{"id", "creationDate", "transactionIds"}``."""
        return self._client._send("GET", batch_path(directory_id, batch_id))

    def create(
        self,
        directory_id: str,
        *,
        transaction_ids: Iterable[str] = (),
        creation_date: datetime | None = None,
    ) -> dict[str, Any]:
        """Create a batch, empty or with transactions; the result is ``{"id": …}``."""
        fields = body(transaction_ids=list(transaction_ids),
                      creation_date=format_datetime(creation_date) if creation_date else None)
        return self._client._send("POST", batches_path(directory_id), json=fields)

    def delete(self, directory_id: str, batch_id: str) -> None:
        """Delete the batch; its transactions stay in the contacts' histories."""
        self._client._send("DELETE", batch_path(directory_id, batch_id))

    def list_transactions(
        self, directory_id: str, batch_id: str, *, page_size: int | None = None, page_url: str | None = None
    ) -> Page:
        """One page of the transactions in a batch (each with its contact and mailing list)."""
        return self._client._page(batch_path(directory_id, batch_id, "transactions"),
                                  query(page_size=optional_page_size(page_size)), page_url)

    def add_transactions(self, directory_id: str, batch_id: str, transaction_ids: Iterable[str]) -> None:
        """Add existing transactions to a batch."""
        self._client._send("POST", batch_path(directory_id, batch_id, "transactions"),
                           json={"transactionIds": list(transaction_ids)})
