"""Hooks for the apps that keep work on a survey (distributions scheduled in the portal, …).

Those apps sit above `surveys` and import it; `surveys` never imports them. A survey's page and its
delete confirmation ask through `survey_dependents`; deleting a survey sends `survey_deleted`. Each app
connects its receivers in its `AppConfig.ready()`. Both signals are sent with `sender=SENDER`,
`connection=` and `survey_id=`; the answers use the connections app's `Dependents` words.
"""

from __future__ import annotations

from django.dispatch import Signal

from connections.signals import Dependent, Dependents

SENDER = "surveys"

survey_dependents = Signal()
"""Asked with `pending_only=`: each receiver returns a `Dependents` describing its work on the survey
(all of it for the survey's page; with `pending_only=True`, only what deleting the survey would make
fail, for the delete confirmation), or None."""

survey_deleted = Signal()
"""Sent once Qualtrics has deleted the survey, inside a transaction, with `survey_name=` and `actor=`:
each receiver cancels its pending work on the survey (saying why on that work's own record) and returns
a `Dependents` of what it cancelled, or None."""


def answers(signal: Signal, **kwargs) -> list[Dependents]:
    """What every receiver of `signal` answered, in the order they were connected."""
    return [response for _receiver, response in signal.send(sender=SENDER, **kwargs) if response is not None]


__all__ = ["SENDER", "Dependent", "Dependents", "answers", "survey_deleted", "survey_dependents"]
