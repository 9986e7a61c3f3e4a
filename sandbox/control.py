"""Sandbox-only control routes under /_sandbox/ (no token, plain JSON): inspect and steer the sandbox."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import contacts, dates, responses, seed, sending, webhooks
from .envelope import ApiError, bad_request, not_found
from .records import Brand, Distribution

if TYPE_CHECKING:
    from .app import Reply, Request
    from .state import State

Handler = Callable[["State", dict[str, str], dict[str, Any], str], Any]
ROUTES: dict[tuple[str, str], Handler] = {}
BULK_MAX = 100_000


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[(method, path)] = handler
        return handler

    return register


def handle(state: State, request: Request) -> Reply:
    from .app import json_reply

    handler = ROUTES.get((request.method, request.path.rstrip("/")))
    if handler is None:
        known = ", ".join(f"{m} {p}" for m, p in sorted(ROUTES, key=lambda k: (k[1], k[0])))
        return json_reply(404, {"error": f"No sandbox control route {request.method} {request.path}",
                                "routes": known})
    try:
        body: Any = json.loads(request.body) if request.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return json_reply(400, {"error": "The request body is not valid JSON"})
    if not isinstance(body, dict):
        return json_reply(400, {"error": "The request body must be a JSON object"})
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    try:
        return json_reply(200, handler(state, query, body, request.root))
    except ApiError as error:
        return json_reply(error.status, {"error": error.message})


# --- overview ---------------------------------------------------------------------------------------
def info(state: State, root: str) -> dict[str, Any]:
    with state.lock:
        return {
            "rootUrl": root,
            "baseUrl": f"{root}/API/v3",
            "baseUrlTemplate": f"{root}/{{datacenter}}/API/v3",
            "seed": state.seed_name,
            "clock": dates.iso(state.now()),
            "config": dict(state.config),
            "brands": [_brand_info(state, brand) for brand in state.brands.values()],
        }


def _brand_info(state: State, brand: Brand) -> dict[str, Any]:
    directories = list(brand.directories.values())
    live = [d for d in brand.distributions.values() if d.live]
    return {
        "brandId": brand.id,
        "name": brand.name,
        "datacenter": brand.datacenter,
        "organizationId": brand.id,
        "directoryIds": [d.id for d in directories],
        "defaultDirectoryId": directories[0].id if directories else None,
        "tokens": state.token_rows(brand),
        "oauthClients": state.oauth.rows(brand),
        "workflows": state.workflows.rows(brand),
        "mailingLists": [
            {"id": m.id, "name": m.name, "directoryId": d.id, "ownerId": m.owner_id, "contactCount": len(m.members)}
            for d in directories for m in d.lists.values()
        ],
        "surveys": [{"id": s.id, "name": s.name, "isActive": s.is_active} for s in brand.surveys.values()],
        "libraries": [
            {"id": library_id, "messageCount": len(messages)} for library_id, messages in brand.library_messages.items()
        ],
        "userTypes": dict(brand.user_types),
        "groupTypes": dict(brand.group_types),
        "divisions": dict(brand.divisions),
        "counts": {
            "contacts": sum(len(d.contacts) for d in directories),
            "mailingLists": sum(len(d.lists) for d in directories),
            "users": len(brand.users),
            "groups": len(brand.groups),
            "surveys": len(brand.surveys),
            "responses": sum(len(s.responses) for s in brand.surveys.values()),
            "messages": sum(len(m) for m in brand.library_messages.values()),
            "distributions": sum(d.channel == "email" for d in live),
            "smsDistributions": sum(d.channel == "sms" for d in live),
            "eventSubscriptions": len(brand.subscriptions),
        },
    }


@route("GET", "/_sandbox/info")
def _info(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    return info(state, root)


# --- settings, tokens, clock and stalls ---------------------------------------------------------
@route("POST", "/_sandbox/reset")
def _reset(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    name = body.get("seed", "demo")
    if name not in seed.SEEDS:
        raise bad_request(f"seed must be one of {', '.join(seed.SEEDS)}")
    state.reset(name)
    return info(state, root)


@route("GET", "/_sandbox/config")
def _get_config(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        return dict(state.config)


@route("POST", "/_sandbox/config")
def _set_config(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    return state.configure(body)


@route("POST", "/_sandbox/tokens")
def _add_token(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    if not isinstance(body.get("brandId"), str):
        raise bad_request("brandId is required")
    admin = body.get("admin", True)
    if not isinstance(admin, bool):
        raise bad_request("admin must be true or false")
    return state.add_token(body["brandId"], body.get("token"), admin=admin)


@route("POST", "/_sandbox/tokens/revoke")
def _revoke_token(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    if not isinstance(body.get("token"), str):
        raise bad_request("token is required")
    if not state.revoke_token(body["token"]):
        raise not_found("token", "(given)")
    return {"revoked": True}


@route("GET", "/_sandbox/clock")
def _get_clock(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    return {"now": dates.iso(state.now()), "offsetSeconds": state.clock_offset}


@route("POST", "/_sandbox/clock")
def _advance_clock(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    seconds = body.get("advanceSeconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise bad_request("advanceSeconds must be a non-negative number")
    now = state.advance_clock(float(seconds))
    return {"now": dates.iso(now), "offsetSeconds": state.clock_offset}


@route("POST", "/_sandbox/stall")
def _stall(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    if body.get("clear"):
        state.clear_stalls()
        return {"stalls": []}
    path = body.get("path_contains")
    seconds = body.get("seconds")
    if not isinstance(path, str) or not path:
        raise bad_request("path_contains is required")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise bad_request("seconds must be a non-negative number")
    if seconds == 0:
        state.clear_stalls(path)
    else:
        count = body.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise bad_request("count must be a positive whole number")
        when = body.get("when", "before")
        if when not in ("before", "after"):
            raise bad_request("when must be before or after")
        method = body.get("method")
        state.add_stall({"path_contains": path, "seconds": float(seconds), "remaining": count, "when": when,
                         "method": method.upper() if isinstance(method, str) else None})
    with state.lock:
        return {"stalls": [dict(rule) for rule in state.stalls]}


# --- responses and webhooks -------------------------------------------------------------------------
@route("POST", "/_sandbox/responses")
def _complete_response(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Record a response (completed unless `finished` is false), update the distribution it came from and
    deliver webhooks; the answer reports the first attempt of each delivery."""
    survey_id = body.get("surveyId")
    if not isinstance(survey_id, str):
        raise bad_request("surveyId is required")
    finished = body.get("finished", True)
    if not isinstance(finished, bool):
        raise bad_request("finished must be true or false")
    distribution_id = body.get("distributionId")
    lookup_id = body.get("contactLookupId")
    with state.lock:
        brand = next((b for b in state.brands.values() if survey_id in b.surveys), None)
        if brand is None:
            raise not_found("survey", survey_id)
        state.catch_up(brand)
        survey = brand.surveys[survey_id]
        distribution = entry = contact = None
        if distribution_id is not None:
            distribution = brand.distributions.get(distribution_id)
            if distribution is None or not distribution.live:
                raise not_found("distribution", distribution_id)
            if distribution.survey_id != survey.id:
                raise bad_request(f"Distribution {distribution_id} is for another survey")
            if lookup_id is not None:
                entry = distribution.entry_for(lookup_id)
                if entry is None:
                    raise bad_request(f"{lookup_id} is not a recipient of {distribution_id}"
                                      + ("" if distribution.sent else " (it has not been sent yet)"))
                if entry.status == "SurveyFinished":
                    raise bad_request(f"{lookup_id} already finished with response {entry.response_id}")
                if not finished:
                    raise bad_request("A partial response cannot finish a distribution's recipient; leave out "
                                      "distributionId and contactLookupId, or send finished: true")
        if lookup_id is not None:
            contact = _contact_by_lookup(brand, lookup_id)
            if contact is None:
                raise not_found("contact lookup", lookup_id)
        channel = "anonymous"
        if distribution is not None:
            channel = "smsinvite" if distribution.channel == "sms" else "email"
        response = responses.record(
            survey, state.ids, finished=state.now(), rng=random.Random(), contact=contact, lookup_id=lookup_id,
            distribution_id=distribution_id, channel=channel,
        )
        if not finished:
            _mark_partial(response, random.Random())
        if distribution is not None and entry is not None:
            sending.complete(brand, distribution, entry, response)
        deliveries = webhooks.response_recorded(state, survey.id, response, finished)
        timeout = float(state.config["webhook_timeout"])
    webhooks.wait(deliveries, timeout + 1)
    return {
        "responseId": response.id,
        "surveyId": survey.id,
        "brandId": brand.id,
        "distributionId": distribution_id,
        "contactLookupId": lookup_id,
        "completedDate": dates.plain(response.recorded),
        "finished": finished,
        "deliveries": [webhooks.as_row(d) for d in deliveries],
    }


