"""What the portal sends to Qualtrics for a distribution (docs/qualtrics-api.md#email-distributions,
#reminders-and-thank-yous and #sms-distributions).

Each builder returns keyword arguments for the matching client method. Every e-mail carries the
portal's `reference` in its embedded data, and every SMS in its name, so a send whose outcome is
unknown (a timeout, a dead worker) can be found in Qualtrics before anything is sent again.
"""

from __future__ import annotations

import datetime
from typing import Any

from qualtrics import format_datetime

from .models import Channel, Distribution, Kind
from .rules import REFERENCE_KEY


def reference_tag(d: Distribution) -> str:
    return d.reference.hex[:10]


def sms_qualtrics_name(d: Distribution) -> str:
    """The SMS distribution's name in Qualtrics: the user's name plus a short reference."""
    return f"{d.name} [ref {reference_tag(d)}]"


def message_of(d: Distribution) -> dict[str, str]:
    if d.library_id and d.message_id:
        return {"libraryId": d.library_id, "messageId": d.message_id}
    return {"messageText": d.message_text}


def header_of(d: Distribution) -> dict[str, str]:
    header = {
        "fromEmail": d.from_email,
        "fromName": d.from_name,
        "subject": d.subject_message_id or d.subject,
    }
    header["replyToEmail"] = d.reply_to_email or d.from_email
    return header


def recipients_of(d: Distribution) -> dict[str, str]:
    if d.transaction_batch_id:
        return {"transactionBatchId": d.transaction_batch_id}
    recipients = {"mailingListId": d.mailing_list_id}
    if d.contact_lookup_id:
        recipients["contactId"] = d.contact_lookup_id
    if d.sample_id:
        recipients["sampleId"] = d.sample_id
    if d.transaction_id:
        recipients["transactionId"] = d.transaction_id
    return recipients


def embedded_data_of(d: Distribution) -> dict[str, Any]:
    data = {str(k): ("" if v is None else v) for k, v in (d.embedded_data or {}).items()}
    data[REFERENCE_KEY] = str(d.reference)
    return data


def email_invite(d: Distribution, send_date: datetime.datetime) -> dict[str, Any]:
    survey_link: dict[str, str] = {"surveyId": d.survey_id, "type": d.link_type}
    if d.link_expires_at:
        survey_link["expirationDate"] = format_datetime(d.link_expires_at)
    return {
        "message": message_of(d),
        "recipients": recipients_of(d),
        "header": header_of(d),
        "survey_link": survey_link,
        "send_date": format_datetime(send_date),
        "embedded_data": embedded_data_of(d),
    }


def email_follow_up(d: Distribution, send_date: datetime.datetime) -> dict[str, Any]:
    return {
        "header": header_of(d),
        "message": message_of(d),
        "send_date": format_datetime(send_date),
        "embedded_data": embedded_data_of(d),
    }


def sms(d: Distribution, send_date: datetime.datetime) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "survey_id": d.survey_id,
        "name": sms_qualtrics_name(d),
        "send_date": format_datetime(send_date),
        "method": d.sms_method,
    }
    if d.kind in (Kind.INVITE, Kind.INTERACTIVE):
        kwargs["recipients"] = recipients_of(d)
    else:
        kwargs["parent_distribution_id"] = d.parent.qualtrics_id
    if d.kind != Kind.INTERACTIVE:
        kwargs["message"] = message_of(d)
    if d.link_expires_at and d.kind in (Kind.INVITE, Kind.INTERACTIVE):
        kwargs["survey_link_expiration_date"] = format_datetime(d.link_expires_at)
    return kwargs


def create_in_qualtrics(client, d: Distribution, send_date: datetime.datetime) -> dict[str, Any]:
    """Make the one call that creates `d` in Qualtrics; returns the result (with its `id`)."""
    if d.channel == Channel.SMS:
        return client.sms_distributions.create(**sms(d, send_date))
    if d.kind == Kind.REMINDER:
        return client.distributions.create_reminder(d.parent.qualtrics_id, **email_follow_up(d, send_date))
    if d.kind == Kind.THANKYOU:
        return client.distributions.create_thank_you(d.parent.qualtrics_id, **email_follow_up(d, send_date))
    return client.distributions.create(**email_invite(d, send_date))
