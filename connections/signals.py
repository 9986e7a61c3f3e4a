"""Hooks for the apps that keep work on a connection (scheduled distributions, …).

Those apps sit above `connections` and import it; `connections` never imports them. When a connection
is shown or deleted it asks through these signals, and each app connects its receivers in its
`AppConfig.ready()`. The first two are sent with `sender=Connection` and `connection=`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

from .models import Connection

connection_dependents = Signal()
"""Asked for the connection's page and its delete confirmation: each receiver returns a `Dependents`
describing the work it keeps on `connection` (possibly with no items), or None."""

connection_deleting = Signal()
"""Sent inside the deletion's transaction, before the row goes, with `actor=` (who deletes it): each
receiver cancels its work on `connection` and returns a `Dependents` of what it cancelled, or None.
An exception rolls the deletion back."""

connection_section_visible = Signal()
"""Asked for each section of a connection's navigation that a user's role allows, with `section=` (its
name), `connection=`, `user=` and `role=`: a receiver returns False to hide it (the app guards it with a
rule of its own), None when it has no say. Sent with `sender=Section`."""


@dataclass(frozen=True)
class Dependent:
    """One piece of work that depends on a connection."""

    label: str
    url: str = ""
    note: str = ""  # shown beside the label on the delete confirmation, e.g. when it is due


@dataclass(frozen=True)
class Dependents:
    """Work of one kind that an app keeps on a connection, in the words the connection's pages use."""

    title: str  # heading on the connection's page: "Scheduled distributions"
    noun: str  # counted: "3 scheduled distribution(s)"
    items: tuple[Dependent, ...] = ()
    fate: str = ""  # what deleting the connection does to them: "will be cancelled before they are sent"
    none_text: str = ""  # said on the delete confirmation when there are none

    def confirmation_lines(self) -> list[str]:
        """The lines of the delete confirmation that speak of this work."""
        if not self.items:
            return [self.none_text] if self.none_text else []
        heading = f"{len(self.items)} {self.noun} {self.fate}:" if self.fate else f"{len(self.items)} {self.noun}:"
        return [heading, *(f"— {item.label}" + (f" ({item.note})" if item.note else "") for item in self.items)]

    def summary(self) -> str:
        """"2 scheduled distribution(s): Spring invite, Reminder": what was cancelled, in one line."""
        return f"{len(self.items)} {self.noun}: " + ", ".join(item.label for item in self.items)


def answers(signal: Signal, **kwargs) -> list[Dependents]:
    """What every receiver of `signal` answered, in the order they were connected."""
    return [response for _receiver, response in signal.send(sender=Connection, **kwargs) if response is not None]
