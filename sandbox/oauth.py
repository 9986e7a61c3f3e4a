"""OAuth 2 client credentials: clients, the token endpoint, and the scope check of calls with a bearer token.

`POST /oauth2/token` with HTTP Basic `clientId:clientSecret` and the form body
`grant_type=client_credentials&scope=<space-separated scopes>` answers
`{"access_token", "token_type": "Bearer", "expires_in", "scope"}`. API calls then send
`Authorization: Bearer <access_token>` and run as the user who owns the client, limited to the scopes granted:
each route family needs `read:<family>` (GET) or `write:<family>` (other methods), and `manage:<family>` or
`manage:all` cover both. A client may only be granted the scopes it was created with.

A bad client, or an unknown, expired or revoked access token, is answered 401 `AUTH_6.0` "invalid_client" (the
error Qualtrics' survey API documents and clients check for to fetch a new token). How a call outside the
token's scopes is refused is not documented: the `oauth_missing_scope_status` switch picks 403 or 401.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hmac
import json
import random
import re
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import control, dates
from .envelope import FORBIDDEN, ApiError, bad_request, envelope, not_found
from .ids import IdFactory
from .ids import request_id as new_request_id
from .records import Brand, User

if TYPE_CHECKING:
    from .app import Reply, Request
    from .state import State

TOKEN_PATH = re.compile(r"^(?:/(?P<dc>[a-z]{2,4}[0-9]{1,2}))?/(?:oauth2/token|api/oauth/token)/?$")

INVALID_CLIENT = "AUTH_6.0"
# Stand-ins in the same style: the codes of these token-endpoint refusals are not documented.
INVALID_REQUEST = "AUTH_6.1"
INVALID_SCOPE = "AUTH_6.2"
UNSUPPORTED_GRANT = "AUTH_6.3"

# The scope names a client may ask for, as one client library lists them.
_READ = ("activity_logs contact_frequency_rules contact_transactions directories directory_contacts distributions "
         "divisions groups imported_data_projects libraries mailing_list_contacts mailing_lists organizations "
         "participants samples subscriptions survey_responses survey_sessions surveys users")
_WRITE = ("automations contact_frequency_rules contact_transactions directory_contacts distributions divisions "
          "embedded_dashboards embedded_xid_profile_cards groups imported_data_projects libraries "
          "mailing_list_contacts mailing_lists participants samples subscriptions survey_responses survey_sessions "
          "surveys users")
_MANAGE = ("activity_logs all contact_frequency_rules contact_transactions customer_data_requests directories "
           "directory_contacts distributions divisions erasure_requests groups libraries mailing_list_contacts "
           "mailing_lists organizations participants samples subscriptions survey_responses survey_sessions surveys")
SCOPES = frozenset(
    f"{action}:{name}" for action, names in (("read", _READ), ("write", _WRITE), ("manage", _MANAGE))
    for name in names.split()
)

# Route family of each API path pattern, first match wins; None needs no scope. A pattern that matches nothing
# needs `manage:all`.
FAMILIES: tuple[tuple[re.Pattern[str], str | None], ...] = tuple((re.compile(rule), family) for rule, family in (
    (r"^/whoami$", None),
    (r"^/users(/|$)", "users"),
    (r"^/groups(/|$)", "groups"),
    (r"^/divisions(/|$)", "divisions"),
    (r"^/organizations(/|$)", "organizations"),
    (r"^/libraries(/|$)", "libraries"),
    (r"^/eventsubscriptions(/|$)", "subscriptions"),
    (r"^/distributions(/|$)", "distributions"),
    (r"^/samples(/|$)", "samples"),
    (r"^/directories/[^/]+/mailinglists/[^/]+/transactioncontacts(/|$)", "contact_transactions"),
    (r"^/directories/[^/]+/(transactionbatches|transactions)(/|$)", "contact_transactions"),
    (r"^/directories/[^/]+/contacts/[^/]+/transactions$", "contact_transactions"),
    (r"^/directories/[^/]+/samples(/|$)", "samples"),
    (r"^/directories/[^/]+/mailinglists/[^/]+/(contacts|bouncedContacts|optedOutContacts)(/|$)",
     "mailing_list_contacts"),
    (r"^/directories/[^/]+/mailinglists(/|$)", "mailing_lists"),
    (r"^/directories/[^/]+/(contacts|export-contacts)(/|$)", "directory_contacts"),
    (r"^/directories(/|$)", "directories"),
    (r"^/surveys/[^/]+/(export-responses|responses|import-responses|update-responses)(/|$)", "survey_responses"),
    (r"^/responses(/|$)", "survey_responses"),
    (r"^/(surveys|survey-definitions)(/|$)", "surveys"),
))
# POST routes that only read (searching, starting an export).
_READING_POST = re.compile(r"/(search|export-responses|export-contacts)$")


@dataclass
class Client:
    id: str
    secret: str
    brand_id: str
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created: datetime
    revoked: bool = False

    def may_grant(self, scope: str) -> bool:
        if scope in self.scopes or "manage:all" in self.scopes:
            return True
        action, _, family = scope.partition(":")
        return action in ("read", "write") and f"manage:{family}" in self.scopes


@dataclass
class Grant:
    """An access token issued to a client."""

    token: str
    client_id: str
    brand_id: str
    user_id: str
    scopes: tuple[str, ...]
    issued: datetime
    expires: datetime
    datacenter: str
    revoked: bool = False


@dataclass
class Registry:
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)

    @classmethod
    def seeded(cls, brands: dict[str, Brand]) -> Registry:
        """One client per brand, owned by its first brand administrator, allowed every scope; the same each start."""
        registry = cls()
        for brand in brands.values():
            owner = next((u for u in brand.users.values() if u.is_admin and u.account_status == "active"), None)
            if owner is not None:
                ids = IdFactory(random.Random(f"{brand.id}-oauth"))
                registry.add_client(brand, owner, ("manage:all",), "Sandbox integration", ids, owner.created)
        return registry

    def add_client(self, brand: Brand, owner: User, scopes: tuple[str, ...], name: str, ids: IdFactory,
                   now: datetime, client_id: str | None = None, secret: str | None = None) -> Client:
        client = Client(
            id=client_id or f"{ids.rng.getrandbits(128):032x}", secret=secret or ids.chars(64), brand_id=brand.id,
            user_id=owner.id, name=name, scopes=scopes, created=now,
        )
        self.clients[client.id] = client
        return client

    def rows(self, brand: Brand) -> list[dict[str, Any]]:
        return [client_row(brand, c) for c in self.clients.values() if c.brand_id == brand.id]


def client_row(brand: Brand, client: Client) -> dict[str, Any]:
    owner = brand.users.get(client.user_id)
    return {"clientId": client.id, "clientSecret": client.secret, "name": client.name, "userId": client.user_id,
            "userName": owner.username if owner else None, "scopes": list(client.scopes), "revoked": client.revoked}


def grant_row(state: State, grant: Grant) -> dict[str, Any]:
    return {"accessToken": grant.token, "clientId": grant.client_id, "brandId": grant.brand_id,
            "userId": grant.user_id, "scopes": list(grant.scopes), "issued": dates.iso(grant.issued),
            "expires": dates.iso(grant.expires), "expired": grant.expires <= state.now(), "revoked": grant.revoked,
            "datacenter": grant.datacenter}


# --- calls with a bearer token ----------------------------------------------------------------------
def bearer_token(request: Request) -> str | None:
    scheme, _, value = (request.headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _invalid_client() -> ApiError:
    return ApiError(401, "invalid_client", INVALID_CLIENT)


def authenticate(state: State, token: str, datacenter: str | None) -> tuple[Brand, User, Grant]:
    """The brand, user and grant behind a bearer token; 401 when it is unknown, expired or revoked."""
    grant = state.oauth.grants.get(token)
    if grant is None or grant.revoked or grant.expires <= state.now():
        raise _invalid_client()
    client = state.oauth.clients.get(grant.client_id)
    brand = state.brands.get(grant.brand_id)
    user = brand.users.get(grant.user_id) if brand else None
    if client is None or client.revoked or brand is None or user is None or user.account_status != "active":
        raise _invalid_client()
    # A token works only on the datacenter that issued it.
    if datacenter and datacenter != grant.datacenter:
        raise _invalid_client()
    return brand, user, grant


def required_scopes(method: str, pattern: str) -> tuple[str, ...]:
    """The scopes of which a token needs one to make this call (empty: none needed)."""
    for rule, family in FAMILIES:  # noqa: B007 - the matching family is used below
        if rule.search(pattern):
            break
    else:
        return ("manage:all",)
    if family is None:
        return ()
    reading = method == "GET" or (method == "POST" and bool(_READING_POST.search(pattern)))
    wanted = f"{'read' if reading else 'write'}:{family}"
    return tuple(scope for scope in (wanted, f"manage:{family}", "manage:all") if scope in SCOPES)


def check_scope(state: State, grant: Grant, method: str, pattern: str) -> None:
    needed = required_scopes(method, pattern)
    if not needed or any(scope in grant.scopes for scope in needed):
        return
    message = f"The access token does not grant the scope this call needs: {' or '.join(needed)}"
    if state.config["oauth_missing_scope_status"] == 401:
        raise ApiError(401, message, INVALID_CLIENT)
    raise ApiError(403, message, FORBIDDEN)


# --- the token endpoint -----------------------------------------------------------------------------
def token_endpoint(state: State, request: Request) -> Reply:
    from .app import Reply, json_reply

    rid = new_request_id()
    found = TOKEN_PATH.match(request.path)
    assert found is not None
    with state.lock:
        brand_id = None
        try:
            if request.method != "POST":
                raise ApiError(405, f"Use POST for {request.path}", INVALID_REQUEST)
            form = _form(request)
            client = _client(state, request, form)
            brand_id = client.brand_id
            grant = _issue(state, client, form, found.group("dc"))
            payload: dict[str, Any] = {"access_token": grant.token, "token_type": "Bearer",
                                       "expires_in": int(state.config["oauth_token_seconds"]),
                                       "scope": " ".join(grant.scopes)}
            reply = Reply(200, json.dumps(payload).encode(), headers={"Cache-Control": "no-store"})
        except ApiError as error:
            reply = json_reply(error.status, envelope(error.status, rid, error=error.error_body()), error.headers)
        except Exception:  # an unexpected fault answers like a server error, and is printed
            traceback.print_exc(file=sys.stderr)
            error = ApiError(500, "An internal error occurred. Please try again.", "GS_1")
            reply = json_reply(500, envelope(500, rid, error=error.error_body()))
        # The log never holds the client secret.
        state.log_call({"method": request.method, "path": request.path, "query": request.query_string,
                        "status": reply.status, "requestId": rid, "time": dates.iso(state.now()),
                        "brandId": brand_id, "body": None, "stalled": None})
    return reply


def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
        )
        form = {}
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            if name:
                form[str(name)] = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        return form
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_request", INVALID_REQUEST) from None
    return dict(parse_qsl(text, keep_blank_values=True))


def _client(state: State, request: Request, form: dict[str, str]) -> Client:
    """The client named by HTTP Basic credentials (or client_id/client_secret form fields)."""
    scheme, _, encoded = (request.headers.get("Authorization") or "").strip().partition(" ")
    client_id = secret = None
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _invalid_client() from None
    elif "client_id" in form:
        client_id, secret = form.get("client_id"), form.get("client_secret", "")
    client = state.oauth.clients.get(client_id or "")
    if client is None or client.revoked or not hmac.compare_digest(client.secret.encode(), (secret or "").encode()):
        raise _invalid_client()
    brand = state.brands.get(client.brand_id)
    owner = brand.users.get(client.user_id) if brand else None
    if owner is None or owner.account_status != "active":
        raise _invalid_client()
    return client


def _issue(state: State, client: Client, form: dict[str, str], datacenter: str | None) -> Grant:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise ApiError(400, "invalid_request: grant_type is required", INVALID_REQUEST)
    if grant_type != "client_credentials":
        raise ApiError(400, "unsupported_grant_type", UNSUPPORTED_GRANT)
    requested = tuple(dict.fromkeys(form.get("scope", "").split()))
    if not requested:
        requested = client.scopes
    refused = [scope for scope in requested if scope not in SCOPES or not client.may_grant(scope)]
    if refused:
        raise ApiError(400, f"invalid_scope: {' '.join(refused)}", INVALID_SCOPE)
    brand = state.brands[client.brand_id]
    now = state.now()
    grant = Grant(
        token=IdFactory().chars(64), client_id=client.id, brand_id=client.brand_id, user_id=client.user_id,
        scopes=requested, issued=now, expires=now + timedelta(seconds=float(state.config["oauth_token_seconds"])),
        datacenter=datacenter or brand.datacenter,
    )
    state.oauth.grants[grant.token] = grant
    return grant


# --- control routes ---------------------------------------------------------------------------------
@control.route("GET", "/_sandbox/oauth/clients")
def _list_clients(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        rows = [row for brand in state.brands.values() if query.get("brandId") in (None, "", brand.id)
                for row in state.oauth.rows(brand)]
    return {"count": len(rows), "clients": rows, "tokenUrl": f"{root}/oauth2/token"}


@control.route("POST", "/_sandbox/oauth/clients")
def _create_client(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """Body: brandId; optional scopes (list or space-separated), admin (default true) or userId, name,
    clientId, clientSecret."""
    with state.lock:
        brand = state.brands.get(body.get("brandId", ""))
        if brand is None:
            raise bad_request("brandId must name a brand")
        scopes = body.get("scopes", "manage:all")
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
            raise bad_request("scopes must be a non-empty list of scope names")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise bad_request(f"Unknown scopes: {', '.join(unknown)}")
        owner = _owner(brand, body)
        for key in ("clientId", "clientSecret", "name"):
            if body.get(key) is not None and (not isinstance(body[key], str) or not body[key]):
                raise bad_request(f"{key} must be a non-empty string")
        if body.get("clientId") in state.oauth.clients:
            raise bad_request("That clientId is taken")
        client = state.oauth.add_client(
            brand, owner, tuple(dict.fromkeys(scopes)), body.get("name") or "Sandbox client", IdFactory(),
            state.now(), client_id=body.get("clientId"), secret=body.get("clientSecret"),
        )
        return client_row(brand, client)


def _owner(brand: Brand, body: dict[str, Any]) -> User:
    if body.get("userId") is not None:
        user = brand.users.get(body["userId"])
        if user is None:
            raise not_found("user", body["userId"])
        return user
    admin = body.get("admin", True)
    if not isinstance(admin, bool):
        raise bad_request("admin must be true or false")
    user = next((u for u in brand.users.values() if u.is_admin == admin and u.account_status == "active"), None)
    if user is None:
        raise bad_request(f"Brand {brand.id} has no active {'administrator' if admin else 'non-administrator'}")
    return user


@control.route("POST", "/_sandbox/oauth/clients/revoke")
def _revoke_client(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    """A revoked client gets no new tokens, and the tokens it holds stop working."""
    with state.lock:
        client = state.oauth.clients.get(body.get("clientId") or "")
        if client is None:
            raise not_found("OAuth client", body.get("clientId"))
        client.revoked = True
        revoked = 0
        for grant in state.oauth.grants.values():
            if grant.client_id == client.id and not grant.revoked:
                grant.revoked = True
                revoked += 1
        return {"revoked": True, "tokensRevoked": revoked}


@control.route("GET", "/_sandbox/oauth/tokens")
def _list_tokens(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        rows = [grant_row(state, g) for g in state.oauth.grants.values()
                if query.get("clientId") in (None, "", g.client_id)]
    return {"count": len(rows), "tokens": rows}


@control.route("POST", "/_sandbox/oauth/tokens/revoke")
def _revoke_token(state: State, query: dict[str, str], body: dict[str, Any], root: str) -> dict[str, Any]:
    with state.lock:
        grant = state.oauth.grants.get(body.get("accessToken") or "")
        if grant is None:
            raise not_found("access token", "(given)")
        grant.revoked = True
        return {"revoked": True}
