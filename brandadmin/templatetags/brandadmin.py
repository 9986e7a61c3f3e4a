"""Template helpers of the brand administration screens."""

import zoneinfo

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html

from web.templatetags.crud import as_datetime

from ..selectors import USER_STATUSES
from ..selectors import is_admin_type as _is_admin_type

register = template.Library()

STATUS_CSS = {"active": "badge-soft-ok", "disabled": "badge-soft-bad"}


def status_badge_context(status) -> dict:
    status = status or ""
    return {
        "css": STATUS_CSS.get(status.casefold(), "badge-soft-warn"),
        "label": dict(USER_STATUSES).get(status, status or "unknown"),
    }


def status_badge_html(status) -> str:
    return format_html('<span class="badge {css} align-middle" data-testid="user-status">{label}</span>',
                       **status_badge_context(status))


@register.inclusion_tag("brandadmin/status_badge.html")
def user_status_badge(status):
    return status_badge_context(status)


@register.filter
def in_zone(value, tzname, fmt="j M Y H:i"):
    """A Qualtrics date shown in another zone (the Qualtrics user's own), or "" if either is unusable."""
    dt = as_datetime(value)
    if dt is None or isinstance(dt, str) or not tzname:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(str(tzname))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return date_filter(dt.astimezone(zone), fmt)


@register.filter
def language_label(code) -> str:
    from ..forms import LANGUAGES

    name = dict(LANGUAGES).get(code) or {k.casefold(): v for k, v in LANGUAGES}.get(str(code).casefold())
    return f"{name} ({code})" if name else str(code)


@register.filter
def is_admin_type(user_type) -> bool:
    return _is_admin_type(user_type)
