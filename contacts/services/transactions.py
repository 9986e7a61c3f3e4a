"""Contact transactions: add one to a contact, or "upsert" one, the contact found or created first.

The upsert follows the rules of Segment's "Upsert contact transaction" action (a widely used Qualtrics
integration): the contact is the one with the contact ID given; else the one found by external reference,
then e-mail, then phone; else a new contact made with those fields and the optional name, language,
unsubscribed flag and embedded data. Then the transaction (date, data) is added for the mailing list.
Everything that can be checked is checked before the first write, and a contact created for a
transaction Qualtrics then refuses is deleted again: a refusal leaves nothing half-done.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError

from connections.qualtrics_client import connection_client
from qualtrics import NotFoundError, QualtricsError

from .. import validation as v
from .batches import GONE
from .fields import client_kwargs

logger = logging.getLogger(__name__)
LOOKUP_ORDER = ("extRef", "email", "phone")


def transaction_create(*, connection, actor, directory_id: str, contact_id: str, mailing_list_id: str,
                       date: datetime.datetime, data: dict, batch_id: str = "") -> str:
    """Add a transaction to a contact, and to a batch when one is given; returns the transaction's ID."""
    client = connection_client(connection, actor=actor)
    _check_targets(client, directory_id, mailing_list_id=mailing_list_id, batch_id=batch_id)
    transaction_id = _create(client, directory_id, contact_id=contact_id, mailing_list_id=mailing_list_id,
                             date=date, data=data)
    if batch_id:
        client.transaction_batches.add_transactions(directory_id, batch_id, [transaction_id])
    return transaction_id


def transaction_upsert(*, connection, actor, directory_id: str, mailing_list_id: str, date: datetime.datetime,
                       data: dict, contact_id: str = "", lookup: dict, new_contact: dict,
                       batch_id: str = "") -> dict:
    """Find or create the contact, then add the transaction. `lookup` holds extRef, email and phone;
    `new_contact` what else a new contact gets (firstName, lastName, language, unsubscribed, embeddedData).

    Returns {"transaction_id", "contact_id", "created" (a new contact), "matched_on" (how it was found)}.
    """
    client = connection_client(connection, actor=actor)
    _check_targets(client, directory_id, mailing_list_id=mailing_list_id, batch_id=batch_id)
    created, matched_on = False, "contactId"
    if contact_id:
        try:
            client.contacts.get(directory_id, contact_id)
        except NotFoundError:
            raise ValidationError({"contact_id": f"No contact {contact_id} in this directory."}) from None
    else:
        contact_id, matched_on = _find(client, directory_id, lookup)
    if not contact_id:
        if not any(lookup.get(f) for f in LOOKUP_ORDER):
            raise ValidationError("Give a contact ID, or an external reference, e-mail or phone number to find "
                                  "the contact by (or to create it with).")
        fields = {**{k: val for k, val in lookup.items() if val}, **new_contact}
        contact_id = client.contacts.create(directory_id, **client_kwargs(fields, keep_blank=False))["id"]
        created, matched_on = True, ""
    try:
        transaction_id = _create(client, directory_id, contact_id=contact_id, mailing_list_id=mailing_list_id,
                                 date=date, data=data)
    except QualtricsError:
        if created:
            _undo_contact(client, directory_id, contact_id)
        raise
    if batch_id:
        client.transaction_batches.add_transactions(directory_id, batch_id, [transaction_id])
    return {"transaction_id": transaction_id, "contact_id": contact_id, "created": created, "matched_on": matched_on}


def _check_targets(client, directory_id: str, *, mailing_list_id: str, batch_id: str) -> None:
    """The list and the batch exist now (a refusal after the first write would leave half of the work done)."""
    try:
        client.mailing_lists.get(directory_id, mailing_list_id)
    except NotFoundError:
        raise ValidationError({"mailing_list_id": "This mailing list no longer exists (deleted meanwhile)."}) \
            from None
    if batch_id:
        try:
            client.transaction_batches.get(directory_id, batch_id)
        except NotFoundError:
            raise ValidationError({"batch_id": GONE.format(batch_id=batch_id)}) from None


def _find(client, directory_id: str, lookup: dict) -> tuple[str, str]:
    """The contact with this external reference, else e-mail, else phone: (its ID, the field), or ("", "")."""
    for field in LOOKUP_ORDER:
        value = lookup.get(field)
        if not value:
            continue
        page = client.contacts.search(directory_id, page_size=2,
                                      filter={"filterType": field, "comparison": "eq", "value": value})
        if len(page.items) > 1:
            label = v.FIELD_LABELS[field].lower()
            raise ValidationError(f"Several contacts have this {label}: give the contact ID to say which one.")
        if page.items:
            found = page.items[0]
            return str(found.get("contactId") or found.get("id")), field
    return "", ""


def _create(client, directory_id: str, *, contact_id: str, mailing_list_id: str, date, data: dict) -> str:
    try:
        return client.transactions.create_one(directory_id, contact_id=contact_id, mailing_list_id=mailing_list_id,
                                              date=date, data=data)
    except NotFoundError as exc:
        raise ValidationError(f"Qualtrics refused the transaction: {exc.message}") from None


def _undo_contact(client, directory_id: str, contact_id: str) -> None:
    try:
        client.contacts.delete(directory_id, contact_id)
    except QualtricsError:
        logger.warning("Could not delete contact %s created for a transaction Qualtrics refused", contact_id,
                       exc_info=True)
