"""The preview shown before scheduling: who the target resolves to, and what the message looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.html import strip_tags

from connections.qualtrics_client import connection_client

from .models import Channel, Distribution, Kind
from .pickers import MAX_ITEMS, contact_label, list_members, message_for_preview
from .sms import SmsLength, sms_length

SAMPLE_SIZE = 8
HISTORY_CAP = 2000
FINISHED = "SurveyFinished"
NOT_REACHED = {"Failure", "Error", "Skipped", "Blocked", "HardBounce", "SoftBounce", "Pending", "Unknown"}


@dataclass
class Preview:
    channel: str
    total: int | None = None  # None: Qualtrics decides when it sends (sample, transaction batch)
    reachable: int | None = None
    unsubscribed: int = 0
    missing_address: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    message_text: str = ""
    message_source: str = ""
    sms: SmsLength | None = None

    @property
    def address_label(self) -> str:
        return "phone number" if self.channel == Channel.SMS else "e-mail address"

    @property
    def known(self) -> bool:
        return self.total is not None


def _member_row(row: dict, channel: str) -> dict[str, Any]:
    address = row.get("phone") if channel == Channel.SMS else row.get("email")
    unsubscribed = bool(row.get("unsubscribed") or row.get("directoryUnsubscribed"))
    if unsubscribed:
        status = "unsubscribed"
    elif not address:
        status = f"no {'phone number' if channel == Channel.SMS else 'e-mail address'}"
    else:
        status = "will receive it"
    return {"name": contact_label(row), "address": address or "", "status": status,
            "ok": not unsubscribed and bool(address), "lookup_id": row.get("contactLookupId") or ""}


def _count(preview: Preview, rows: list[dict], channel: str) -> None:
    preview.total = len(rows)
    reachable = 0
    for row in rows:
        described = _member_row(row, channel)
        if described["status"] == "unsubscribed":
            preview.unsubscribed += 1
        elif not described["ok"]:
            preview.missing_address += 1
        else:
            reachable += 1
        if len(preview.sample) < SAMPLE_SIZE:
            preview.sample.append(described)
    preview.reachable = reachable


def _recipients(preview: Preview, d: Distribution) -> None:
    connection = d.connection
    if d.transaction_batch_id:
        preview.notes.append(
            f"Transaction batch {d.transaction_batch_id}: Qualtrics resolves its recipients when it sends."
        )
        return
    if not d.mailing_list_id:
        return
    if not d.directory_id:
        preview.notes.append("Choose the directory of the mailing list to see its members.")
        return
    rows = list_members(connection, d.directory_id, d.mailing_list_id)
    preview.truncated = len(rows) >= MAX_ITEMS
    if d.contact_lookup_id:
        chosen = [r for r in rows if r.get("contactLookupId") == d.contact_lookup_id]
        if not chosen:
            preview.notes.append(f"Contact {d.contact_lookup_id} is not in this mailing list.")
        _count(preview, chosen, d.channel)
        return
    if d.transaction_id:
        preview.notes.append(f"Transaction {d.transaction_id}: one contact of the list, resolved by Qualtrics.")
        preview.total = 1
        return
    _count(preview, rows, d.channel)
    if d.sample_id:
        preview.notes.append(
            f"Sample {d.sample_id} is drawn from this list by Qualtrics when it sends: the figures below are for "
            "the whole list."
        )


def _follow_up_recipients(preview: Preview, d: Distribution) -> None:
    parent = d.parent
    if parent is None or not parent.qualtrics_id:
        return
    if d.channel == Channel.SMS:
        preview.notes.append("Qualtrics picks the recipients of the parent SMS distribution when it sends.")
        return
    client = connection_client(d.connection, audit=False)
    want_finished = d.kind == Kind.THANKYOU
    total = 0
    for entry in client.distributions.list_history(parent.qualtrics_id).iter_all():
        total += 1
        if total > HISTORY_CAP:
            preview.truncated = True
            break
        if entry.get("status") in NOT_REACHED:
            continue
        finished = entry.get("status") == FINISHED
        if finished != want_finished:
            continue
        preview.reachable = (preview.reachable or 0) + 1
        if len(preview.sample) < SAMPLE_SIZE:
            preview.sample.append({"name": entry.get("contactLookupId") or entry.get("contactId") or "?",
                                   "address": "", "status": entry.get("status") or "", "ok": True,
                                   "lookup_id": entry.get("contactLookupId") or ""})
    preview.total = preview.reachable or 0
    who = "finished the survey" if want_finished else "have not finished the survey yet"
    preview.notes.append(f"Recipients of “{parent}” who {who}, as of now; opted-out contacts are skipped.")


def _message(preview: Preview, d: Distribution) -> None:
    if d.kind == Kind.INTERACTIVE:
        preview.message_source = "The survey's questions, one SMS at a time (interactive)."
        return
    if d.library_id and d.message_id:
        found = message_for_preview(d.connection, d.library_id, d.message_id)
        preview.message_text = found["text"]
        preview.message_source = f"Library message “{found['description'] or d.message_id}”"
    else:
        preview.message_text = d.message_text
        preview.message_source = "Your own text"
    if d.channel == Channel.SMS:
        preview.sms = sms_length(strip_tags(preview.message_text))
        if "${" in preview.message_text:
            preview.notes.append(
                "Piped text such as ${l://SurveyURL} is counted as written; the link Qualtrics puts in its place "
                "may add a segment."
            )


def distribution_preview(d: Distribution) -> Preview:
    """What `d` would do if sent now. Reads Qualtrics (raises QualtricsError)."""
    preview = Preview(channel=d.channel)
    if d.kind in (Kind.REMINDER, Kind.THANKYOU):
        _follow_up_recipients(preview, d)
    else:
        _recipients(preview, d)
    _message(preview, d)
    return preview
