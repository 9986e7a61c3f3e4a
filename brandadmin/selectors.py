"""Reads from Qualtrics for the brand administration screens: users, groups and memberships.

Qualtrics has no server-side search on /users or /groups and no "groups of a user" route, so the
portal filters here: it reads the list page by page (100 at a time, the largest page Qualtrics
gives), stops once it has a screenful of matches and hands back a cursor that resumes exactly where
it stopped. Pages read for filtering are cached for a minute per connection, so typing in a search
box does not read the brand again for every key; every write made through the portal drops that
cache at once (see ``cache_forget``).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics import Page
from qualtrics.errors import BadRequestError, NotFoundError, PermissionDeniedError, QualtricsError

from .models import QualtricsLabel

SCAN_PAGE_SIZE = 100
SCAN_MAX_PAGES = 10  # per request: at most 1,000 users or groups read to fill one screen
CACHE_SECONDS = 60
MEMBERSHIP_MAX_GROUPS = 100  # groups checked for "groups of this user"
SEEN_MAX_PAGES = 5  # pages read to learn the user types, group types and divisions in use
ADMIN_USER_TYPES = {"UT_BRANDADMIN", "UT_BRAND_ADMIN"}

USER_STATUSES = (
    ("active", "Active"),
    ("disabled", "Disabled"),
    ("notVerified", "Not verified"),
)


# --- the short-lived cache of pages read for filtering ------------------------------------------


def _generation_key(connection: Connection) -> str:
    return f"brandadmin:generation:{connection.pk}"


def _cache_key(connection: Connection, kind: str, url: str | None) -> str:
    generation = cache.get(_generation_key(connection))
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(_generation_key(connection), generation, None)
    created = connection.created_at.timestamp() if connection.created_at else 0
    digest = hashlib.sha256(f"{kind}|{url or ''}".encode()).hexdigest()[:32]
    return f"brandadmin:{connection.pk}:{created:.0f}:{connection.brand_id}:{generation}:{digest}"


def cache_forget(connection: Connection) -> None:
    """Drop every page cached for this connection (called after each write)."""
    cache.set(_generation_key(connection), uuid.uuid4().hex, None)


def _cached_page(connection: Connection, kind: str, url: str | None, fetch: Callable[[], Any]):
    key = _cache_key(connection, kind, url)
    hit = cache.get(key)
    if hit is not None:
        return hit
    page = fetch()
    value = (list(page.items), page.next_page)
    cache.set(key, value, CACHE_SECONDS)
    return value


def _client(connection: Connection, actor):
    return connection_client(connection, actor=actor)


# --- scanning: filtering a list Qualtrics cannot filter -----------------------------------------


@dataclass
class ScanCursor:
    """Where a filtered read stopped: the Qualtrics page (None = the first), items of it already
    consumed, and how many items were checked so far (for the notice)."""

    url: str | None = None
    skip: int = 0
    checked: int = 0

    PREFIX = "scan:"

    def dumps(self) -> str:
        return f"{self.PREFIX}{self.checked}:{self.skip}:{self.url or ''}"

    @classmethod
    def loads(cls, value: str | None) -> ScanCursor:
        if not value or not value.startswith(cls.PREFIX):
            return cls()
        try:
            checked, skip, url = value[len(cls.PREFIX):].split(":", 2)
            return cls(url=url or None, skip=max(0, int(skip)), checked=max(0, int(checked)))
        except ValueError:
            return cls()


@dataclass
class ScanResult:
    items: list[dict]
    next_cursor: ScanCursor | None
    checked: int  # items checked in all, from the first page
    complete: bool  # the whole list was read

    def page(self, *, notice: str) -> Page:
        """The matches as one page of a list screen, the next one resuming where the scan stopped."""
        return Page(self.items, self.next_cursor.dumps() if self.next_cursor else None, notice=notice)


def scan(
    fetch: Callable[[str | None], tuple[list, str | None]],
    matches: Callable[[dict], bool],
    *,
    start: ScanCursor,
    want: int,
    max_pages: int = SCAN_MAX_PAGES,
) -> ScanResult:
    """Read pages from `start` until `want` matches are found, the list ends or `max_pages` are read."""
    found: list[dict] = []
    url, skip, checked, pages = start.url, start.skip, start.checked, 0
    while True:
        elements, following = fetch(url)
        pages += 1
        for index in range(skip, len(elements)):
            checked += 1
            if matches(elements[index]):
                found.append(elements[index])
                if len(found) >= want:
                    if index + 1 < len(elements):
                        return ScanResult(found, ScanCursor(url, index + 1, checked), checked, False)
                    nxt = ScanCursor(following, 0, checked) if following else None
                    return ScanResult(found, nxt, checked, nxt is None)
        skip = 0
        if not following:
            return ScanResult(found, None, checked, True)
        if pages >= max_pages:
            return ScanResult(found, ScanCursor(following, 0, checked), checked, False)
        url = following


def _text_matcher(query: str, keys: Iterable[str]) -> Callable[[dict], bool]:
    words = [w for w in (query or "").casefold().split() if w]
    keys = tuple(keys)

    def matches(item: dict) -> bool:
        haystack = " ".join(str(item.get(k) or "") for k in keys).casefold()
        return all(word in haystack for word in words)

    return matches


def _scan_notice(result: ScanResult, noun: str, what: str) -> str:
    if result.complete:
        return (
            f"Qualtrics cannot search {noun}, so the portal read the whole list ({result.checked:,} {noun}) "
            f"and kept those matching {what}."
        )
    return (
        f"Qualtrics cannot search {noun}, so the portal reads the list page by page and keeps those matching "
        f"{what}. {result.checked:,} {noun} checked so far; “Next” searches further."
    )


# --- users ---------------------------------------------------------------------------------------


USER_SEARCH_KEYS = ("username", "firstName", "lastName", "email")


def user_display_name(user: dict) -> str:
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)
    return name or user.get("username") or user.get("id") or "user"


def _user_pages(connection: Connection, actor) -> Callable[[str | None], tuple[list, str | None]]:
    client = _client(connection, actor)

    def fetch(url: str | None):
        return _cached_page(
            connection, "users", url, lambda: client.users.list(page_size=SCAN_PAGE_SIZE, page_url=url)
        )

    return fetch


def user_matcher(*, query: str = "", status: str = "") -> Callable[[dict], bool]:
    text = _text_matcher(query, USER_SEARCH_KEYS)

    def matches(user: dict) -> bool:
        if status and (user.get("accountStatus") or "").casefold() != status.casefold():
            return False
        return text(user)

    return matches


def user_list(
    *, connection: Connection, actor, cursor: str | None, page_size: int, query: str = "", status: str = ""
) -> Page:
    """One screen of users. Unfiltered: one Qualtrics page. Filtered: scanned (see the module doc)."""
    if not query and not status:
        page_url = cursor if cursor and not cursor.startswith(ScanCursor.PREFIX) else None
        return _client(connection, actor).users.list(page_size=page_size, page_url=page_url)
    result = scan(
        _user_pages(connection, actor),
        user_matcher(query=query, status=status),
        start=ScanCursor.loads(cursor),
        want=page_size,
    )
    what = []
    if query:
        what.append(f"“{query}”")
    if status:
        what.append(f"status “{dict(USER_STATUSES).get(status, status)}”")
    return result.page(notice=_scan_notice(result, "users", " and ".join(what)))


def user_search(
    *, connection: Connection, actor, query: str, limit: int = 10, exclude: Iterable[str] = ()
) -> ScanResult:
    """Users matching `query` for the search-as-you-type picker (skipping ids in `exclude`)."""
    excluded = set(exclude)
    text = user_matcher(query=query)
    return scan(
        _user_pages(connection, actor),
        lambda user: user.get("id") not in excluded and text(user),
        start=ScanCursor(),
        want=limit,
    )


def user_get(*, connection: Connection, actor, user_id: str) -> dict:
    user = _client(connection, actor).users.get(user_id)
    user = dict(user or {})
    user.setdefault("id", user_id)
    return user


@dataclass
class Seen:
    """Values in use on a brand's existing users or groups, most common first, with their counts."""

    values: list[tuple[str, int]] = field(default_factory=list)
    complete: bool = True

    def ids(self) -> list[str]:
        return [value for value, _count in self.values]


