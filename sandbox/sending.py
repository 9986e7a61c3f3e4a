"""How distributions go out: recipients, per-recipient history, statistics and simulated engagement.

Sends are evaluated lazily against the sandbox clock: whenever a brand is touched, every live
distribution whose sendDate has passed and that has not gone out yet is sent, oldest first.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import responses
from .records import Brand, Contact, Distribution, HistoryEntry, Membership, Response

if TYPE_CHECKING:
    from .ids import IdFactory
    from .state import State

OPENED = {"Opened", "SurveyStarted", "SurveyPartiallyFinished", "SurveyFinished", "SurveyScreenedOut",
          "SessionExpired"}
STARTED = {"SurveyStarted", "SurveyPartiallyFinished", "SurveyFinished", "SurveyScreenedOut", "SessionExpired"}
BOUNCED = {"HardBounce", "SoftBounce"}
SENT = {"Success", "Complaint"} | OPENED | BOUNCED
SMS_SEGMENT = 160


@dataclass
class Recipient:
    contact: Contact
    membership: Membership | None
    mailing_list_id: str | None
    transaction_id: str | None = None
    lookup_id: str | None = None

    @property
    def lookup(self) -> str:
        """The list-scoped ID the recipient is known by (the contact ID when it is on no list)."""
        if self.lookup_id:
            return self.lookup_id
        return self.membership.lookup_id if self.membership else self.contact.id


def email_stats(distribution: Distribution) -> dict[str, int]:
    statuses = [entry.status for entry in distribution.history]
    return {
        "sent": sum(status in SENT for status in statuses),
        "failed": sum(status in ("Failure", "Error") for status in statuses),
        "started": sum(status in STARTED for status in statuses),
        "bounced": sum(status in BOUNCED for status in statuses),
        "opened": sum(status in OPENED for status in statuses),
        "skipped": sum(status == "Skipped" for status in statuses),
        "finished": sum(status == "SurveyFinished" for status in statuses),
        "complaints": sum(status == "Complaint" for status in statuses),
        "blocked": sum(status == "Blocked" for status in statuses),
    }


def sms_segments(distribution: Distribution) -> int:
    return max(1, math.ceil(len(distribution.message_text) / SMS_SEGMENT))


def sms_stats(distribution: Distribution) -> dict[str, int]:
    stats = email_stats(distribution)
    segments = sms_segments(distribution)
    return {
        "sent": stats["sent"],
        "failed": stats["failed"],
        "started": stats["started"],
        "finished": stats["finished"],
        "credits": stats["sent"] * segments,
        "segments": segments if distribution.sent else 0,
    }


def send_due(state: State, brand: Brand) -> None:
    now = state.now()
    due = [d for d in brand.distributions.values() if d.live and not d.sent and d.send_date <= now]
    for distribution in sorted(due, key=lambda d: (d.send_date, d.created)):
        deliver(brand, distribution, state.ids, state.config["simulate_engagement"])


def recipients_of(brand: Brand, distribution: Distribution) -> list[Recipient]:
    """Who a distribution reaches, as known when it goes out."""
    if distribution.parent_id:
        parent = brand.distributions.get(distribution.parent_id)
        if parent is None:
            return []
        want_finished = distribution.request_type == "ThankYou"
        chosen = []
        reached = SENT | {"Pending"} if parent.request_type == "GeneratedInvite" else SENT
        for entry in parent.history:
            if entry.status not in reached or entry.status in BOUNCED:
                continue
            if (entry.status == "SurveyFinished") != want_finished:
                continue
            recipient = _recipient_from_entry(brand, entry)
            if recipient is not None:
                chosen.append(recipient)
        return chosen
    target = distribution.recipients
    if target.get("transactionBatchId"):
        found = brand.find_batch(target["transactionBatchId"])
        if found is None:
            return []
        directory, batch = found
        chosen = []
        for transaction_id in batch.transaction_ids:
            transaction = directory.transactions.get(transaction_id)
            if transaction is None or transaction.contact_id not in directory.contacts:
                continue
            mailing_list = directory.lists.get(transaction.mailing_list_id)
            membership = mailing_list.members.get(transaction.contact_id) if mailing_list else None
            chosen.append(
                Recipient(directory.contacts[transaction.contact_id], membership, transaction.mailing_list_id,
                          transaction.id)
            )
        return chosen
    found = brand.find_list(target.get("mailingListId") or "")
    if found is None:
        return []
    directory, mailing_list = found
    members = list(mailing_list.members.values())
    if target.get("contactId"):
        members = [m for m in members if m.lookup_id == target["contactId"]]
    if target.get("sampleId"):
        sample = directory.samples.get(target["sampleId"])
        members = [m for m in members if sample is not None and m.contact_id in sample.contact_ids]
    return [
        Recipient(directory.contacts[m.contact_id], m, mailing_list.id)
        for m in members
        if m.contact_id in directory.contacts
    ]


def _recipient_from_entry(brand: Brand, entry: HistoryEntry) -> Recipient | None:
    for directory in brand.directories.values():
        contact = directory.contacts.get(entry.contact_id)
        if contact is None:
            continue
        mailing_list = directory.lists.get(entry.mailing_list_id or "")
        membership = mailing_list.members.get(contact.id) if mailing_list else None
        return Recipient(contact, membership, entry.mailing_list_id, entry.transaction_id, entry.lookup_id)
    return None


def deliver(brand: Brand, distribution: Distribution, ids: IdFactory, simulate_engagement: bool) -> None:
    at = distribution.send_date
    channel_field = "phone" if distribution.channel == "sms" else "email"
    engage = (
        simulate_engagement
        and distribution.survey_id is not None
        and distribution.request_type in ("Invite", "Interactive", "Reminder")
    )
    for recipient in recipients_of(brand, distribution):
        contact, membership = recipient.contact, recipient.membership
        entry = HistoryEntry(
            contact_id=contact.id,
            lookup_id=recipient.lookup,
            mailing_list_id=recipient.mailing_list_id,
            status="Success",
            transaction_id=recipient.transaction_id,
            session_id=None,
        )
        if not contact.get(channel_field):
            entry.status = "Failure"
        elif contact.unsubscribed or (membership is not None and membership.unsubscribed):
            entry.status = "Skipped"
        else:
            entry.sent_at = at
            _count_invite(contact, at, distribution.channel)
            if membership is not None and membership.bounced and distribution.channel == "email":
                entry.status = "HardBounce"
        entry.link = survey_link(brand, distribution, entry.lookup_id)
        distribution.history.append(entry)
        if engage and entry.status == "Success":
            _engage(ids, brand, distribution, entry, contact)
    distribution.sent = True
    distribution.modified = at


def _count_invite(contact: Contact, at: datetime, channel: str) -> None:
    stats = contact.stats
    stats["InviteCount"] = stats.get("InviteCount", 0) + 1
    stats["MonthInviteCount"] = stats.get("MonthInviteCount", 0) + 1
    stats["LastInviteDate"] = int(at.timestamp() * 1000)
    if channel == "email":
        stats["EmailCount"] = stats.get("EmailCount", 0) + 1
        stats["MonthEmailCount"] = stats.get("MonthEmailCount", 0) + 1
        stats["LastEmailDate"] = int(at.timestamp() * 1000)


def _engage(ids: IdFactory, brand: Brand, distribution: Distribution, entry: HistoryEntry,
            contact: Contact) -> None:
    """Open, start or finish for a fixed share of recipients, decided by a hash of the two IDs."""
    digest = hashlib.sha256(f"{distribution.id}/{contact.id}".encode()).digest()
    bucket = digest[0] % 100
    minutes = 5 + digest[1] % 180
    if bucket >= 45:
        return
    entry.status = "Opened"
    entry.opened_at = distribution.send_date + timedelta(minutes=minutes)
    if bucket >= 20:
        return
    entry.status = "SurveyStarted"
    entry.started_at = entry.opened_at + timedelta(minutes=2)
    entry.session_id = f"FS_{digest[2:10].hex()[:15]}"
    if bucket >= 12:
        return
    survey = brand.surveys.get(distribution.survey_id or "")
    if survey is None:
        return
    rng = random.Random(digest)
    response = responses.record(
        survey, ids, finished=entry.started_at + timedelta(minutes=6), rng=rng, contact=contact,
        lookup_id=entry.lookup_id, distribution_id=distribution.id,
        channel="smsinvite" if distribution.channel == "sms" else "email",
    )
    complete(brand, distribution, entry, response)


def complete(brand: Brand, distribution: Distribution, entry: HistoryEntry, response: Response) -> None:
    """Mark a recipient as finished with `response`; a reminder's finisher also finishes the invite."""
    at = response.recorded
    entry.opened_at = entry.opened_at or at
    entry.started_at = entry.started_at or response.started
    entry.completed_at = at
    entry.response_id = response.id
    entry.status = "SurveyFinished"
    contact_stats = _contact_stats(brand, entry.contact_id)
    if contact_stats is not None:
        contact_stats["ResponseCount"] = contact_stats.get("ResponseCount", 0) + 1
        contact_stats["LastResponseDate"] = int(at.timestamp() * 1000)
        invites = max(1, contact_stats.get("InviteCount", 1))
        contact_stats["ResponseRate"] = round(contact_stats["ResponseCount"] / invites, 2)
    if distribution.parent_id and distribution.request_type == "Reminder":
        parent = brand.distributions.get(distribution.parent_id)
        parent_entry = parent.entry_for(entry.lookup_id) if parent else None
        if parent_entry is not None and parent_entry.status != "SurveyFinished":
            parent_entry.opened_at = parent_entry.opened_at or entry.opened_at
            parent_entry.started_at = parent_entry.started_at or entry.started_at
            parent_entry.completed_at = at
            parent_entry.response_id = response.id
            parent_entry.status = "SurveyFinished"


def _contact_stats(brand: Brand, contact_id: str) -> dict[str, Any] | None:
    for directory in brand.directories.values():
        contact = directory.contacts.get(contact_id)
        if contact is not None:
            return contact.stats
    return None


def survey_link(brand: Brand, distribution: Distribution, lookup_id: str) -> str | None:
    if not distribution.survey_id:
        return None
    channel = "gl" if distribution.request_type == "GeneratedInvite" else distribution.channel
    return (
        f"https://{brand.id}.{brand.datacenter}.qualtrics.com/jfe/form/{distribution.survey_id}"
        f"?Q_DL={distribution.id}_{distribution.survey_id}_{lookup_id}&Q_CHL={channel}"
    )


def generate_links(brand: Brand, distribution: Distribution) -> None:
    """A generated-link distribution: one personal link per recipient, nothing e-mailed."""
    for recipient in recipients_of(brand, distribution):
        lookup_id = recipient.lookup
        distribution.history.append(
            HistoryEntry(
                contact_id=recipient.contact.id, lookup_id=lookup_id, mailing_list_id=recipient.mailing_list_id,
                status="Pending", transaction_id=recipient.transaction_id,
                link=survey_link(brand, distribution, lookup_id),
            )
        )
    distribution.sent = True
