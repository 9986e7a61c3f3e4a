"""Every rule a composed distribution must follow before anything is sent (docs/qualtrics-api.md,
#email-distributions, #reminders-and-thank-yous and #sms-distributions).

`problems(distribution, now=...)` returns {field name or None: [messages]}: forms show them beside
the fields, and the services check again before scheduling and before sending. Each invalid
combination gets its own sentence saying what to change.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from .models import Channel, Distribution, Kind, State

REFERENCE_KEY = "PortalDistributionReference"
SMS_NAME_MAX = 100
SMS_REFERENCE_SUFFIX_LENGTH = len(" [ref 0123456789]")
SMS_NAME_LIMIT = SMS_NAME_MAX - SMS_REFERENCE_SUFFIX_LENGTH
SMS_TEXT_MAX = 10_000
EMAIL_TEXT_MAX = 100_000
EMBEDDED_DATA_MAX_KEYS = 100
# A schedule in the past is refused, with a little slack for the time the form took to submit.
PAST_GRACE = datetime.timedelta(minutes=5)

SURVEY_ID = re.compile(r"^SV_[A-Za-z0-9]{11,15}$")
LIBRARY_ID = re.compile(r"^(UR|URH|GR)_[A-Za-z0-9]{11,15}$")
MESSAGE_ID = re.compile(r"^MS_[A-Za-z0-9]{11,15}$")
MAILING_LIST_ID = re.compile(r"^CG_[A-Za-z0-9]{11,15}$")
CONTACT_LOOKUP_ID = re.compile(r"^CGC_[A-Za-z0-9]{11,15}$")
DIRECTORY_ID = re.compile(r"^POOL_[A-Za-z0-9]{11,15}$")
# Formats Qualtrics does not document: any plain identifier.
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{3,60}$")


class Problems(defaultdict):
    def __init__(self):
        super().__init__(list)

    def add(self, field: str | None, message: str) -> None:
        if message not in self[field]:
            self[field].append(message)

    def as_dict(self) -> dict[str | None, list[str]]:
        return {k: v for k, v in self.items() if v}


def problems(d: Distribution, *, now: datetime.datetime | None = None, for_draft: bool = False) -> dict:
    """What is wrong with `d`; empty when it may be scheduled. Drafts only need a consistent shape."""
    now = now or timezone.now()
    found = Problems()
    _check_kind(d, found)
    if d.kind in (Kind.REMINDER, Kind.THANKYOU):
        _check_follow_up(d, found)
    else:
        _check_survey(d, found, for_draft)
        _check_recipients(d, found, for_draft)
        if d.channel == Channel.EMAIL:
            _check_link(d, found)
    if d.channel == Channel.EMAIL:
        _check_header(d, found, for_draft)
    else:
        _check_sms(d, found, for_draft)
    _check_message(d, found, for_draft)
    _check_embedded_data(d, found)
    _check_send_time(d, found, now, for_draft)
    return found.as_dict()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_kind(d: Distribution, found: Problems) -> None:
    if d.channel not in Channel.values:
        found.add(None, "Choose e-mail or SMS.")
    if d.kind not in Kind.values:
        found.add("kind", "Choose what this distribution is: an invite, a reminder or a thank-you.")
    if d.kind == Kind.INTERACTIVE and d.channel != Channel.SMS:
        found.add("kind", "Interactive (two-way) distributions exist only for SMS.")


def _check_survey(d: Distribution, found: Problems, for_draft: bool) -> None:
    if _blank(d.survey_id):
        if not for_draft:
            found.add("survey_id", "Choose the survey to distribute.")
    elif not SURVEY_ID.match(d.survey_id):
        found.add("survey_id", "A survey ID looks like SV_ followed by 11 to 15 letters or digits.")


def _check_recipients(d: Distribution, found: Problems, for_draft: bool) -> None:
    has_list = not _blank(d.mailing_list_id)
    has_batch = not _blank(d.transaction_batch_id)
    has_contact = not _blank(d.contact_lookup_id)
    has_sample = not _blank(d.sample_id)
    has_transaction = not _blank(d.transaction_id)

    if has_list and has_batch:
        found.add(
            "transaction_batch_id",
            "Send either to a mailing list or to a transaction batch, not both: clear one of them.",
        )
    if has_batch and has_contact:
        found.add(
            "contact_lookup_id",
            "A transaction batch cannot be combined with a single contact: the batch already names "
            "its recipients. Clear the contact, or send to the contact's mailing list instead.",
        )
    if has_batch and has_sample:
        found.add("sample_id", "A transaction batch cannot be combined with a sample: clear the sample.")
    if has_batch and has_transaction:
        found.add(
            "transaction_id", "A transaction batch cannot be combined with a single transaction: clear one."
        )
    if not has_list and not has_batch and not for_draft:
        found.add(
            "mailing_list_id", "Choose who receives it: a mailing list (optionally one contact or a sample "
            "of it) or a transaction batch.",
        )
    if not has_list and not has_batch:
        if has_contact:
            found.add("contact_lookup_id", "A single contact is reached through its mailing list: choose the list.")
        if has_sample:
            found.add("sample_id", "A sample belongs to a mailing list: choose the list too.")
        if has_transaction:
            found.add("transaction_id", "A transaction belongs to a mailing list: choose the list too.")
    singles = [name for name, present in (("contact", has_contact), ("sample", has_sample),
                                           ("transaction", has_transaction)) if present]
    if has_list and len(singles) > 1:
        found.add(
            None,
            f"Narrow the mailing list by one thing only: a contact, a sample or a transaction "
            f"(you gave a {' and a '.join(singles)}).",
        )
    if has_transaction and d.channel == Channel.EMAIL:
        found.add(
            "transaction_id",
            "E-mail distributions cannot target a single transaction: use a transaction batch or the contact.",
        )
    if has_list and not MAILING_LIST_ID.match(d.mailing_list_id):
        found.add("mailing_list_id", "A mailing list ID looks like CG_ followed by 11 to 15 letters or digits.")
    if has_contact:
        if d.contact_lookup_id.startswith("CID_"):
            found.add(
                "contact_lookup_id",
                "That is the contact's directory ID (CID_…). A distribution needs the contact's lookup ID "
                "in the mailing list (CGC_…): pick the contact from the list.",
            )
        elif not CONTACT_LOOKUP_ID.match(d.contact_lookup_id):
            found.add("contact_lookup_id",
                      "A contact lookup ID looks like CGC_ followed by 11 to 15 letters or digits.")
    for name, value in (("sample_id", d.sample_id), ("transaction_id", d.transaction_id),
                        ("transaction_batch_id", d.transaction_batch_id)):
        if not _blank(value) and not OPAQUE_ID.match(value):
            found.add(name, "Use the ID exactly as Qualtrics shows it (letters, digits, _ and -).")
    if not _blank(d.directory_id) and not DIRECTORY_ID.match(d.directory_id):
        found.add("directory_id", "A directory ID looks like POOL_ followed by 11 to 15 letters or digits.")


def _check_follow_up(d: Distribution, found: Problems) -> None:
    word = "reminder" if d.kind == Kind.REMINDER else "thank-you"
    parent = d.parent
    if parent is None:
        found.add("parent", f"A {word} follows a distribution that was sent: choose it.")
    else:
        if parent.connection_id != d.connection_id:
            found.add("parent", f"The {word}'s parent must belong to the same connection.")
        if parent.channel != d.channel:
            found.add(
                "parent",
                f"An {d.get_channel_display()} {word} must follow an {d.get_channel_display()} distribution.",
            )
        if parent.kind not in (Kind.INVITE, Kind.INTERACTIVE):
            found.add("parent", f"A {word} follows an invite, not another {parent.get_kind_display().lower()}.")
        if parent.state != State.SENT or not parent.qualtrics_id:
            found.add(
                "parent",
                f"The parent distribution has not been sent yet ({parent.get_state_display().lower()}); "
                f"a {word} can only follow a distribution Qualtrics has sent.",
            )
        elif d.send_at and parent.qualtrics_send_date and d.send_at < parent.qualtrics_send_date:
            found.add("send_at", f"A {word} must go out after its parent was sent.")
    for name, value, label in (
        ("mailing_list_id", d.mailing_list_id, "mailing list"),
        ("contact_lookup_id", d.contact_lookup_id, "contact"),
        ("sample_id", d.sample_id, "sample"),
        ("transaction_id", d.transaction_id, "transaction"),
        ("transaction_batch_id", d.transaction_batch_id, "transaction batch"),
    ):
        if not _blank(value):
            found.add(
                name,
                f"A {word} goes to the recipients of its parent: remove the {label} (Qualtrics refuses "
                f"recipients on a {word}).",
            )
    if d.channel == Channel.EMAIL and (d.link_type or d.link_expires_at):
        found.add("link_type", f"A {word} reuses its parent's survey link: clear the link type and expiration.")


def _check_link(d: Distribution, found: Problems) -> None:
    if not d.link_type:
        found.add("link_type", "Choose the survey link type: individual, multiple or anonymous.")
    elif d.link_type not in ("Individual", "Multiple", "Anonymous"):
        found.add("link_type", "The link type is individual, multiple or anonymous.")
    if d.link_expires_at and d.send_at and d.link_expires_at <= d.send_at:
        found.add("link_expires_at", "The survey link must expire after the distribution is sent.")


def _check_header(d: Distribution, found: Problems, for_draft: bool) -> None:
    # Each message sits under its field and in the form's summary after the field's label: it does not
    # name the field itself.
    for name, value in (("from_email", d.from_email), ("reply_to_email", d.reply_to_email)):
        if _blank(value):
            if name == "from_email" and not for_draft:
                found.add(name, "Enter the address the e-mail comes from (one your brand may send from).")
            continue
        try:
            validate_email(value)
        except ValidationError:
            found.add(name, f"“{value}” is not an e-mail address.")
    if _blank(d.from_name) and not for_draft:
        found.add("from_name", "Enter the sender name recipients will see.")
    has_text = not _blank(d.subject)
    has_message = not _blank(d.subject_message_id)
    if has_text and has_message:
        found.add("subject", "Type a subject or pick a subject message from the library, not both.")
    elif not has_text and not has_message and not for_draft:
        found.add("subject", "Enter a subject, or pick a subject message from the library.")
    if has_message:
        if not MESSAGE_ID.match(d.subject_message_id):
            found.add("subject_message_id",
                      "A library message ID looks like MS_ followed by 11 to 15 letters or digits.")
        if _blank(d.library_id):
            found.add("subject_message_id", "A subject message comes from a library: choose the library.")


def _check_sms(d: Distribution, found: Problems, for_draft: bool) -> None:
    if _blank(d.name):
        if not for_draft:
            found.add("name", "Name the SMS distribution (Qualtrics shows the name in its distribution list).")
    elif len(d.name) > SMS_NAME_LIMIT:
        found.add("name", f"Keep the name to {SMS_NAME_LIMIT} characters (Qualtrics allows {SMS_NAME_MAX}, "
                          "and the portal adds a short reference).")
    if d.link_type:
        found.add("link_type", "SMS distributions have no link type: the survey link comes with the message.")
    if d.kind in (Kind.REMINDER, Kind.THANKYOU) and d.link_expires_at:
        found.add("link_expires_at", "A reminder or thank-you keeps its parent's link expiration.")
    if d.link_expires_at and d.send_at and d.link_expires_at <= d.send_at:
        found.add("link_expires_at", "The survey link must expire after the SMS is sent.")
    for name in ("from_email", "from_name", "reply_to_email", "subject", "subject_message_id"):
        if not _blank(getattr(d, name)):
            found.add(name, "SMS distributions have no e-mail header: clear it.")


def _check_message(d: Distribution, found: Problems, for_draft: bool) -> None:
    has_library = not _blank(d.library_id)
    has_message = not _blank(d.message_id)
    has_text = not _blank(d.message_text)
    if d.kind == Kind.INTERACTIVE:
        if has_message or has_text:
            found.add(
                "message_text",
                "An interactive SMS asks the survey's questions one by one and takes no message: clear the "
                "library message and the text.",
            )
        return
    if has_message and has_text:
        found.add("message_text", "Use either a library message or your own text, not both: clear one of them.")
    elif not has_message and not has_text and not for_draft:
        found.add("message_id", "Choose a message from a library, or type the message text.")
    if has_message and not has_library:
        found.add("library_id", "A library message needs its library: choose the library it is in.")
    if has_library and not has_message and not has_text and not for_draft:
        found.add("message_id", "Pick a message from the library you chose.")
    if has_library and not LIBRARY_ID.match(d.library_id):
        found.add("library_id", "A library ID looks like UR_ (a user's library) or GR_ (a group's) and 11 to 15 "
                                "letters or digits.")
    if has_message and not MESSAGE_ID.match(d.message_id):
        found.add("message_id", "A library message ID looks like MS_ followed by 11 to 15 letters or digits.")
    limit = SMS_TEXT_MAX if d.channel == Channel.SMS else EMAIL_TEXT_MAX
    if has_text and len(d.message_text) > limit:
        found.add("message_text", f"The message is {len(d.message_text):,} characters; Qualtrics takes at most "
                                  f"{limit:,}.")


def _check_embedded_data(d: Distribution, found: Problems) -> None:
    data = d.embedded_data
    if data in (None, ""):
        return
    if not isinstance(data, dict):
        found.add("embedded_data", "Embedded data is a set of names and values.")
        return
    if d.channel == Channel.SMS and data:
        found.add("embedded_data", "Qualtrics takes no embedded data on SMS distributions: clear it.")
        return
    if len(data) > EMBEDDED_DATA_MAX_KEYS:
        found.add("embedded_data", f"At most {EMBEDDED_DATA_MAX_KEYS} embedded data fields.")
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            found.add("embedded_data", "Every embedded data field needs a name.")
        elif key == REFERENCE_KEY:
            found.add("embedded_data", f"“{REFERENCE_KEY}” is used by the portal to find its distributions "
                                       "in Qualtrics: choose another name.")
        elif len(key) > 200:
            found.add("embedded_data", f"The field name “{key[:30]}…” is too long (200 characters at most).")
        if not isinstance(value, (str, int, float, bool)) and value is not None:
            found.add("embedded_data", f"The value of “{key}” must be text or a number.")


def _check_send_time(d: Distribution, found: Problems, now: datetime.datetime, for_draft: bool) -> None:
    if d.send_at is None:
        if not for_draft:
            found.add("send_at", "Choose when to send it, or choose “Send now”.")
        return
    if not for_draft and d.send_at < now - PAST_GRACE:
        found.add("send_at", "That time has already passed: pick a later time, or choose “Send now”.")
    if d.send_at > now + datetime.timedelta(days=366):
        found.add("send_at", "Schedule it at most a year ahead.")