def _seen(fetch, key: str, extra: Iterable[str] = ()) -> Seen:
    counts: Counter = Counter()
    url, pages = None, 0
    while True:
        elements, following = fetch(url)
        pages += 1
        counts.update(e.get(key) for e in elements if e.get(key))
        if not following:
            complete = True
            break
        if pages >= SEEN_MAX_PAGES:
            complete = False
            break
        url = following
    for value in extra:
        if value and value not in counts:
            counts[value] = 0
    return Seen(values=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), complete=complete)


def user_types_seen(*, connection: Connection, actor) -> Seen:
    """User types on the brand's existing users (Qualtrics cannot list user types)."""
    extra = [connection.account_type] if connection.account_type.startswith("UT_") else []
    return _seen(_user_pages(connection, actor), "userType", extra)


def divisions_seen(*, connection: Connection, actor) -> Seen:
    """Divisions in use on existing users and groups (Qualtrics cannot list divisions)."""
    users = _seen(_user_pages(connection, actor), "divisionId")
    groups = _seen(_group_pages(connection, actor), "divisionId")
    counts = Counter(dict(users.values))
    counts.update(dict(groups.values))
    return Seen(
        values=sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), complete=users.complete and groups.complete
    )


def languages_seen(*, connection: Connection, actor) -> Seen:
    return _seen(_user_pages(connection, actor), "language")


