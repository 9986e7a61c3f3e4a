"""E-mail distributions: create (e-mail form and generate-links form), list, get, delete, history,
links, reminders and thank-yous."""

from __future__ import annotations

from typing import Any

from .. import dates, paging, sending, validation, webhooks
from ..envelope import bad_request, missing_param, not_found
from ..records import Distribution
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

REQUEST_TYPES = ("Invite", "ThankYou", "Reminder", "Email", "Portal", "PortalInvite", "GeneratedInvite")
LINK_TYPES = ("Individual", "Multiple", "Anonymous")
LINK_ACTIONS = {"CreateDistribution": "mailingListId", "CreateTransactionBatchDistribution": "transactionBatchId"}


# --- shared with SMS distributions ------------------------------------------------------------------
def recipients(call: ApiCall, given: dict[str, Any], *, sms: bool = False) -> dict[str, Any]:
    """Check a `recipients` object: one mailing list (optionally narrowed) or one transaction batch."""
    singles_allowed = ("contactId", "sampleId", "transactionId") if sms else ("contactId", "sampleId")
    validation.keys(given, optional=("mailingListId", "transactionBatchId", *singles_allowed))
    list_id = given.get("mailingListId")
    batch_id = given.get("transactionBatchId")
    singles = [key for key in singles_allowed if given.get(key)]
    if list_id and batch_id:
        raise bad_request("recipients: give mailingListId or transactionBatchId, not both")
    if not list_id and not batch_id:
        raise bad_request("recipients: give mailingListId (optionally with one of "
                          f"{', '.join(singles_allowed)}) or transactionBatchId")
    if batch_id and singles:
        raise bad_request(f"recipients: transactionBatchId cannot be combined with {singles[0]}")
    if len(singles) > 1:
        raise bad_request(f"recipients: give only one of {', '.join(singles_allowed)}")
    normal: dict[str, Any] = {"mailingListId": list_id, "contactId": None, "sampleId": None,
                              "transactionBatchId": batch_id}
    if sms:
        normal["transactionId"] = None
    if batch_id:
        if call.brand.find_batch(batch_id) is None:
            raise not_found("transaction batch", batch_id)
        return normal
    found = call.brand.find_list(list_id)
    if found is None:
        raise not_found("mailing list", list_id)
    directory, mailing_list = found
    contact_id = given.get("contactId")
    if contact_id:
        if contact_id.startswith("CID_"):
            raise bad_request("recipients.contactId must be the contact's lookup ID in the list (CGC_...), "
                              "not its directory contact ID (CID_...)")
        if mailing_list.member_by_lookup(contact_id) is None:
            raise not_found("contact in mailing list", contact_id)
        normal["contactId"] = contact_id
    sample_id = given.get("sampleId")
    if sample_id:
        sample = directory.samples.get(sample_id)
        if sample is None or sample.mailing_list_id != mailing_list.id:
            raise not_found("sample of mailing list", sample_id)
        normal["sampleId"] = sample_id
    transaction_id = given.get("transactionId")
    if transaction_id:
        transaction = directory.transactions.get(transaction_id)
        if transaction is None or transaction.mailing_list_id != mailing_list.id:
            raise not_found("transaction in mailing list", transaction_id)
        normal["transactionId"] = transaction_id
    return normal


