"""Log-in throttling (django-axes): after repeated failures an account, and separately an address, is
refused for a while, with a message on the log-in page. A superuser lifts a lock by deleting the
account's or the address's access attempts in the Django admin (or `manage.py axes_reset_username`)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from .forms import LoginForm


def client_address(request) -> str | None:
    """The address that sent the request. Behind PORTAL_TRUSTED_PROXIES reverse proxies, each of which
    appends the address it received the request from to X-Forwarded-For, it is the entry that many
    places from the right; entries further left were written by the client and are not trusted."""
    proxies = settings.PORTAL_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many failed log-ins for this account or from your address: logging in is refused for "
        f"{minutes} minutes. If you forgot your password, ask a portal administrator, who can also lift the "
        "lock now."
    )


def locked_out(request, original_response=None, credentials=None):
    """The log-in page again, saying why it refuses (HTTP 429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": username[:150]})
    context = {"form": form, "lockout_message": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


def attempted_username(request, credentials) -> str:
    """The username a failed log-in gave, cut to what the attempts table holds (255 characters): a longer one
    is no username anyone has, and must not turn the refusal into a database error."""
    value = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(value)[:255]
