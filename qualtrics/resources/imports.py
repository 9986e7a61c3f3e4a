"""Bulk imports of contacts (with their transactions) into a mailing list, which Qualtrics runs
asynchronously: start one, then poll it until its status is "complete"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import Resource, segment
from .mailing_lists import list_path


def import_path(directory_id: str, mailing_list_id: str, *rest: str) -> str:
    return list_path(directory_id, mailing_list_id, "transactioncontacts", *rest)


class ContactImports(Resource):
    def start(
        self,
        directory_id: str,
        mailing_list_id: str,
        *,
        contacts: Sequence[Mapping[str, Any]],
        transaction_meta: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start an asynchronous import of contacts (keys as Qualtrics spells them) into a list.

        ``transaction_meta`` is ``{"batchId": ..., "fields": [...]}`` to put the contacts'
        transactions into a transaction batch. The result holds the import ``id`` to poll.
        """
        fields: dict[str, Any] = {"contacts": [dict(contact) for contact in contacts]}
        if transaction_meta is not None:
            fields["transactionMeta"] = dict(transaction_meta)
        return self._client._send("POST", import_path(directory_id, mailing_list_id), json=fields)

    def get(self, directory_id: str, mailing_list_id: str, import_id: str) -> dict[str, Any]:
        """Progress of an import: ``percentComplete``, ``status`` ("complete" when done), counts."""
        target = import_path(directory_id, mailing_list_id, segment(import_id, "import ID"))
        return self._client._send("GET", target)

    def get_summary(self, directory_id: str, mailing_list_id: str, import_id: str) -> dict[str, Any]:
        target = import_path(directory_id, mailing_list_id, segment(import_id, "import ID"), "summary")
        return self._client._send("GET", target)