@route("POST", "/_sandbox/bulk-responses")
def _bulk_responses(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Record many synthetic responses to a survey at once (benchmarks), spread over the last `days` days; no
    webhooks, no distributions."""
    survey_id = body.get("surveyId")
    count = body.get("count")
    if not isinstance(survey_id, str):
        raise bad_request("surveyId is required")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= BULK_MAX:
        raise bad_request(f"count must be a whole number from 1 to {BULK_MAX:,}")
    days = body.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:
        raise bad_request("days must be a positive number")
    rng = random.Random(body.get("seed", 7))
    with state.lock:
        brand = next((b for b in state.brands.values() if survey_id in b.surveys), None)
        if brand is None:
            raise not_found("survey", survey_id)
        survey = brand.surveys[survey_id]
        now = state.now()
        step = float(days) * 86400 / count
        for number in range(count):
            finished = now - timedelta(seconds=float(days) * 86400 - step * number)
            responses.record(survey, state.ids, finished=finished, rng=rng)
        return {"recorded": count, "surveyId": survey_id, "responseCount": len(survey.responses)}


@route("GET", "/_sandbox/webhook-deliveries")
def _webhook_deliveries(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Every delivery attempt, oldest first, and how many deliveries still wait for an attempt."""
    with state.lock:
        rows = [dict(row) for row in state.deliveries.log
                if query.get("subscriptionId") in (None, "", row["subscriptionId"])]
    return {"count": len(rows), "attempts": rows, "pending": state.deliveries.pending()}


@route("DELETE", "/_sandbox/webhook-deliveries")
def _clear_webhook_deliveries(state: State, query: dict[str, str], body: dict[str, Any],
                              root: str) -> dict[str, Any]:
    """Forget the attempts made and drop the retries still waiting."""
    state.deliveries.clear()
    return {"count": 0, "attempts": [], "pending": 0}


def _mark_partial(response: Any, rng: random.Random) -> None:
    """A respondent who left part-way: recorded as not finished, with the progress reached."""
    response.values["finished"] = 0
    response.values["progress"] = rng.randint(10, 90)
    response.labels["finished"] = "False"


def _contact_by_lookup(brand: Brand, lookup_id: str) -> Any:
    for directory in brand.directories.values():
        for mailing_list in directory.lists.values():
            membership = mailing_list.member_by_lookup(lookup_id)
            if membership is not None:
                return directory.contacts.get(membership.contact_id)
    return None


# --- what happened ----------------------------------------------------------------------------------
@route("GET", "/_sandbox/calls")
def _calls(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    method = query.get("method", "").upper()
    path = query.get("path_contains", "")
    with state.lock:
        chosen = [c for c in state.calls if (not method or c["method"] == method) and path in c["path"]]
    return {"count": len(chosen), "calls": chosen}


@route("DELETE", "/_sandbox/calls")
def _clear_calls(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        state.calls.clear()
    return {"count": 0, "calls": []}


def _distribution_row(brand: Brand, distribution: Distribution) -> dict[str, Any]:
    if distribution.deleted:
        status = "deleted"
    elif distribution.canceled:
        status = "canceled"
    else:
        status = "sent" if distribution.sent else "pending"
    stats = sending.sms_stats(distribution) if distribution.channel == "sms" else sending.email_stats(distribution)
    return {
        "brandId": brand.id,
        "id": distribution.id,
        "channel": distribution.channel,
        "requestType": distribution.request_type,
        "surveyId": distribution.survey_id,
        "parentDistributionId": distribution.parent_id,
        "ownerId": distribution.owner_id,
        "status": status,
        "sendDate": dates.iso(distribution.send_date),
        "createdDate": dates.iso(distribution.created),
        "recipients": dict(distribution.recipients),
        "embeddedData": dict(distribution.embedded),
        "recipientCount": len(distribution.history),
        "stats": stats,
    }


@route("GET", "/_sandbox/distributions")
def _distributions(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    rows = []
    with state.lock:
        for brand in state.brands.values():
            if query.get("brandId") and brand.id != query["brandId"]:
                continue
            state.catch_up(brand)
            for distribution in sorted(brand.distributions.values(), key=lambda d: d.created):
                if query.get("surveyId") and distribution.survey_id != query["surveyId"]:
                    continue
                rows.append(_distribution_row(brand, distribution))
    return {"count": len(rows), "distributions": rows}


@route("POST", "/_sandbox/contacts")
def _bulk_contacts(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Add many synthetic contacts at once (benchmarks, paging tests); optionally to a mailing list."""
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= BULK_MAX:
        raise bad_request(f"count must be a whole number from 1 to {BULK_MAX:,}")
    with state.lock:
        brand = state.brands.get(body.get("brandId", seed.PRIMARY_BRAND))
        if brand is None:
            raise not_found("brand", body.get("brandId"))
        list_id = body.get("mailingListId")
        found = brand.find_list(list_id) if list_id else None
        if list_id and found is None:
            raise not_found("mailing list", list_id)
        directory = found[0] if found else brand.default_directory()
        if directory is None:
            raise bad_request(f"Brand {brand.id} has no directory")
        now = state.now()
        start = len(directory.contacts)
        for number in range(start, start + count):
            contact = contacts.create(directory, state.ids, {
                "firstName": "Bulk", "lastName": f"Contact {number}", "email": f"bulk.{number}@example.com",
                "extRef": f"BULK-{number}", "language": "en", "embeddedData": {"Source": "bulk"},
            }, now)
            if found:
                contacts.join(found[1], contact, state.ids, now)
        return {"created": count, "directoryId": directory.id, "contactCount": len(directory.contacts)}