def message(call: ApiCall, given: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Check a `message` object; return its stored form and the text it resolves to."""
    validation.exactly_one_message(given)
    if given.get("messageText") is not None:
        return {"libraryId": None, "messageId": None, "messageText": given["messageText"],
                "messageType": "Inline"}, given["messageText"]
    library_id, message_id = given["libraryId"], given["messageId"]
    if library_id not in call.brand.users and library_id not in call.brand.groups:
        raise not_found("library", library_id)
    found = call.brand.library_messages.get(library_id, {}).get(message_id)
    if found is None:
        raise not_found("message", message_id)
    text = found.messages.get("en") or next(iter(found.messages.values()), "")
    return {"libraryId": library_id, "messageId": message_id, "messageText": text,
            "messageType": "Library"}, text


def embedded(body: dict[str, Any]) -> dict[str, Any]:
    data = validation.obj(body, "embeddedData") or {}
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            raise bad_request(f"embeddedData.{key} must be a string, number or boolean")
    return dict(data)


def require_survey_query(call: ApiCall) -> str:
    survey_id = call.query.get("surveyId")
    if not survey_id:
        raise missing_param("surveyId")
    lookups.survey(call, survey_id)
    return survey_id


# --- e-mail distributions ---------------------------------------------------------------------------
def _header(given: dict[str, Any]) -> dict[str, Any]:
    validation.keys(given, required=("fromEmail", "fromName", "subject"), optional=("replyToEmail",))
    for key in ("fromEmail", "fromName", "subject"):
        validation.required_str(given, key)
    for key in ("fromEmail", "replyToEmail"):
        if given.get(key) is not None and "@" not in str(given[key]):
            raise bad_request(f"header.{key} is not a valid e-mail address")
    return {"fromEmail": given["fromEmail"], "replyToEmail": given.get("replyToEmail"),
            "fromName": given["fromName"], "subject": given["subject"]}


def render(call: ApiCall, distribution: Distribution, listing: bool = False) -> dict[str, Any]:
    message_view = dict(distribution.message)
    if listing:
        message_view.pop("messageText", None)
    recipients_view = {key: distribution.recipients.get(key) for key in ("mailingListId", "contactId", "sampleId")}
    recipients_view["libraryId"] = distribution.owner_id
    if distribution.recipients.get("transactionBatchId"):
        recipients_view["transactionBatchId"] = distribution.recipients["transactionBatchId"]
    return {
        "id": distribution.id,
        "parentDistributionId": distribution.parent_id,
        "ownerId": distribution.owner_id,
        "organizationId": call.brand.id,
        "requestStatus": "Done" if distribution.sent else "Pending",
        "requestType": distribution.request_type,
        "sendDate": dates.iso(distribution.send_date),
        "createdDate": dates.iso(distribution.created),
        "modifiedDate": dates.iso(distribution.modified),
        "customHeaders": {},
        "headers": dict(distribution.headers),
        "recipients": recipients_view,
        "message": message_view,
        "surveyLink": dict(distribution.survey_link) if distribution.survey_link else None,
        "embeddedData": dict(distribution.embedded) or None,
        "stats": sending.email_stats(distribution),
    }


def _new(call: ApiCall, **fields: Any) -> Distribution:
    now = call.now
    distribution = Distribution(id=call.state.ids.make("EMD"), channel="email", owner_id=call.user.id,
                                created=now, modified=now, **fields)
    call.brand.distributions[distribution.id] = distribution
    webhooks.distribution_created(call.state, call.brand, distribution)
    return distribution


@table.post("/distributions")
def create_distribution(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    if "action" in body:
        return _generate_links(call, body)
    validation.keys(body, required=("message", "recipients", "header", "sendDate"),
                    optional=("surveyLink", "embeddedData"))
    header = _header(validation.obj(body, "header", required=True) or {})
    stored_message, text = message(call, validation.obj(body, "message", required=True) or {})
    target = recipients(call, validation.obj(body, "recipients", required=True) or {})
    send_date = validation.date(body, "sendDate", required=True)
    link = validation.obj(body, "surveyLink")
    survey_link = None
    if link is not None:
        validation.keys(link, required=("surveyId",), optional=("expirationDate", "type"))
        lookups.survey(call, validation.required_str(link, "surveyId"))
        link_type = link.get("type", "Individual")
        if link_type not in LINK_TYPES:
            raise bad_request(f"surveyLink.type must be one of {', '.join(LINK_TYPES)}")
        expiration = validation.date(link, "expirationDate")
        survey_link = {"surveyId": link["surveyId"], "expirationDate": dates.iso(expiration), "linkType": link_type}
    distribution = _new(
        call, request_type="Invite" if survey_link else "Email",
        survey_id=survey_link["surveyId"] if survey_link else None, send_date=send_date, headers=header,
        recipients=target, message=stored_message, survey_link=survey_link, embedded=embedded(body),
        message_text=text,
    )
    call.state.catch_up(call.brand)
    return {"id": distribution.id}


def _generate_links(call: ApiCall, body: dict[str, Any]) -> dict[str, Any]:
    action = body.get("action")
    if action not in LINK_ACTIONS:
        raise bad_request(f"action must be one of {', '.join(LINK_ACTIONS)}")
    target_key = LINK_ACTIONS[action]
    validation.keys(body, required=("action", "surveyId", "linkType", "description", target_key),
                    optional=("expirationDate", "embeddedData"))
    survey = lookups.survey(call, validation.required_str(body, "surveyId"))
    if not survey.is_active:
        raise bad_request(f"Survey {survey.id} is not active; activate it before generating links")
    if body["linkType"] not in LINK_TYPES:
        raise bad_request(f"linkType must be one of {', '.join(LINK_TYPES)}")
    description = validation.required_str(body, "description")
    expiration = validation.date(body, "expirationDate")
    target = recipients(call, {target_key: body[target_key]})
    distribution = _new(
        call, request_type="GeneratedInvite", survey_id=survey.id, send_date=call.now, recipients=target,
        survey_link={"surveyId": survey.id, "expirationDate": dates.iso(expiration), "linkType": body["linkType"]},
        embedded=embedded(body), description=description, link_expiration=expiration,
    )
    sending.generate_links(call.brand, distribution)
    return {"id": distribution.id}


@table.get("/distributions")
def list_distributions(call: ApiCall) -> dict[str, Any]:
    survey_id = require_survey_query(call)
    chosen = [d for d in call.brand.distributions.values()
              if d.live and d.channel == "email" and d.survey_id == survey_id]
    list_id = call.query.get("mailingListId")
    if list_id:
        chosen = [d for d in chosen if d.recipients.get("mailingListId") == list_id]
    kind = call.query.get("distributionRequestType")
    if kind:
        if kind not in REQUEST_TYPES:
            raise bad_request(f"distributionRequestType must be one of {', '.join(REQUEST_TYPES)}")
        chosen = [d for d in chosen if d.request_type == kind]
    for key, keep in (("sendStartDate", lambda d, m: d.send_date >= m), ("sendEndDate", lambda d, m: d.send_date <= m)):
        if call.query.get(key):
            moment = dates.parse(call.query[key])
            if moment is None:
                raise bad_request(f"{key} is not a valid date")
            chosen = [d for d in chosen if keep(d, moment)]
    return paging.skip_page(call, chosen, lambda d: render(call, d, listing=True))


def _with_survey(call: ApiCall) -> Distribution:
    distribution = lookups.distribution(call, "email")
    survey_id = require_survey_query(call)
    if distribution.survey_id and distribution.survey_id != survey_id:
        raise not_found("distribution", distribution.id)
    return distribution


@table.get("/distributions/{distributionId}")
def get_distribution(call: ApiCall) -> dict[str, Any]:
    return render(call, _with_survey(call))


@table.delete("/distributions/{distributionId}")
def delete_distribution(call: ApiCall) -> None:
    """A distribution not sent yet is cancelled; a sent one is deleted."""
    distribution = lookups.distribution(call, "email")
    if distribution.sent:
        distribution.deleted = True
    else:
        distribution.canceled = True
    distribution.modified = call.now


@table.get("/distributions/{distributionId}/history", limit="distribution_history")
def history(call: ApiCall) -> dict[str, Any]:
    distribution = lookups.distribution(call, "email")

    def row(entry: Any) -> dict[str, Any]:
        return {
            "contactId": entry.contact_id,
            "contactLookupId": entry.lookup_id,
            "distributionID": distribution.id,
            "status": entry.status,
            "surveyLink": entry.link,
            "contactFrequencyRuleId": None,
            "responseId": entry.response_id,
            "responseCompletedAt": dates.iso(entry.completed_at),
            "sentAt": dates.iso(entry.sent_at),
            "openedAt": dates.iso(entry.opened_at),
            "responseStartedAt": dates.iso(entry.started_at),
            "surveySessionId": entry.session_id,
        }

    return paging.skip_page(call, distribution.history, row)


@table.get("/distributions/{distributionId}/links", limit="distribution_links")
def links(call: ApiCall) -> dict[str, Any]:
    distribution = _with_survey(call)
    contacts_by_id = {cid: c for d in call.brand.directories.values() for cid, c in d.contacts.items()}
    expiration = dates.iso(distribution.link_expiration) if distribution.link_expiration else None

    def row(entry: Any) -> dict[str, Any]:
        contact = contacts_by_id.get(entry.contact_id)
        get = contact.get if contact else (lambda _key: None)
        return {
            "contactId": entry.lookup_id,
            "transactionId": entry.transaction_id,
            "link": entry.link or sending.survey_link(call.brand, distribution, entry.lookup_id),
            "exceededContactFrequency": False,
            "linkExpiration": expiration,
            "status": "Email not sent",
            "lastName": get("lastName"),
            "firstName": get("firstName"),
            "externalDataReference": get("extRef"),
            "email": get("email"),
            "unsubscribed": bool(contact.unsubscribed) if contact else False,
        }

    return paging.skip_page(call, distribution.history, row)


def _follow_up(call: ApiCall, kind: str) -> dict[str, Any]:
    parent = lookups.distribution(call, "email")
    body = call.json()
    validation.keys(body, required=("header", "message", "sendDate"), optional=("embeddedData",))
    header = _header(validation.obj(body, "header", required=True) or {})
    stored_message, text = message(call, validation.obj(body, "message", required=True) or {})
    send_date = validation.date(body, "sendDate", required=True)
    distribution = _new(
        call, request_type=kind, parent_id=parent.id, survey_id=parent.survey_id, send_date=send_date,
        headers=header, recipients=dict(parent.recipients), message=stored_message,
        survey_link=dict(parent.survey_link) if parent.survey_link else None,
        embedded=embedded(body), message_text=text,
    )
    call.state.catch_up(call.brand)
    key = call.config["reminder_result_key"]
    if key == "both":
        return {"id": distribution.id, "distributionId": distribution.id}
    return {key: distribution.id}


@table.post("/distributions/{distributionId}/reminders")
def create_reminder(call: ApiCall) -> dict[str, Any]:
    """Goes to the parent's recipients who have not finished (opted-out contacts are skipped)."""
    return _follow_up(call, "Reminder")


@table.post("/distributions/{distributionId}/thankyous")
def create_thank_you(call: ApiCall) -> dict[str, Any]:
    """Goes to the parent's recipients who finished."""
    return _follow_up(call, "ThankYou")
