"""Reads of the workflows app: the portal's triggers and runs, and what the forms read from Qualtrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, QuerySet
from django.http import Http404

from connections.models import Connection
from connections.qualtrics_client import connection_client

from .models import ItemState, Run, RunItem, RunKind, RunState, Trigger

FAILURES_SHOWN = 100


def trigger_list(*, connection: Connection, search: str = "") -> QuerySet[Trigger]:
    qs = Trigger.objects.filter(connection=connection).annotate(last_run_at=Max("runs__created_at"),
                                                                run_count=Count("runs"))
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.select_related("created_by")


def trigger_get(*, connection: Connection, trigger_id) -> Trigger:
    try:
        return Trigger.objects.select_related("connection", "created_by").get(connection=connection,
                                                                              pk=int(trigger_id))
    except (Trigger.DoesNotExist, ValueError, TypeError):
        raise Http404("No such trigger") from None


def runs_of(*, trigger: Trigger, limit: int = 25) -> list[Run]:
    runs = list(trigger.runs.select_related("created_by")[:limit])
    counts: dict[int, dict[str, int]] = {}
    for row in RunItem.objects.filter(run__in=runs).values("run_id", "state").annotate(n=Count("pk")):
        counts.setdefault(row["run_id"], {})[row["state"]] = row["n"]
    for run in runs:
        run.counts = counts.get(run.pk, {})
    return runs


def run_get(*, connection: Connection, run_id) -> Run:
    try:
        return Run.objects.select_related("trigger", "connection", "created_by").get(connection=connection,
                                                                                    pk=int(run_id))
    except (Run.DoesNotExist, ValueError, TypeError):
        raise Http404("No such run") from None


@dataclass
class Progress:
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    @property
    def finished(self) -> int:
        return sum(self.counts.get(s, 0) for s in (ItemState.SENT, ItemState.FAILED, ItemState.IN_DOUBT,
                                                   ItemState.CANCELLED))

    @property
    def percent(self) -> int:
        return int(100 * self.finished / self.total) if self.total else 0

    def __getattr__(self, name: str) -> int:
        if name in ItemState.values:
            return self.counts.get(name, 0)
        raise AttributeError(name)


def run_progress(*, run: Run) -> Progress:
    counts = {row["state"]: row["n"] for row in run.items.values("state").annotate(n=Count("pk"))}
    return Progress(counts, sum(counts.values()))


def run_problems(*, run: Run, limit: int = FAILURES_SHOWN) -> list[RunItem]:
    """Events that failed or may have arrived, and waiting ones with a problem to show (first `limit`)."""
    return list(run.items.filter(state__in=(ItemState.FAILED, ItemState.IN_DOUBT)).order_by("pk")[:limit])


def run_single_item(*, run: Run) -> RunItem | None:
    return run.items.first() if run.kind == RunKind.SINGLE else None


def active_run_of(*, trigger: Trigger) -> Run | None:
    return trigger.runs.filter(state__in=(RunState.PLANNING, RunState.SENDING, RunState.HELD)).first()


# --- from Qualtrics (through the client, for the forms) ---------------------------------------------


def directory_choices(*, connection: Connection, actor) -> list[tuple[str, str]]:
    client = connection_client(connection, actor=actor)
    return [(d["directoryId"], d.get("name") or d["directoryId"]) for d in client.directories.list().iter_all()
            if d.get("directoryId")]


def mailing_list_choices(*, connection: Connection, actor, directory_id: str) -> list[tuple[str, str]]:
    client = connection_client(connection, actor=actor)
    rows = client.mailing_lists.list(directory_id, include_count=True).iter_all()
    choices = []
    for row in rows:
        list_id = row.get("mailingListId") or row.get("id")
        if not list_id:
            continue
        count = row.get("contactCount")
        label = row.get("name") or list_id
        choices.append((list_id, f"{label} ({count:,} members)" if isinstance(count, int) else label))
    return choices


def contact_get(*, connection: Connection, actor, directory_id: str, contact_id: str) -> dict:
    contact = connection_client(connection, actor=actor).contacts.get(directory_id, contact_id)
    contact.setdefault("contactId", contact_id)
    return contact
