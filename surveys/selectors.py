"""Reads of the surveys app: the brand's surveys, one survey with its definition, quotas and filters, its
owners by name, and the work other apps keep on it.

Qualtrics' survey list cannot be searched, filtered or sorted and gives neither a survey's expiration
window nor its response counts (docs/qualtrics-api.md#surveys). So:

- the plain list is one Qualtrics page, as fast as Qualtrics answers;
- searching, filtering or sorting reads the whole list (at most SCAN_MAX surveys, kept a minute in the
  cache) and pages through the matches in the portal;
- a survey's window and counts ("facts") come from reading that survey, a few at a time in parallel,
  each kept a minute; the list page loads them for its rows after it has been shown.

Every write made through the portal drops what is cached for the connection (`cache_forget`).
Functions are keyword-only and named `<thing>_<action>`; views call these, never the client.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics import MissingScopeError, Page, PermissionDeniedError, QualtricsError
from web import background
from web.errors import EXPLAINABLE_ERRORS, explain

from . import definition
from .signals import Dependents, answers, survey_dependents

CACHE_SECONDS = 60
SCAN_MAX = 2000  # surveys read to search, filter or sort a brand's list
FACTS_MAX = 300  # surveys read one by one to filter by status
OWNERS_MAX = 1000
PICKER_SHOWN = 50
SORTS = {
    "name": ("Name", lambda s: (s.get("name") or "").casefold(), False),
    "modified": ("Last modified, newest first", lambda s: s.get("lastModified") or "", True),
    "created": ("Created, newest first", lambda s: s.get("creationDate") or "", True),
}


# --- the short-lived cache --------------------------------------------------------------------------


def _generation_key(connection: Connection) -> str:
    return f"surveys:generation:{connection.pk}"


def _generation(connection: Connection) -> str:
    generation = cache.get(_generation_key(connection))
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(_generation_key(connection), generation, None)
    return generation


def _key(connection: Connection, kind: str, *parts: str, generation: str | None = None) -> str:
    generation = generation or _generation(connection)
    digest = hashlib.sha256("|".join([connection.brand_id, connection.token_last4, *parts]).encode()).hexdigest()
    return f"surveys:{connection.pk}:{generation}:{kind}:{digest[:32]}"


def cache_forget(connection: Connection) -> None:
    """Drop what is cached for this connection's surveys (after each write made through the portal)."""
    cache.set(_generation_key(connection), uuid.uuid4().hex, None)


def _client(connection: Connection, actor):
    return connection_client(connection, actor=actor)


# --- status and facts -------------------------------------------------------------------------------


