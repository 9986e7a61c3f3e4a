"""Errors from Qualtrics reach the user in plain words, never as a 500 page or a stack trace."""

from __future__ import annotations

import logging

from django.shortcuts import render

from connections.crypto import TokenDecryptionError

from .htmx import is_partial

logger = logging.getLogger(__name__)


def explain(error: Exception) -> dict:
    """Plain-words explanation of a Qualtrics or token error, for templates."""
    from qualtrics import errors as q

    title = "Qualtrics could not do that"
    hint = ""
    if isinstance(error, TokenDecryptionError):
        title, hint = "The saved API token cannot be read", (
            "The portal's encryption key changed. A manager can enter the token again on the connection."
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
    return {
        "title": title,
        "hint": hint,
        "message": getattr(error, "message", "") or str(error),
        "code": getattr(error, "code", "") or "",
        "request_id": getattr(error, "request_id", "") or "",
        "status": getattr(error, "status", None),
    }


def error_text(error: dict | Exception) -> str:
    """One line in plain words: what failed, Qualtrics' own message and code, and its request id."""
    info = error if isinstance(error, dict) else explain(error)
    text = f"{info['title']}. Qualtrics said: “{info['message']}”"
    if info.get("code"):
        text += f" ({info['code']})"
    if info.get("request_id"):
        text += f" · request id {info['request_id']}"
    return text


class QualtricsErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from qualtrics.errors import QualtricsError

        if not isinstance(exception, (QualtricsError, TokenDecryptionError)):
            return None
        logger.warning("Qualtrics call failed in %s: %s", request.path, exception)
        context = {"error": explain(exception)}
        if is_partial(request):
            response = render(request, "portal/qualtrics_error.html#alert", context)
            response["HX-Retarget"] = "#toasts"
            response["HX-Reswap"] = "beforeend"
            return response
        return render(request, "portal/qualtrics_error.html", context, status=502)
