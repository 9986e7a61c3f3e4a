"""What the portal accepts from a request before any view sees it, and one way to read a number from one.

- `InputGuardMiddleware`: a control character (NUL and the other C0/C1 codes, except tab, line feed and
  carriage return) in the path, a query parameter, a form field or an uploaded file's name is refused
  with 400 and a message naming where it was. PostgreSQL refuses NUL in text, Qualtrics refuses it in
  IDs and nobody types one: no view, form, selector or service has to think about them.
- `whole_number()`: a number from a query parameter. Only ASCII digits count ("²" and "٣" are digits
  to str.isdigit() and int() but not a page number), with a default and bounds.
"""

from __future__ import annotations

import logging
import re

from .errors import error_response

logger = logging.getLogger(__name__)

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ASCII_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def control_character_in(text: str) -> str | None:
    """The first control character of `text` the portal refuses, or None."""
    match = CONTROL_CHARACTER.search(text)
    return match.group() if match else None


def whole_number(value: str | None, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` read as a whole number of ASCII digits (surrounding spaces allowed), kept within
    [minimum, maximum]; `default` when it is missing or not such a number."""
    text = (value or "").strip()
    if not ASCII_WHOLE_NUMBER.fullmatch(text):
        return default
    number = int(text)
    if minimum is not None:
        number = max(number, minimum)
    if maximum is not None:
        number = min(number, maximum)
    return number


def _describe(character: str) -> str:
    return f"U+{ord(character):04X}"


def raw_body(view):
    """Marks a view that passes its request body on unread (the API gateway): the guard checks its address
    and query only, since parsing the body as a form would consume it."""
    view.raw_body = True
    return view


def _refusal(request, *, body: bool = True) -> str | None:
    """Why this request's input is refused, or None."""
    found = control_character_in(request.path)
    if found:
        return f"The address contains a control character ({_describe(found)})."
    sources = [("query parameter", request.GET)]
    if body and request.method not in ("GET", "HEAD", "OPTIONS"):
        sources.append(("form field", request.POST))
    for kind, data in sources:
        for name, values in data.lists():
            found = control_character_in(name)
            if found:
                return f"A {kind} name contains a control character ({_describe(found)})."
            for value in values:
                found = control_character_in(value)
                if found:
                    return f"The {kind} “{name}” contains a control character ({_describe(found)})."
    if body and request.method not in ("GET", "HEAD", "OPTIONS"):
        for name, upload in request.FILES.items():
            found = control_character_in(upload.name or "")
            if found:
                return f"The name of the file in “{name}” contains a control character ({_describe(found)})."
    return None


class InputGuardMiddleware:
    """Refuses control characters in any input (400, with the reason). It works in process_view, after the
    CSRF middleware's: a forged request is refused first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        reason = _refusal(request, body=not getattr(view_func, "raw_body", False))
        if reason is None:
            return None
        logger.info("Refused input on %s: %s", request.path.encode("unicode_escape").decode(), reason)
        error = {
            "title": "The portal cannot accept this input",
            "hint": "Remove the control character (it is invisible; it usually comes from pasting) and try again.",
            "message": reason,
            "source": "",
            "code": "",
            "request_id": "",
            "kind": "input-refused",
        }
        return error_response(request, error, status=400)