def parse_moment(value: Any) -> datetime.datetime | None:
    """A Qualtrics date (ISO 8601, with or without a zone, or "YYYY-MM-DD HH:MM:SS") as an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    parsed = parse_datetime(value.strip().replace(" ", "T"))
    if parsed is None:
        return None
    return timezone.make_aware(parsed, datetime.UTC) if timezone.is_naive(parsed) else parsed


@dataclass(frozen=True)
class Status:
    key: str  # active | inactive | closed
    label: str
    note: str = ""  # why closed, or when it opens or closes
    tone: str = "muted"  # the badge's tone: ok | muted | warn


def status_of(*, is_active: bool, starts: datetime.datetime | None, ends: datetime.datetime | None,
              now: datetime.datetime | None = None) -> Status:
    """Active, inactive, or closed by its expiration window (active, but before it opens or after it ends)."""
    now = now or timezone.now()
    if not is_active:
        return Status("inactive", "Inactive", "respondents cannot answer it", "muted")
    if ends is not None and ends <= now:
        return Status("closed", "Closed", f"its window ended {_when(ends)}", "warn")
    if starts is not None and starts > now:
        return Status("closed", "Closed", f"its window opens {_when(starts)}", "warn")
    return Status("active", "Active", f"until {_when(ends)}" if ends else "", "ok")


def _when(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y %H:%M}"


@dataclass(frozen=True)
class SurveyFacts:
    """What reading one survey tells beyond the list: its window and response counts."""

    survey_id: str
    name: str
    owner_id: str
    is_active: bool
    starts: datetime.datetime | None = None
    ends: datetime.datetime | None = None
    recorded: int | None = None  # responses recorded (Qualtrics' "auditable")
    test: int | None = None  # test responses generated in Qualtrics
    deleted: int | None = None

    @property
    def status(self) -> Status:
        return status_of(is_active=self.is_active, starts=self.starts, ends=self.ends)


def facts_from(survey: dict[str, Any], survey_id: str = "") -> SurveyFacts:
    window = survey.get("expiration") or {}
    counts = survey.get("responseCounts") or {}

    def count(key: str) -> int | None:
        value = counts.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return SurveyFacts(
        survey_id=str(survey.get("id") or survey_id),
        name=str(survey.get("name") or ""),
        owner_id=str(survey.get("ownerId") or ""),
        is_active=bool(survey.get("isActive")),
        starts=parse_moment(window.get("startDate")),
        ends=parse_moment(window.get("endDate")),
        recorded=count("auditable"),
        test=count("generated"),
        deleted=count("deleted"),
    )


@dataclass(frozen=True)
class FactsError:
    """A survey that could not be read (deleted in Qualtrics meanwhile, …)."""

    survey_id: str
    error: dict


def survey_facts(*, connection: Connection, actor, survey_ids: Iterable[str]) -> dict[str, SurveyFacts | FactsError]:
    """Facts of each survey, read in parallel (what was read in the last minute comes from the cache)."""
    wanted = list(dict.fromkeys(survey_ids))
    generation = _generation(connection)
    keys = {survey_id: _key(connection, "facts", survey_id, generation=generation) for survey_id in wanted}
    found: dict[str, Any] = {}
    cached = cache.get_many(list(keys.values()))
    for survey_id, key in keys.items():
        if key in cached:
            found[survey_id] = cached[key]
    missing = [survey_id for survey_id in wanted if survey_id not in found]
    if missing:
        client = _client(connection, actor)
        futures = {survey_id: background.start(client.surveys.get, survey_id) for survey_id in missing}
        fresh = {}
        for survey_id, future in futures.items():
            try:
                found[survey_id] = fresh[keys[survey_id]] = facts_from(future.result(), survey_id)
            except EXPLAINABLE_ERRORS as exc:
                found[survey_id] = FactsError(survey_id, explain(exc))
        cache.set_many(fresh, CACHE_SECONDS)
    return {survey_id: found[survey_id] for survey_id in wanted}


# --- the list -----------------------------------------------------------------------------------------


def survey_page(*, connection: Connection, actor, page_size: int, cursor: str | None) -> Page:
    """One page of the brand's surveys as Qualtrics lists them; the cursor is Qualtrics' nextPage URL."""
    return _client(connection, actor).surveys.list(page_size=page_size, page_url=cursor)


@dataclass
class SurveyList:
    items: list[dict]
    complete: bool  # False: the brand has more than SCAN_MAX surveys


def survey_list_all(*, connection: Connection, actor) -> SurveyList:
    """Every survey of the brand (at most SCAN_MAX), kept a minute: for searching, sorting and pickers."""
    key = _key(connection, "all")
    hit = cache.get(key)
    if hit is not None:
        return hit
    items = []
    complete = True
    for item in _client(connection, actor).surveys.list(page_size=100).iter_all():
        if len(items) >= SCAN_MAX:
            complete = False
            break
        items.append(item)
    found = SurveyList(items, complete)
    cache.set(key, found, CACHE_SECONDS)
    return found


def survey_search(*, connection: Connection, actor, name: str = "", status: str = "", owner_id: str = "",
                  sort: str = "", page_size: int = 25, offset: int = 0) -> Page:
    """The surveys whose name holds every word of `name`, with this status and owner, sorted; one page of
    them from `offset`. Read from the whole list, since Qualtrics can do none of this itself."""
    listed = survey_list_all(connection=connection, actor=actor)
    words = name.casefold().split()
    matches = [s for s in listed.items
               if all(word in (s.get("name") or "").casefold() for word in words)
               and (not owner_id or s.get("ownerId") == owner_id)]
    notes = []
    if status == "inactive":
        matches = [s for s in matches if not s.get("isActive")]
    elif status in ("active", "closed"):
        candidates = [s for s in matches if s.get("isActive")]
        if len(candidates) > FACTS_MAX:
            notes.append(f"Only the first {FACTS_MAX:,} active surveys were checked for their window.")
            candidates = candidates[:FACTS_MAX]
        facts = survey_facts(connection=connection, actor=actor, survey_ids=[s["id"] for s in candidates])
        matches = [s for s in candidates if isinstance(facts.get(s["id"]), SurveyFacts)
                   and facts[s["id"]].status.key == status]
    if sort in SORTS:
        _label, key, reverse = SORTS[sort]
        matches.sort(key=key, reverse=reverse)
    page = matches[offset: offset + page_size]
    following = offset + page_size if offset + page_size < len(matches) else None
    read = f"{len(listed.items):,} survey{'s' if len(listed.items) != 1 else ''}"
    notes.insert(0, f"Qualtrics cannot search, filter or sort surveys, so the portal read the brand's list ({read}) "
                    f"and kept {len(matches):,} that match.")
    if not listed.complete:
        notes.append(f"The brand has more than {SCAN_MAX:,} surveys: only the first {SCAN_MAX:,} were searched.")
    return Page(page, str(following) if following is not None else None, total=len(matches), notice=" ".join(notes))


# --- one survey ---------------------------------------------------------------------------------------


def survey_get(*, connection: Connection, actor, survey_id: str) -> dict[str, Any]:
    """One survey as Qualtrics reads it (raises NotFoundError when it is gone); its facts are cached too."""
    survey = _client(connection, actor).surveys.get(survey_id)
    survey.setdefault("id", survey_id)
    cache.set(_key(connection, "facts", survey_id), facts_from(survey, survey_id), CACHE_SECONDS)
    return survey


def anonymous_link(base_url: str, survey_id: str) -> str:
    """The survey's anonymous link: the brand's survey host, /jfe/form/, the survey ID."""
    return f"{base_url.rstrip('/')}/jfe/form/{survey_id}" if base_url else ""


def survey_definition(*, connection: Connection, actor, survey_id: str) -> definition.Summary:
    return definition.summarise(_client(connection, actor).survey_definitions.get(survey_id))


@dataclass(frozen=True)
class Quota:
    name: str
    count: int
    limit: int
    logic: str

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.count / self.limit)) if self.limit > 0 else 0

    @property
    def met(self) -> bool:
        return self.limit > 0 and self.count >= self.limit


def survey_quotas(*, connection: Connection, actor, survey_id: str) -> list[Quota]:
    quotas = []
    for item in _client(connection, actor).surveys.list_quotas(survey_id).iter_all():
        count, limit = item.get("count"), item.get("quota")
        quotas.append(Quota(str(item.get("name") or item.get("id") or "Quota"),
                            count if isinstance(count, int) else 0, limit if isinstance(limit, int) else 0,
                            "cross (combinations)" if item.get("logicType") == "Cross" else "simple"))
    return quotas


def survey_filters(*, connection: Connection, actor, survey_id: str) -> list[str]:
    """The names of the survey's saved response filters."""
    return sorted((str(f.get("name") or f.get("filterId")) for f in
                   _client(connection, actor).surveys.list_filters(survey_id).iter_all()), key=str.casefold)


