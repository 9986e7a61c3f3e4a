"""SMS distributions and their method rules.

| method               | recipients  | message      | parentDistributionId |
|----------------------|-------------|--------------|----------------------|
| Invite               | required    | required     | not allowed          |
| Interactive          | required    | not used     | not allowed          |
| Reminder, ThankYou   | not allowed | required     | required (SMS)       |
"""

from __future__ import annotations

from typing import Any

from .. import dates, paging, sending, validation, webhooks
from ..envelope import bad_request, not_found
from ..records import Distribution
from ..routing import ApiCall, RouteTable
from . import distributions, lookups

table = RouteTable()

METHODS = {"Invite": "Invite", "Interactive": "Interactive", "Reminder": "Reminder", "ThankYou": "ThankYou",
           "Thankyou": "ThankYou"}
NAME_MAX = 100
TEXT_MAX = 10_000


def render(call: ApiCall, distribution: Distribution) -> dict[str, Any]:
    target = distribution.recipients
    return {
        "id": distribution.id,
        "parentDistributionId": distribution.parent_id,
        "ownerId": distribution.owner_id,
        "organizationId": call.brand.id,
        "requestStatus": "Done" if distribution.sent else "Scheduled",
        "requestType": distribution.request_type,
        "surveyId": distribution.survey_id,
        "name": distribution.name,
        "sendDate": dates.iso(distribution.send_date),
        "createdDate": dates.iso(distribution.created),
        "modifiedDate": dates.iso(distribution.modified),
        "surveyLinkExpirationDate": dates.iso(distribution.link_expiration),
        "recipients": {
            "mailingListId": target.get("mailingListId"),
            "contactId": target.get("contactId"),
            "libraryId": distribution.owner_id,
            "sampleId": target.get("sampleId"),
            "transactionId": target.get("transactionId"),
            "transactionBatchId": target.get("transactionBatchId"),
        },
        "message": {key: distribution.message.get(key) for key in ("libraryId", "messageId", "messageText")},
        "stats": sending.sms_stats(distribution),
    }


@table.post("/distributions/sms", limit="sms_distributions")
def create_sms(call: ApiCall) -> dict[str, Any]:
    body = call.json()
    validation.keys(
        body, required=("surveyId", "name", "sendDate", "method"),
        optional=("recipients", "message", "parentDistributionId", "surveyLinkExpirationDate"),
    )
    method = METHODS.get(body["method"]) if isinstance(body["method"], str) else None
    if method is None:
        raise bad_request(f"method must be one of Invite, Interactive, Reminder, ThankYou; got {body['method']!r}")
    survey = lookups.survey(call, validation.required_str(body, "surveyId"))
    name = validation.required_str(body, "name", NAME_MAX)
    send_date = validation.date(body, "sendDate", required=True)
    expiration = validation.date(body, "surveyLinkExpirationDate")
    given_recipients = body.get("recipients")
    given_message = body.get("message")
    parent_id = body.get("parentDistributionId")
    parent = None
    if method in ("Invite", "Interactive"):
        if parent_id is not None:
            raise bad_request(f"parentDistributionId is not allowed when method is {method}")
        if given_recipients is None:
            raise bad_request(f"recipients is required when method is {method}: give mailingListId "
                              "(optionally with contactId, sampleId or transactionId) or transactionBatchId")
        target = distributions.recipients(call, validation.obj(body, "recipients") or {}, sms=True)
        if method == "Interactive" and given_message is not None:
            raise bad_request("message is not used when method is Interactive (two-way SMS); leave it out")
        if method == "Invite" and given_message is None:
            raise bad_request("message is required when method is Invite: give libraryId and messageId, "
                              "or messageText")
    else:
        if given_recipients is not None:
            raise bad_request(f"recipients is not allowed when method is {method}; the parent distribution's "
                              "recipients are used")
        if given_message is None:
            raise bad_request(f"message is required when method is {method}: give libraryId and messageId, "
                              "or messageText")
        if parent_id is None:
            raise bad_request(f"parentDistributionId is required when method is {method}")
        if not isinstance(parent_id, str):
            raise bad_request("parentDistributionId must be a string")
        parent = call.brand.distributions.get(parent_id)
        if parent is None or not parent.live or parent.channel != "sms":
            raise not_found("SMS distribution", parent_id)
        if parent.survey_id != survey.id:
            raise bad_request(f"parentDistributionId {parent_id} belongs to another survey")
        target = dict(parent.recipients)
    stored_message: dict[str, Any] = {"libraryId": None, "messageId": None, "messageText": None}
    text = ""
    if given_message is not None:
        stored_message, text = distributions.message(call, validation.obj(body, "message") or {})
        if len(text) > TEXT_MAX:
            raise bad_request(f"message text is longer than {TEXT_MAX:,} characters")
    now = call.now
    distribution = Distribution(
        id=call.state.ids.make("SMSD"), channel="sms", request_type=method, owner_id=call.user.id,
        survey_id=survey.id, send_date=send_date, created=now, modified=now,
        parent_id=parent.id if parent else None, recipients=target, message=stored_message, name=name,
        link_expiration=expiration, message_text=text,
    )
    call.brand.distributions[distribution.id] = distribution
    webhooks.distribution_created(call.state, call.brand, distribution)
    call.state.catch_up(call.brand)
    return render(call, distribution)


@table.get("/distributions/sms", limit="sms_distributions")
def list_sms(call: ApiCall) -> dict[str, Any]:
    survey_id = distributions.require_survey_query(call)
    chosen = [d for d in call.brand.distributions.values()
              if d.live and d.channel == "sms" and d.survey_id == survey_id]
    return paging.skip_page(call, chosen, lambda d: render(call, d))


@table.get("/distributions/sms/{smsDistributionId}", limit="sms_distributions")
def get_sms(call: ApiCall) -> dict[str, Any]:
    distribution = lookups.distribution(call, "sms", call.params["smsDistributionId"])
    survey_id = distributions.require_survey_query(call)
    if distribution.survey_id != survey_id:
        raise not_found("SMS distribution", distribution.id)
    return render(call, distribution)


@table.delete("/distributions/sms/{smsDistributionId}", limit="sms_distributions")
def delete_sms(call: ApiCall) -> None:
    distribution = lookups.distribution(call, "sms", call.params["smsDistributionId"])
    if distribution.sent:
        distribution.deleted = True
    else:
        distribution.canceled = True
    distribution.modified = call.now
