"""Leases: one worker at a time on a long job's row (an export, an import, a workflow run's planning).

A job advances in steps, each a Celery task that may run on any worker, and several may be queued for the
same row at once (a sweep re-enqueues what looks stalled). A step first takes the row's lease: an UPDATE
that succeeds only where nobody holds one or the holder's has expired (it died). Only the step holding the
lease writes the row, always through `mine`, so a step that lost it to a takeover writes nothing. The
step ends by releasing the lease and saying when the next one is due.

The row's model has `lease_token`, `lease_expires_at` and `next_run_at`.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Lease:
    rows: QuerySet
    pk: Any
    token: str
    seconds: float

    @staticmethod
    def free(now: datetime.datetime) -> Q:
        """Rows nobody holds now: never leased, released, or leased by a worker that stopped renewing."""
        return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)

    @classmethod
    def take(cls, rows: QuerySet, pk: Any, *, seconds: float, **also: Any) -> Lease | None:
        """The lease on row `pk` of `rows` (which may narrow it, by status say), or None when another step
        holds it or the row is not among `rows`. `also` are fields written by the same UPDATE."""
        token = uuid.uuid4().hex
        now = timezone.now()
        taken = rows.filter(cls.free(now), pk=pk).update(
            lease_token=token, lease_expires_at=now + datetime.timedelta(seconds=seconds), **also
        )
        return cls(rows.model._default_manager.all(), pk, token, seconds) if taken else None

    @property
    def mine(self) -> QuerySet:
        """The row, while this lease holds it (empty once another step took it over)."""
        return self.rows.filter(pk=self.pk, lease_token=self.token)

    def expiry(self) -> datetime.datetime:
        """When the lease ends if renewed now: for an UPDATE through `mine` that also renews it."""
        return timezone.now() + datetime.timedelta(seconds=self.seconds)

    def renew(self, **also: Any) -> bool:
        """Push the expiry on (a long step calls this as it goes); False when the lease was lost."""
        return bool(self.mine.update(lease_expires_at=self.expiry(), **also))

    def release(self, *, next_run_in: float | None = None) -> None:
        """Let the next step take the row, and note when it is due (`next_run_in` seconds; None: no
        further step is planned). Nothing happens when the lease was lost meanwhile."""
        changes: dict[str, Any] = {"lease_token": "", "lease_expires_at": None}
        if next_run_in is not None:
            changes["next_run_at"] = timezone.now() + datetime.timedelta(seconds=next_run_in)
        self.mine.update(**changes)