def survey_qsf(*, connection: Connection, actor, survey_id: str) -> tuple[str, bytes]:
    """The survey's name and its .qsf file's bytes (JSON), as Qualtrics exports it."""
    document = _client(connection, actor).survey_definitions.export_qsf(survey_id)
    name = str(((document or {}).get("SurveyEntry") or {}).get("SurveyName") or "")
    return name, json.dumps(document, ensure_ascii=False, indent=1).encode()


# --- owners by name --------------------------------------------------------------------------------


@dataclass
class Owners:
    names: dict[str, str] = field(default_factory=dict)  # UR_… -> "First Last"
    error: str = ""

    def label(self, owner_id: str) -> str:
        return self.names.get(owner_id) or owner_id or "—"

    def choices(self) -> list[tuple[str, str]]:
        return sorted(self.names.items(), key=lambda pair: pair[1].casefold())


def _person(user: dict[str, Any]) -> str:
    name = " ".join(p for p in (user.get("firstName"), user.get("lastName")) if p)
    return name or str(user.get("username") or user.get("userName") or user.get("id") or "")


def owner_names(*, connection: Connection, actor) -> Owners:
    """The brand's users by name, kept a minute. Qualtrics lets only brand administrators list users;
    any other token knows only itself, and other owners are shown by their ID."""
    key = _key(connection, "owners")
    hit = cache.get(key)
    if hit is not None:
        return hit
    client = _client(connection, actor)
    owners = Owners()
    try:
        for count, user in enumerate(client.users.list(page_size=100).iter_all(), start=1):
            if user.get("id"):
                owners.names[user["id"]] = _person(user)
            if count >= OWNERS_MAX:
                break
    except PermissionDeniedError as exc:
        owners.error = "Only a brand administrator's token may list the brand's users: other owners show as IDs."
        if isinstance(exc, MissingScopeError):
            owners.error = f"{explain(exc)['title']}. Until then, other owners show as IDs."
        try:
            me = client.whoami()
        except QualtricsError:
            me = {}
        if me.get("userId"):
            owners.names[me["userId"]] = _person({**me, "username": me.get("userName")})
    except QualtricsError as exc:
        return Owners(error=f"Qualtrics did not list the brand's users just now ({explain(exc)['title']}).")
    cache.set(key, owners, CACHE_SECONDS)
    return owners


# --- work other apps keep on a survey -------------------------------------------------------------------


def survey_work(*, connection: Connection, survey_id: str) -> list[Dependents]:
    """Everything other apps keep on this survey (distributions scheduled or sent through the portal…)."""
    return answers(survey_dependents, connection=connection, survey_id=survey_id, pending_only=False)


def survey_pending_work(*, connection: Connection, survey_id: str) -> list[Dependents]:
    """What deleting the survey would make fail: scheduled distributions, …"""
    return answers(survey_dependents, connection=connection, survey_id=survey_id, pending_only=True)


# --- the survey picker ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    detail: str = ""
    inactive: bool = False


def _choice(item: dict[str, Any]) -> Choice:
    active = bool(item.get("isActive"))
    return Choice(item["id"], item.get("name") or item["id"], f"{'active' if active else 'inactive'} · {item['id']}",
                  inactive=not active)


def survey_choices(*, connection: Connection, actor, q: str = "", selected: str = "") -> list[Choice]:
    """Surveys matching `q` (name or ID), active ones first; the current choice is always among them."""
    listed = survey_list_all(connection=connection, actor=actor).items
    everything = sorted((_choice(s) for s in listed if s.get("id")), key=lambda c: (c.inactive, c.label.casefold()))
    words = q.casefold().split()
    shown = [c for c in everything if all(w in f"{c.label} {c.value}".casefold() for w in words)][:PICKER_SHOWN]
    if selected and not any(c.value == selected for c in shown):
        shown = [c for c in everything if c.value == selected] + shown
    return shown
