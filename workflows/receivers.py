"""How workflow runs answer the connections app's hooks (connected in WorkflowsConfig.ready())."""

from __future__ import annotations

from collections.abc import Iterable

from connections.signals import Dependent, Dependents

from . import services
from .models import ACTIVE_RUN_STATES, Run


def active_runs(sender, *, connection, **kwargs) -> Dependents:
    """The runs still sending through `connection`, for its page and its delete confirmation."""
    return _as_dependents(_active(connection))


def cancel_active_runs(sender, *, connection, actor, **kwargs) -> Dependents:
    """The connection is being deleted: stop its runs (what is on its way finishes) and say which."""
    runs = list(_active(connection))
    for run in runs:
        services.run_cancel(run=run, actor=actor)
    return _as_dependents(runs)


def _active(connection):
    return Run.objects.filter(connection=connection, state__in=ACTIVE_RUN_STATES).select_related("trigger")


def _as_dependents(runs: Iterable[Run]) -> Dependents:
    return Dependents(
        title="Workflow runs sending",
        noun="workflow run(s)",
        fate="will stop: their events not sent yet will not be",
        none_text="No workflow run is sending through this connection.",
        items=tuple(Dependent(label=f"{run.trigger.name}: {run.source_label or run.get_kind_display()}",
                              url=run.get_absolute_url(), note=run.get_state_display().lower()) for run in runs),
    )
