"""One call through the console: made exactly as typed, audited, and kept in the caller's history."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from connections.audit import audit_record
from connections.models import AuditEvent, Connection
from connections.qualtrics_client import connection_client
from qualtrics import Exchange, QualtricsError, UnsafeRequestError

from ..curl import curl_command
from ..models import HISTORY_SIZE, ConsoleCall

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsoleRequest:
    """A request as the console form checked it: the path relative to /API/v3, no credentials in the headers,
    a body that is JSON (or empty)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


def _outcome(status: int | None) -> str:
    if status is not None and status < 400:
        return AuditEvent.Outcome.OK
    if status in (401, 403):
        return AuditEvent.Outcome.DENIED
    return AuditEvent.Outcome.FAILED


def console_call_send(*, connection: Connection, actor, request: ConsoleRequest) -> Exchange:
    """Make the call (one attempt, within the brand's rate budget) and return Qualtrics' whole answer.

    Every call is audited (who, method, path, status, Qualtrics' request id; never the body) and added to
    the caller's history. A call that got no answer (or that the portal refused to make) raises the
    client's error after being recorded the same way.
    """
    client = connection_client(connection, actor=actor, audit=False)
    try:
        answer = client.exchange(request.method, request.path, params=request.query, headers=request.headers,
                                 body=request.body or None, wait_for_budget=False)
    except UnsafeRequestError:
        raise  # refused before anything was sent: no call to record
    except QualtricsError as exc:
        _record(connection, actor, request, status=None, request_id=exc.request_id or "", duration_ms=None,
                error=getattr(exc, "message", "") or str(exc))
        raise
    error = ""
    if answer.error is not None:
        error = " ".join(filter(None, [answer.error.code or "", answer.error.message or ""]))
    _record(connection, actor, request, status=answer.status, request_id=answer.request_id or "",
            duration_ms=round(answer.duration_s * 1000), error=error)
    return answer


def _record(connection, actor, request: ConsoleRequest, *, status, request_id, duration_ms, error) -> None:
    with transaction.atomic():
        ConsoleCall.objects.create(
            connection=connection, actor=actor, method=request.method, path=request.path,
            query=[list(p) for p in request.query], headers=[list(p) for p in request.headers], body=request.body,
            status=status, duration_ms=duration_ms, request_id=request_id, error=error[:300],
        )
        keep = ConsoleCall.objects.filter(connection=connection, actor=actor).values_list("pk", flat=True)[
            :HISTORY_SIZE
        ]
        ConsoleCall.objects.filter(connection=connection, actor=actor).exclude(pk__in=list(keep)).delete()
        detail = f"{status}" if status is not None else "no answer"
        if error:
            detail += f": {error}"
        audit_record(actor=actor, connection=connection, action=f"console.{request.method.lower()}",
                     target=request.path, outcome=_outcome(status), request_id=request_id, detail=detail[:500])


def _pieces(request: ConsoleRequest) -> list[str]:
    return [request.path, *(f"{k}={v}" for k, v in request.query), *(f"{k}: {v}" for k, v in request.headers),
            request.body]


def console_request_check(*, connection: Connection, actor, request: ConsoleRequest) -> None:
    """UnsafeRequestError when the request holds the connection's token (it would be kept in the history, a
    saved request or a curl command); checked before anything else happens to it."""
    connection_client(connection, actor=actor, audit=False).refuse_token_in(*_pieces(request))


def console_scrub(*, connection: Connection, actor, values: dict[str, list[str]]) -> dict[str, list[str]]:
    """What a person typed, the token masked, to show their refused request back to them."""
    client = connection_client(connection, actor=actor, audit=False)
    return {key: [client.scrub(value) for value in items] for key, items in values.items()}


def console_curl(*, connection: Connection, actor, request: ConsoleRequest) -> str:
    """The request as a curl command; the token is never in it (a request holding it is refused)."""
    client = connection_client(connection, actor=actor, audit=False)
    client.refuse_token_in(*_pieces(request))
    return curl_command(base_url=client.base_url, method=request.method, path=request.path, query=request.query,
                        headers=request.headers, body=request.body, bearer=connection.uses_oauth)
