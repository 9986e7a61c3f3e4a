"""Payload templates: JSON with {{placeholders}} for contact fields, filled in for each member.

A placeholder stands inside a JSON string: ``{"email": "{{email}}", "name": "{{firstName}} {{lastName}}"}``.
A string that is one placeholder alone takes the field's value as it is (a boolean stays a boolean, a
missing value becomes null); inside a longer string the value is written as text. Values are inserted into
the parsed document, never into the text, so a value can never change the document's structure.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qualtrics import MAX_EVENT_BYTES

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
CONTACT_FIELDS = {
    "contactId": "The contact's ID (CID_…)",
    "firstName": "First name",
    "lastName": "Last name",
    "email": "E-mail",
    "phone": "Phone",
    "extRef": "External reference",
    "language": "Language",
    "unsubscribed": "Opted out (true or false)",
    "contactLookupId": "The contact's ID on the mailing list (CGC_…)",
    "mailingListId": "The mailing list (CG_…)",
    "directoryId": "The directory (POOL_…)",
}
EMBEDDED_PREFIX = "embeddedData."
EMBEDDED_KEY = re.compile(r"[^\s{}]{1,200}")


class TemplateError(ValueError):
    """The template is not JSON, or names a field that does not exist."""


def placeholders(text: str) -> list[str]:
    """The field names the template uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def check_template(text: str) -> Any:
    """The parsed template, or TemplateError saying what to fix."""
    if len((text or "").encode("utf-8")) > MAX_EVENT_BYTES:
        raise TemplateError(f"The template is larger than {MAX_EVENT_BYTES // 1024} KB, the most an event may be.")
    try:
        document = json.loads(text)
    except ValueError as exc:
        hint = ' Placeholders go inside strings: "{{email}}".' if PLACEHOLDER.search(text or "") else ""
        raise TemplateError(f"The template is not valid JSON: {exc}.{hint}") from None
    unknown = [name for name in placeholders(text) if not known_field(name)]
    if unknown:
        raise TemplateError(
            f"Unknown field{'s' if len(unknown) > 1 else ''}: {', '.join('{{' + n + '}}' for n in unknown)}. "
            f"Use {', '.join(CONTACT_FIELDS)} or embeddedData.<name>."
        )
    return document


def known_field(name: str) -> bool:
    if name in CONTACT_FIELDS:
        return True
    return name.startswith(EMBEDDED_PREFIX) and bool(EMBEDDED_KEY.fullmatch(name[len(EMBEDDED_PREFIX):]))


def contact_fields(contact: dict, needed: list[str], **context: Any) -> dict[str, Any]:
    """The values of the `needed` fields for one contact (a list member or a search result); `context` gives
    what the contact row does not carry (mailingListId, directoryId)."""
    embedded = contact.get("embeddedData") if isinstance(contact.get("embeddedData"), dict) else {}
    values: dict[str, Any] = {}
    for name in needed:
        if name.startswith(EMBEDDED_PREFIX):
            values[name] = embedded.get(name[len(EMBEDDED_PREFIX):])
        elif name == "contactId":
            values[name] = contact.get("contactId") or contact.get("id")
        elif name in context:
            values[name] = context[name]
        else:
            values[name] = contact.get(name)
    return values


def needs_embedded_data(text: str) -> bool:
    return any(name.startswith(EMBEDDED_PREFIX) for name in placeholders(text))


def render(text: str, values: dict[str, Any]) -> str:
    """The event for one contact: the template with each placeholder replaced by its value."""
    return json.dumps(_fill(json.loads(text), values), ensure_ascii=False, separators=(",", ":"))


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {_fill_text(k, values): _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node)
        if whole:
            return values.get(whole.group(1))
        return _fill_text(node, values)
    return node


def _fill_text(text: str, values: dict[str, Any]) -> str:
    def value(match: re.Match) -> str:
        found = values.get(match.group(1))
        if found is None:
            return ""
        if isinstance(found, bool):
            return "true" if found else "false"
        return str(found)

    return PLACEHOLDER.sub(value, text)


def contact_label(contact: dict) -> str:
    name = " ".join(str(contact.get(k) or "") for k in ("firstName", "lastName")).strip()
    email = contact.get("email") or ""
    if name and email:
        return f"{name} <{email}>"[:300]
    return str(name or email or contact.get("phone") or contact.get("extRef")
               or contact.get("contactId") or contact.get("id") or "")[:300]


def size_problem(payload: str) -> str:
    """Why Qualtrics would refuse this event for its size, or ""."""
    size = len(payload.encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        return f"The event is {size / 1024:.0f} KB; Qualtrics accepts at most {MAX_EVENT_BYTES // 1024} KB."
    return ""