@dataclass
class UserFormChoices:
    user_types: Seen
    languages: Seen
    divisions: Seen


def user_form_choices(*, connection: Connection, actor) -> UserFormChoices:
    """What the user form offers: user types, languages and divisions in use on the brand."""
    return UserFormChoices(
        user_types=user_types_seen(connection=connection, actor=actor),
        languages=languages_seen(connection=connection, actor=actor),
        divisions=divisions_seen(connection=connection, actor=actor),
    )


@dataclass
class GroupFormChoices:
    group_types: Seen
    divisions: Seen


def group_form_choices(*, connection: Connection, actor) -> GroupFormChoices:
    return GroupFormChoices(
        group_types=group_types_seen(connection=connection, actor=actor),
        divisions=divisions_seen(connection=connection, actor=actor),
    )


@dataclass
class Memberships:
    groups: list[dict]
    checked: int
    complete: bool


def user_groups(*, connection: Connection, actor, user_id: str) -> Memberships:
    """The groups `user_id` belongs to.

    Qualtrics has no route for a user's groups, so the portal reads each group's members (cached for
    a minute), up to MEMBERSHIP_MAX_GROUPS groups.
    """
    fetch_groups = _group_pages(connection, actor)
    url, listed = None, []
    while True:
        elements, following = fetch_groups(url)
        listed.extend(elements)
        if not following or len(listed) >= MEMBERSHIP_MAX_GROUPS:
            break
        url = following
    complete = not following and len(listed) <= MEMBERSHIP_MAX_GROUPS
    listed = listed[:MEMBERSHIP_MAX_GROUPS]
    found = []
    for group in listed:
        gid = group.get("id")
        if not gid:
            continue
        if any(member.get("id") == user_id for member in group_members_all(connection=connection, actor=actor,
                                                                           group_id=gid)):
            found.append(group)
    return Memberships(groups=found, checked=len(listed), complete=complete)


