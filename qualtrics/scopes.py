"""OAuth scopes: which one a call needs, and whether a client's granted scopes cover it.

Qualtrics names scopes ``read:<family>``, ``write:<family>`` and ``manage:<family>`` (``manage:`` covers
reading and writing; ``manage:all`` covers everything). Which family a route belongs to is read from its
path, most specific first (docs/qualtrics-api.md#oauth-client-credentials).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SCOPE_SHAPE = re.compile(r"(read|write|manage):[a-z_]{2,60}")

# Route family of an API path, first match wins; None needs no scope (whoami answers every token).
_FAMILIES: tuple[tuple[re.Pattern[str], str | None], ...] = tuple((re.compile(rule), family) for rule, family in (
    (r"^/whoami$", None),
    (r"^/users(/|$)", "users"),
    (r"^/groups(/|$)", "groups"),
    (r"^/divisions(/|$)", "divisions"),
    (r"^/libraries(/|$)", "libraries"),
    (r"^/eventsubscriptions(/|$)", "subscriptions"),
    (r"^/distributions(/|$)", "distributions"),
    (r"^/samples(/|$)", "samples"),
    (r"^/directories/[^/]+/mailinglists/[^/]+/transactioncontacts(/|$)", "contact_transactions"),
    (r"^/directories/[^/]+/(transactionbatches|transactions)(/|$)", "contact_transactions"),
    (r"^/directories/[^/]+/contacts/[^/]+/transactions$", "contact_transactions"),
    (r"^/directories/[^/]+/samples(/|$)", "samples"),
    (r"^/directories/[^/]+/mailinglists/[^/]+/(contacts|bouncedContacts|optedOutContacts)(/|$)",
     "mailing_list_contacts"),
    (r"^/directories/[^/]+/mailinglists(/|$)", "mailing_lists"),
    (r"^/directories/[^/]+/(contacts|export-contacts)(/|$)", "directory_contacts"),
    (r"^/directories(/|$)", "directories"),
    (r"^/surveys/[^/]+/(export-responses|responses|import-responses|update-responses)(/|$)", "survey_responses"),
    (r"^/responses(/|$)", "survey_responses"),
    (r"^/(surveys|survey-definitions)(/|$)", "surveys"),
))
# POST routes that only read (a search, the start of an export).
_READING_POST = re.compile(r"/(search|export-responses|export-contacts)$")


def covers(granted: Iterable[str], family: str, *, write: bool = False) -> bool:
    granted = set(granted)
    wanted = f"{'write' if write else 'read'}:{family}"
    return bool({wanted, f"manage:{family}", "manage:all"} & granted)


def missing_scope(granted: Iterable[str], family: str, *, write: bool = False) -> str:
    """The scope to ask for (``write:mailing_lists``) when `granted` does not cover the call, else ""."""
    return "" if covers(granted, family, write=write) else f"{'write' if write else 'read'}:{family}"


def needed_scope(method: str, path: str) -> tuple[str, bool] | None:
    """(family, writes) of a call, or None when it needs no scope. A route the portal cannot place
    needs ``manage:all``, given as the family ``all``."""
    path = path.split("?", 1)[0]
    family = next((family for rule, family in _FAMILIES if rule.search(path)), "all")
    if family == "all":
        return ("all", True)
    if family is None:
        return None
    reading = method.upper() in ("GET", "HEAD") or (method.upper() == "POST" and bool(_READING_POST.search(path)))
    return family, not reading


def scope_for_call(method: str, path: str) -> str:
    """The narrowest scope that allows a call ("" when none is needed)."""
    need = needed_scope(method, path)
    if need is None:
        return ""
    family, writes = need
    return "manage:all" if family == "all" else f"{'write' if writes else 'read'}:{family}"


def scope_missing_for_call(granted: Iterable[str], method: str, path: str) -> str:
    """The scope a call needs that `granted` lacks ("" when covered or none is needed)."""
    need = needed_scope(method, path)
    if need is None:
        return ""
    family, writes = need
    if family == "all":
        return "" if "manage:all" in set(granted) else "manage:all"
    return missing_scope(granted, family, write=writes)
