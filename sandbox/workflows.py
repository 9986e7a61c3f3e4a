"""Workflows started by a JSON event: the inbound-event URLs a workflow's trigger gives out.

Two URL forms reach the same trigger (the path's `json` may be written `JSON` in either):

    POST /inbound-event/v1/events/json/triggers?urlTokenId=<uuid>
    POST /inbound-event/v1/events/JSON/triggers?contextId=OC_...&userId=UR_...&brandId=<brand>&triggerId=OC_...

The body is any JSON document up to 100 KB. When the trigger requires authentication the caller sends
`X-API-TOKEN`, or HTTP Basic with the user name and the API token (`username:token`); OAuth tokens are not
accepted. The answer is the usual envelope with `meta` only. Each event is recorded with the fields the trigger
picks out of it by JSONPath; `GET /_sandbox/workflow-events` shows them.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import sys
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from . import control, dates
from .envelope import BAD_TOKEN, ApiError, bad_request, envelope, forbidden, missing_param, not_found
from .ids import IdFactory
from .ids import request_id as new_request_id
from .records import Brand

if TYPE_CHECKING:
    from .app import Reply, Request, SandboxApp
    from .state import State

INBOUND_PATH = re.compile(
    r"^(?:/(?P<dc>[a-z]{2,4}[0-9]{1,2}))?/inbound-event/v1/events/(?P<form>json|JSON)/triggers/?$"
)
MAX_BODY = 100 * 1024
MAX_FIELDS = 10
EVENT_LOG_SIZE = 10_000
LEGACY_PARAMS = ("contextId", "userId", "brandId", "triggerId")
UNKNOWN_WORKFLOW = "WF_404"  # a stand-in: the code Qualtrics sends here is not documented

_PATH_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


@dataclass
class Workflow:
    id: str
    brand_id: str
    owner_id: str
    name: str
    trigger_id: str
    url_token_id: str
    require_auth: bool
    # Field name -> JSONPath into the event body, e.g. {"ticketId": "$.ticket.id"}.
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Registry:
    workflows: dict[str, Workflow] = field(default_factory=dict)
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=EVENT_LOG_SIZE))

    @classmethod
    def seeded(cls, seed_name: str, brands: dict[str, Brand]) -> Registry:
        registry = cls()
        if seed_name != "demo":
            return registry
        specs = {
            "acme": (
                ("Support ticket closed: send the follow-up survey", True,
                 {"ticketId": "$.ticket.id", "email": "$.customer.email", "priority": "$.ticket.priority"}),
                ("Web shop order: add the buyer to the next pulse", False,
                 {"orderId": "$.orderId", "email": "$.buyer.email", "total": "$.total"}),
            ),
            "globex": (
                ("Service call finished", True, {"callId": "$.callId"}),
            ),
        }
        for brand_id, workflows in specs.items():
            brand = brands.get(brand_id)
            owner = next((u for u in brand.users.values() if u.is_admin), None) if brand else None
            if brand is None or owner is None:
                continue
            rng = random.Random(f"{brand_id}-workflows")
            ids = IdFactory(rng)
            for name, require_auth, fields in workflows:
                workflow_id = ids.make("OC")
                # The trigger shares the workflow's ID, as in the trigger URLs Qualtrics gives out.
                registry.add(Workflow(workflow_id, brand.id, owner.id, name, workflow_id, ids.uuid(), require_auth,
                                      dict(fields)))
        return registry

    def add(self, workflow: Workflow) -> Workflow:
        self.workflows[workflow.id] = workflow
        return workflow

    def rows(self, brand: Brand) -> list[dict[str, Any]]:
        return [_row(w, None) for w in self.workflows.values() if w.brand_id == brand.id]


def _row(workflow: Workflow, root: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"id": workflow.id, "name": workflow.name, "brandId": workflow.brand_id,
                           "ownerId": workflow.owner_id, "triggerId": workflow.trigger_id,
                           "urlTokenId": workflow.url_token_id, "requireAuthentication": workflow.require_auth,
                           "fields": dict(workflow.fields)}
    if root is not None:
        base = f"{root}/inbound-event/v1/events"
        row["eventUrl"] = f"{base}/json/triggers?{urlencode({'urlTokenId': workflow.url_token_id})}"
        row["legacyEventUrl"] = f"{base}/JSON/triggers?" + urlencode({
            "contextId": workflow.id, "userId": workflow.owner_id, "brandId": workflow.brand_id,
            "triggerId": workflow.trigger_id,
        })
    return row


def pick(document: Any, path: str) -> Any:
    """The value at a simple JSONPath (`$.a.b`, `$.items[0].id`, `$['a b']`), or None."""
    if not path.startswith("$"):
        return None
    position, value = 1, document
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if step is None:
            return None
        name, index, quoted, double = step.groups()
        key = name if name is not None else quoted if quoted is not None else double
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return None
        position = step.end()
    return value


# --- the inbound endpoint ---------------------------------------------------------------------------
def inbound_event(app: SandboxApp, request: Request) -> Reply:
    from .app import json_reply

    state = app.state
    rid = new_request_id()
    with state.lock:
        brand_id = None
        logged: Any = None
        try:
            if request.method != "POST":
                raise ApiError(405, f"API call does not exist: {request.method} {request.path}", None)
            query = dict(parse_qsl(request.query_string, keep_blank_values=True))
            workflow, url_form = _workflow(state, query)
            brand_id = workflow.brand_id
            brand = state.brands[workflow.brand_id]
            app.check_rates(brand.id, None)
            auth, user_id = _authenticate(app, request, workflow, brand)
            if len(request.body) > MAX_BODY:
                raise ApiError(413, f"The event body is larger than {MAX_BODY // 1024} KB", None)
            try:
                document = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                raise bad_request("The event body is not valid JSON") from None
            logged = document
            state.workflows.events.append({
                "eventId": rid,
                "workflowId": workflow.id,
                "triggerId": workflow.trigger_id,
                "brandId": brand.id,
                "receivedAt": dates.iso(state.now()),
                "urlForm": url_form,
                "authentication": auth,
                "userId": user_id,
                "contentType": request.headers.get("Content-Type"),
                "body": document,
                "fields": {name: pick(document, path) for name, path in workflow.fields.items()},
            })
            reply = json_reply(200, envelope(200, rid))
        except ApiError as error:
            reply = json_reply(error.status, envelope(error.status, rid, error=error.error_body()), error.headers)
        except Exception:  # an unexpected fault answers like a server error, and is printed
            traceback.print_exc(file=sys.stderr)
            error = ApiError(500, "An internal error occurred. Please try again.", "GS_1")
            reply = json_reply(500, envelope(500, rid, error=error.error_body()))
        state.log_call({"method": request.method, "path": request.path, "query": request.query_string,
                        "status": reply.status, "requestId": rid, "time": dates.iso(state.now()),
                        "brandId": brand_id, "body": logged, "stalled": None})
    return reply


def _unknown(state: State, what: str) -> ApiError:
    status = int(state.config["workflow_unknown_status"])
    return ApiError(status, f"Could not find a JSON event trigger for {what}.", UNKNOWN_WORKFLOW)


def _workflow(state: State, query: dict[str, str]) -> tuple[Workflow, str]:
    token_id = query.get("urlTokenId")
    if token_id is not None:
        found = next((w for w in state.workflows.workflows.values() if w.url_token_id == token_id), None)
        if found is None:
            raise _unknown(state, f"urlTokenId {token_id}")
        return found, "urlTokenId"
    if not any(name in query for name in LEGACY_PARAMS):
        raise missing_param("urlTokenId")
    for name in LEGACY_PARAMS:
        if not query.get(name):
            raise missing_param(name)
    found = state.workflows.workflows.get(query["contextId"])
    if (found is None or found.trigger_id != query["triggerId"] or found.brand_id != query["brandId"]
            or found.owner_id != query["userId"]):
        raise _unknown(state, f"contextId {query['contextId']} and triggerId {query['triggerId']}")
    return found, "legacy"


def _authenticate(app: SandboxApp, request: Request, workflow: Workflow, brand: Brand) -> tuple[str | None, str | None]:
    """How the caller authenticated and as whom; (None, None) when the trigger does not ask."""
    if not workflow.require_auth:
        return None, None
    token = (request.headers.get("X-API-TOKEN") or "").strip()
    scheme, _, credentials = (request.headers.get("Authorization") or "").strip().partition(" ")
    method = "X-API-TOKEN"
    username = None
    if not token and scheme.lower() == "basic":
        method = "Basic"
        try:
            username, _, token = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "The Basic credentials are not valid base64 of username:token.", BAD_TOKEN) from None
    elif not token and scheme.lower() == "bearer":
        raise ApiError(401, "JSON event triggers do not accept OAuth access tokens; send X-API-TOKEN or Basic "
                            "username:token.", BAD_TOKEN)
    caller_brand, user = app.authenticate(token)
    if username is not None and username not in (user.username, f"{user.username}#{caller_brand.id}"):
        raise ApiError(401, "The user name does not belong to the API token.", BAD_TOKEN)
    if caller_brand.id != brand.id:
        raise forbidden("The API token belongs to another brand than the workflow.")
    return method, user.id


# --- control routes ---------------------------------------------------------------------------------
@control.route("GET", "/_sandbox/workflows")
def _list_workflows(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        rows = [_row(w, root) for w in state.workflows.workflows.values()
                if query.get("brandId") in (None, "", w.brand_id)]
    return {"count": len(rows), "workflows": rows}


@control.route("POST", "/_sandbox/workflows")
def _create_workflow(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Body: brandId, name; optional requireAuthentication (default true), fields ({name: JSONPath}), userId."""
    with state.lock:
        brand = state.brands.get(body.get("brandId", ""))
        if brand is None:
            raise bad_request("brandId must name a brand")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("name is required")
        require_auth = body.get("requireAuthentication", True)
        if not isinstance(require_auth, bool):
            raise bad_request("requireAuthentication must be true or false")
        fields = body.get("fields", {})
        if (not isinstance(fields, dict) or len(fields) > MAX_FIELDS
                or not all(isinstance(p, str) and p.startswith("$") for p in fields.values())):
            raise bad_request(f"fields must be an object of at most {MAX_FIELDS} names to JSONPaths ($...)")
        if body.get("userId") is not None:
            owner = brand.users.get(body["userId"])
            if owner is None:
                raise not_found("user", body["userId"])
        else:
            owner = next((u for u in brand.users.values() if u.is_admin), None)
            if owner is None:
                raise bad_request(f"Brand {brand.id} has no administrator to own the workflow")
        workflow_id = state.ids.make("OC")
        workflow = state.workflows.add(Workflow(workflow_id, brand.id, owner.id, name.strip(), workflow_id,
                                                str(uuid.uuid4()), require_auth, dict(fields)))
        return _row(workflow, root)


@control.route("GET", "/_sandbox/workflow-events")
def _list_events(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        rows = [dict(event) for event in state.workflows.events
                if query.get("workflowId") in (None, "", event["workflowId"])
                and query.get("brandId") in (None, "", event["brandId"])]
    return {"count": len(rows), "events": rows}


@control.route("DELETE", "/_sandbox/workflow-events")
def _clear_events(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        state.workflows.events.clear()
    return {"count": 0, "events": []}