# --- groups --------------------------------------------------------------------------------------


GROUP_SEARCH_KEYS = ("name", "id", "type")


def _group_pages(connection: Connection, actor) -> Callable[[str | None], tuple[list, str | None]]:
    client = _client(connection, actor)

    def fetch(url: str | None):
        return _cached_page(
            connection, "groups", url, lambda: client.groups.list(page_size=SCAN_PAGE_SIZE, page_url=url)
        )

    return fetch


def group_list(*, connection: Connection, actor, cursor: str | None, page_size: int, query: str = "") -> Page:
    if not query:
        page_url = cursor if cursor and not cursor.startswith(ScanCursor.PREFIX) else None
        return _client(connection, actor).groups.list(page_size=page_size, page_url=page_url)
    result = scan(
        _group_pages(connection, actor),
        _text_matcher(query, GROUP_SEARCH_KEYS),
        start=ScanCursor.loads(cursor),
        want=page_size,
    )
    return result.page(notice=_scan_notice(result, "groups", f"“{query}”"))


def group_all(*, connection: Connection, actor, limit: int = MEMBERSHIP_MAX_GROUPS) -> list[dict]:
    """Up to `limit` groups, sorted by name (for choosing a group)."""
    fetch = _group_pages(connection, actor)
    url, groups = None, []
    while True:
        elements, following = fetch(url)
        groups.extend(elements)
        if not following or len(groups) >= limit:
            break
        url = following
    return sorted(groups[:limit], key=lambda g: (str(g.get("name") or "").casefold(), g.get("id") or ""))


def group_get(*, connection: Connection, actor, group_id: str) -> dict:
    group = dict(_client(connection, actor).groups.get(group_id) or {})
    group.setdefault("id", group_id)
    return group


def group_types_seen(*, connection: Connection, actor) -> Seen:
    """Group types on existing groups (Qualtrics cannot list group types)."""
    return _seen(_group_pages(connection, actor), "type")


def group_member_list(
    *, connection: Connection, actor, group_id: str, cursor: str | None, page_size: int
) -> Page:
    return _client(connection, actor).groups.members.list(group_id, page_size=page_size, page_url=cursor or None)


def group_members_all(*, connection: Connection, actor, group_id: str) -> list[dict]:
    """Every member of a group (pages cached for a minute)."""
    client = _client(connection, actor)
    members, url = [], None
    while True:
        elements, following = _cached_page(
            connection,
            f"members:{group_id}",
            url,
            lambda url=url: client.groups.members.list(group_id, page_size=SCAN_PAGE_SIZE, page_url=url),
        )
        members.extend(elements)
        if not following:
            return members
        url = following


def is_admin_type(user_type: str | None) -> bool:
    return (user_type or "") in ADMIN_USER_TYPES


# --- names for IDs Qualtrics gives no name for ------------------------------------------------------

# Symbolic user types Qualtrics itself uses (whoami answers UT_BRANDADMIN): named without a label.
KNOWN_USER_TYPES = {"UT_BRANDADMIN": "Brand administrator", "UT_BRAND_ADMIN": "Brand administrator"}


def brand_key(connection: Connection) -> str:
    """Labels are per brand; a connection whose brand is unknown keeps its own."""
    return connection.brand_id or f"connection-{connection.pk}"


