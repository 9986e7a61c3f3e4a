"""Reading responses as a person would: the visible text of a page, whitespace collapsed."""

from __future__ import annotations

import html
import re

_HIDDEN = re.compile(r"<(script|style|head|datalist)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def text_of(response_or_html) -> str:
    raw = response_or_html if isinstance(response_or_html, str) else response_or_html.content.decode()
    raw = _HIDDEN.sub(" ", raw)
    return " ".join(html.unescape(_TAGS.sub(" ", raw)).split())


def main_text(response) -> str:
    """The text of <main> only (the page's own content, without navigation and switcher)."""
    raw = response.content.decode()
    start = raw.find("<main")
    end = raw.rfind("</main>")
    return text_of(raw[start:end] if start != -1 and end != -1 else raw)
