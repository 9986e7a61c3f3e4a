"""Template filters of the distributions screens."""

from __future__ import annotations

import html
import re

from django import template
from django.utils.html import strip_tags

register = template.Library()

BREAKS = re.compile(r"<\s*br\s*/?>|</\s*(p|div|li|h[1-6]|tr)\s*>", re.IGNORECASE)
BLANK_LINES = re.compile(r"\n{3,}")

GOOD = {"Success", "Opened", "SurveyStarted", "SurveyPartiallyFinished", "SurveyFinished", "Sent"}
BAD = {"Failure", "Error", "HardBounce", "Complaint", "Blocked"}
WARN = {"SoftBounce", "Skipped", "SessionExpired", "SurveyScreenedOut", "Unknown"}


@register.filter
def plain_message(value) -> str:
    """A library message (often HTML) as plain text with its line breaks kept."""
    text = BREAKS.sub("\n", str(value or ""))
    text = html.unescape(strip_tags(text))
    return BLANK_LINES.sub("\n\n", text).strip()


@register.filter
def history_badge(status) -> str:
    if status in GOOD:
        return "badge-soft-ok"
    if status in BAD:
        return "badge-soft-bad"
    if status in WARN:
        return "badge-soft-warn"
    return "badge-soft-muted"


@register.filter
def quoted_characters(characters) -> str:
    return " ".join(f"“{c}”" for c in characters or ())