@dataclass
class Names:
    """Names of one brand's user types, group types and divisions: `names.user_type("UT_…")` is the label a
    manager set, else the name Qualtrics gives (only divisions have one, read through `division_name`), else
    the ID itself (`labelled` says whether it has a name)."""

    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    division_name: Callable[[str], str | None] | None = None

    def name(self, kind: str, qualtrics_id: str | None) -> str:
        if not qualtrics_id:
            return ""
        found = self.labels.get((kind, qualtrics_id))
        if found:
            return found
        if kind == "user_type" and qualtrics_id in KNOWN_USER_TYPES:
            return KNOWN_USER_TYPES[qualtrics_id]
        if kind == "division" and self.division_name is not None:
            return self.division_name(qualtrics_id) or qualtrics_id
        return qualtrics_id

    def labelled(self, kind: str, qualtrics_id: str | None) -> bool:
        return bool(qualtrics_id) and self.name(kind, qualtrics_id) != qualtrics_id

    def user_type(self, qualtrics_id: str | None) -> str:
        return self.name("user_type", qualtrics_id)

    def group_type(self, qualtrics_id: str | None) -> str:
        return self.name("group_type", qualtrics_id)

    def division(self, qualtrics_id: str | None) -> str:
        return self.name("division", qualtrics_id)


def names_for(*, connection: Connection, actor=None) -> Names:
    """The brand's names; with an `actor`, a division nobody labelled is named as Qualtrics names it."""
    rows = QualtricsLabel.objects.filter(brand_key=brand_key(connection)).values_list("kind", "qualtrics_id", "label")
    lookup = None
    if actor is not None:
        lookup = functools.partial(division_name, connection=connection, actor=actor)
    return Names({(kind, qualtrics_id): label for kind, qualtrics_id, label in rows}, division_name=lookup)


DIVISION_NAME_SECONDS = 3600  # divisions are renamed rarely; a label set in the portal shows at once anyway


def division_name(division_id: str, *, connection: Connection, actor) -> str | None:
    """The name Qualtrics gives a division, read once an hour per brand; None when it cannot say (the division
    is unknown to it, the token may not read divisions, or it is unreachable)."""
    key = f"brandadmin:division:{brand_key(connection)}:{hashlib.sha256(division_id.encode()).hexdigest()[:32]}"
    found = cache.get(key)
    if found is not None:
        return found or None
    seconds = DIVISION_NAME_SECONDS
    try:
        result = _client(connection, actor).divisions.get(division_id)
    except (NotFoundError, PermissionDeniedError, BadRequestError):
        result = {}  # Qualtrics will not name it: remembered as long as a name would be
    except QualtricsError:
        result, seconds = {}, 60  # unreachable or busy: asked again soon
    name = result.get("name") if isinstance(result, dict) else None
    name = name.strip() if isinstance(name, str) else ""
    cache.set(key, name, seconds)  # "" remembers that there is none
    return name or None


def _qualtrics_name(kind: str, qualtrics_id: str, *, connection: Connection, actor) -> str:
    if kind == "division":
        return division_name(qualtrics_id, connection=connection, actor=actor) or ""
    return KNOWN_USER_TYPES.get(qualtrics_id, "") if kind == "user_type" else ""


@dataclass
class LabelRow:
    kind: str
    qualtrics_id: str
    label: str
    used_by: int  # users or groups seen with it
    qualtrics_name: str = ""  # what Qualtrics calls it (divisions, and the user types whoami names)


def labels_to_set(*, connection: Connection, actor) -> dict[str, list[LabelRow]]:
    """Each kind's IDs in use on the brand (and those labelled before), with their labels, for the labels page."""
    names = names_for(connection=connection)
    seen = {
        "user_type": user_types_seen(connection=connection, actor=actor),
        "group_type": group_types_seen(connection=connection, actor=actor),
        "division": divisions_seen(connection=connection, actor=actor),
    }
    out: dict[str, list[LabelRow]] = {}
    for kind, found in seen.items():
        counts = dict(found.values)
        for (labelled_kind, qualtrics_id) in names.labels:
            if labelled_kind == kind:
                counts.setdefault(qualtrics_id, 0)
        out[kind] = [
            LabelRow(kind, qualtrics_id, names.labels.get((kind, qualtrics_id), ""), count,
                     qualtrics_name=_qualtrics_name(kind, qualtrics_id, connection=connection, actor=actor))
            for qualtrics_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    return out
