"""The one path by which an error reaches the user: in plain words, never as a 500 page or a stack trace.

- `EXPLAINABLE_ERRORS`: the errors a screen explains instead of failing: everything the Qualtrics
  client raises about a call, and the portal's own `ExplainableError`s.
- `explain(error)`: the explanation templates show (title, hint, message, code, Qualtrics request id).
  A view may explain an error its own way (the generic views' `explain_error` hook) by adjusting it.
- `templates/web/error_alert.html`: the one alert that shows an explanation (context: `error`).
- `error_response()`: an explanation as a response (for htmx, the alert as a toast or in place).
- `ExplainErrorsMiddleware`: the same for whatever escapes a view.
- `explained(call)`: a call whose failure is shown in place: its value, or the explanation.
- `handles_errors(respond)`: a function view's own answer to an explainable error.
- Forms: `web.forms.add_service_error` puts a service's refusal onto its form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.shortcuts import render

from qualtrics import errors as q

from .htmx import is_partial

logger = logging.getLogger(__name__)

ALERT_TEMPLATE = "web/error_alert.html"
PAGE_TEMPLATE = "web/error.html"


class ExplainableError(Exception):
    """An error of the portal's own that the user should see explained, like an error from Qualtrics.

    A subclass names what failed (`title`) and what to do about it (`hint`); the exception's text is
    the detail shown under them.
    """

    title = "The portal could not do that"
    hint = ""


# Every error a screen explains to the user instead of failing.
EXPLAINABLE_ERRORS = (q.QualtricsError, ExplainableError)


def explain(error: Exception) -> dict:
    """Plain-words explanation of an explainable error, for templates.

    Keys: title, hint, message (the detail), source (who said the message: "Qualtrics", or "" for the
    portal's own errors), code, request_id, status (Qualtrics' HTTP status). A view's own explanation
    may add kind (the alert's test id; default "qualtrics-error"), tone ("danger" or "warning") and
    replaces_page (the screen cannot work at all: the explanation takes the whole page).
    """
    title = "Qualtrics could not do that"
    hint = ""
    if isinstance(error, ExplainableError):
        title, hint = error.title, error.hint
    elif isinstance(error, q.MissingScopeError):
        title = f"This connection's OAuth client has no {error.scope} scope: a brand admin can add it in Qualtrics"
        hint = ("Then a manager of the connection adds it to the scopes it asks for (Edit on the connection's "
                "page), and the portal asks Qualtrics for it.")
    elif isinstance(error, q.InvalidScopeError):
        refused = " ".join(error.scopes) or "some of them"
        title = f"Qualtrics does not give this connection's OAuth client the scopes it asks for ({refused})"
        hint = ("A brand admin can add them to the client in Qualtrics, or a manager of the connection can ask "
                "for fewer (Edit on the connection's page).")
    elif isinstance(error, q.ClientRefusedError):
        title, hint = "Qualtrics no longer accepts this connection's OAuth client", (
            "The client was revoked or its secret regenerated. A manager of the connection can rotate the secret."
        )
    elif isinstance(error, q.AuthenticationError):
        title, hint = "Qualtrics no longer accepts this connection's API token", (
            "The token was regenerated or revoked. A manager of the connection can rotate it."
        )
    elif isinstance(error, q.PermissionDeniedError):
        title, hint = "The connection's Qualtrics user may not do this", (
            "Qualtrics refused the call for this user's permissions (some calls need a brand administrator)."
        )
    elif isinstance(error, q.NotFoundError):
        title, hint = "Qualtrics could not find it", "It may have been deleted in Qualtrics meanwhile."
    elif isinstance(error, q.RateLimitedError):
        title, hint = "Qualtrics is rate limiting this brand", "Wait a minute and try again."
    elif isinstance(error, q.ServerError):
        title, hint = "Qualtrics had a temporary problem", "Nothing was lost: try again in a moment."
    elif isinstance(error, q.ConnectionFailedError):
        title, hint = "Qualtrics did not answer", "Check the connection's datacenter, then try again."
    extra = {"kind": "missing-scope", "tone": "warning"} if isinstance(error, q.MissingScopeError) else {}
    return {
        **extra,
        "title": title,
        "hint": hint,
        "message": getattr(error, "message", "") or str(error),
        "source": "Qualtrics" if isinstance(error, q.QualtricsError) else "",
        "code": getattr(error, "code", "") or "",
        "request_id": getattr(error, "request_id", "") or "",
        "status": getattr(error, "status", None),
    }


def error_text(error: dict | Exception) -> str:
    """One line in plain words: what failed, the detail (Qualtrics' own message and code), and its request id."""
    info = error if isinstance(error, dict) else explain(error)
    detail = f"{info['source']} said: “{info['message']}”" if info.get("source") else info["message"]
    text = f"{info['title']}. {detail}" if detail else info["title"]
    if info.get("code"):
        text += f" ({info['code']})"
    if info.get("request_id"):
        text += f" · request id {info['request_id']}"
    return text


def page_status(error: Exception) -> int:
    """The status of a page that shows only the explanation of what a screen could not get."""
    return 404 if isinstance(error, q.NotFoundError) else 502


def error_response(request, error: dict, *, template: str = PAGE_TEMPLATE, context: dict | None = None,
                   status: int = 502, in_place: bool = False):
    """An explanation as the answer to a request.

    A whole page (`template`, which shows the alert, with `context`) answers with `status`. An htmx
    request gets the alert alone: added to the page's toasts, or swapped in where the request's target
    is (`in_place`).
    """
    if is_partial(request):
        response = render(request, ALERT_TEMPLATE, {"error": error})
        if not in_place:
            response["HX-Retarget"] = "#toasts"
            response["HX-Reswap"] = "beforeend"
        return response
    return render(request, template, {**(context or {}), "error": error}, status=status)


def explained(call: Callable[..., Any], /, *args, explain: Callable[[Exception], dict] = explain,
              **kwargs) -> tuple[Any, dict | None]:
    """Run `call`; (its value, None), or (None, the explanation) when it fails with an explainable error.

    For what a screen shows in place of one part (a card, a picker, a preview) when Qualtrics fails.
    """
    try:
        return call(*args, **kwargs), None
    except EXPLAINABLE_ERRORS as exc:
        return None, explain(exc)


def handles_errors(respond: Callable[..., Any]):
    """Decorate a function view: an explainable error it raises is answered by
    `respond(request, error, **view_kwargs)` instead of the middleware's page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except EXPLAINABLE_ERRORS as exc:
                return respond(request, exc, **kwargs)

        return wrapper

    return decorator


class ExplainErrorsMiddleware:
    """An explainable error that escapes a view: a page that explains it (502), or for htmx a toast."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, EXPLAINABLE_ERRORS):
            return None
        logger.warning("%s in %s: %s", type(exception).__name__, request.path, exception)
        return error_response(request, explain(exception))
