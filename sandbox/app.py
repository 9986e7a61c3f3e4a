"""Request handling independent of the HTTP server: API dispatch (auth, limits, faults, envelope) and the
`/_sandbox/` control routes."""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from email.message import Message as Headers
from typing import Any
from urllib.parse import parse_qsl

from . import config as settings
from . import control, dates, oauth, workflows
from .envelope import (
    BAD_TOKEN,
    MISSING_TOKEN,
    RATE_LIMITED,
    TRANSIENT_CODES,
    ApiError,
    envelope,
    forbidden,
)
from .ids import request_id as new_request_id
from .records import Brand, User
from .routes import API
from .routing import ApiCall, FileReply
from .state import State

API_PATH = re.compile(r"^(?:/(?P<dc>[a-z]{2,4}[0-9]{1,2}))?/API/v3(?P<rest>/.*)?$")
REPEATED_SLASHES = re.compile(r"/{2,}")
PROXY_NOTICE = "Request proxied. For faster response times, use this host instead: {dc}.qualtrics.com"


@dataclass
class Request:
    method: str
    path: str
    query_string: str
    headers: Headers
    body: bytes
    root: str


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


class SandboxApp:
    def __init__(self, state: State) -> None:
        self.state = state

    def handle(self, request: Request) -> Reply:
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            return control.handle(self.state, request)
        if oauth.TOKEN_PATH.match(request.path):
            return oauth.token_endpoint(self.state, request)
        if workflows.INBOUND_PATH.match(request.path):
            return workflows.inbound_event(self, request)
        return self.handle_api(request)

    # --- the API ---------------------------------------------------------------------------------
    def handle_api(self, request: Request) -> Reply:
        rid = new_request_id()
        generation = self.state.generation
        stall = self.state.take_stall(request.method, request.path)
        if stall and stall["when"] == "before":
            time.sleep(stall["seconds"])
        with self.state.lock:
            if self.state.generation != generation:
                # The sandbox was reset while this request was held back: it belongs to a world that is gone.
                error = _transient(request.path)
                return json_reply(500, envelope(500, rid, error=error.error_body()))
            reply, logged_body, brand_id = self._dispatch(request, rid)
            latency = self.state.config["latency_ms"] / 1000.0
            self.state.log_call({
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "status": reply.status,
                "requestId": rid,
                "time": dates.iso(self.state.now()),
                "brandId": brand_id,
                "body": logged_body,
                "stalled": stall["when"] if stall else None,
            })
        if stall and stall["when"] == "after":
            time.sleep(stall["seconds"])
        if latency:
            time.sleep(latency)
        return reply

    def _dispatch(self, request: Request, rid: str) -> tuple[Reply, Any, str | None]:
        """Answer one API request; returns the reply, the parsed body for the log and the brand ID."""
        state = self.state
        body: Any = None
        body_is_json = True
        brand_id: str | None = None
        if request.body.strip():
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                body = request.body.decode("utf-8", "replace")[:2000]
                body_is_json = False
        try:
            found = API_PATH.match(request.path)
            rest = (found.group("rest") or "/") if found else request.path
            # Qualtrics answers `…/POOL_x//contacts` and `…/mailinglists/` as if the slashes were single.
            path = REPEATED_SLASHES.sub("/", rest).rstrip("/") or "/"
            routed = API.match(request.method, path) if found else None
            if found is None or routed is None:
                shown = f"/API/v3{rest}" if found else request.path
                raise ApiError(404, f"API call does not exist: {request.method} {shown}", None)
            route, params = routed
            datacenter = found.group("dc")
            token = (request.headers.get("X-API-TOKEN") or "").strip()
            bearer = None if token else oauth.bearer_token(request)
            grant = None
            if bearer is not None:
                brand, user, grant = oauth.authenticate(state, bearer, datacenter)
            else:
                brand, user = self.authenticate(token)
            brand_id = brand.id
            proxied = bool(datacenter) and datacenter != brand.datacenter
            notice = PROXY_NOTICE.format(dc=brand.datacenter) if proxied else None
            self.check_rates(brand.id, route.limit)
            if grant is not None:
                oauth.check_scope(state, grant, request.method, route.pattern)
            if route.admin and not user.is_admin:
                raise forbidden("This call requires a brand administrator's token.")
            if not body_is_json and not route.raw:
                raise ApiError(400, "The request body is not valid JSON")
            state.catch_up(brand)
            failing = state.config["fail_rate"] > 0 and state.fault_rng.random() < state.config["fail_rate"]
            if failing and state.config["fail_mode"] == "before":
                raise _transient(path)
            prefix = f"/{datacenter}/API/v3" if datacenter else "/API/v3"
            call = ApiCall(
                state=state, brand=brand, user=user, method=request.method, path=path, params=params,
                query=dict(parse_qsl(request.query_string, keep_blank_values=True)), body=body,
                root=request.root, prefix=prefix, request_id=rid, datacenter=datacenter, proxied=proxied,
                headers=request.headers, raw_body=request.body if route.raw else b"",
            )
            result = route.handler(call)
            if failing:
                raise _transient(path)
            if isinstance(result, FileReply):
                headers = {"Content-Disposition": f'attachment; filename="{result.filename}"'}
                return Reply(200, result.content, result.content_type, headers), body, brand_id
            return json_reply(200, envelope(200, rid, result, notice=notice)), body, brand_id
        except ApiError as error:
            payload = envelope(error.status, rid, error=error.error_body())
            return json_reply(error.status, payload, error.headers), body, brand_id
        except Exception:  # an unexpected fault answers like a server error, and is printed
            traceback.print_exc(file=sys.stderr)
            error = _transient("/")
            return json_reply(500, envelope(500, rid, error=error.error_body())), body, brand_id

    def authenticate(self, token: str) -> tuple[Brand, User]:
        """The brand and user behind an X-API-TOKEN; the API's 400 or 401 when it is missing or not valid."""
        if not token:
            raise ApiError(400, "Expected authorization in headers, but none provided.", MISSING_TOKEN)
        caller = self.state.authenticate(token)
        if caller is None or caller[1].account_status != "active":
            raise ApiError(401, "Unrecognized X-API-TOKEN.", BAD_TOKEN)
        return caller

    def check_rates(self, brand_id: str, route_limit: str | None) -> None:
        state = self.state
        now = state.monotonic()
        checks = [("*", int(state.config["rate_limit"]), "this brand")]
        if route_limit:
            checks.append((route_limit, settings.route_limit(state.config, route_limit), "this endpoint"))
        for scope, limit, what in checks:
            wait = state.limiter.check(brand_id, scope, limit, now)
            if wait:
                error = ApiError(429, f"Too many requests for {what}: the limit is {limit} per minute.",
                                 RATE_LIMITED)
                if state.config["retry_after"]:
                    error.headers["Retry-After"] = str(wait)
                raise error


def _transient(path: str) -> ApiError:
    code = TRANSIENT_CODES[0] if path.startswith("/surveys") else TRANSIENT_CODES[1]
    return ApiError(500, "An internal error occurred. Please try again.", code, instanceId=new_request_id())
