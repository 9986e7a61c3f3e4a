"""Charts drawn on the server: bars as inline SVG, a funnel as plain HTML, nothing fetched from anywhere.

Each chart is a value object the view builds from its figures; `{% bar_chart %}` and `{% funnel %}` (in
`web.templatetags.charts`) draw it. Pictures are for people who would rather look than read, so every
chart also carries its numbers as text: a short summary read out in place of the picture and a table
that screen readers find (and that anyone can open under the chart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma


@dataclass(frozen=True)
class Bar:
    """One figure: what it counts (`label`), how many, and an optional word beside it."""

    label: str
    value: int
    note: str = ""


@dataclass(frozen=True)
class BarChart:
    """Vertical bars over time or categories, scaled to the largest; `limit` (a budget) marks bars that come
    near it (`warn_share` of it) and is said in the summary."""

    title: str
    bars: Sequence[Bar]
    unit: str = "calls"
    unit_one: str = "call"
    limit: int | None = None
    limit_label: str = ""
    label_every: int = 1  # put every n-th label under the axis; the table has them all
    warn_share: float = 0.8
    height: int = 100  # of the drawing, in its own units (the SVG stretches to the width it is given)

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.value) if self.bars else None

    @property
    def summary(self) -> str:
        peak = self.peak
        if peak is None or peak.value == 0:
            return f"{self.title}: none."
        text = f"{self.title}: {self.count(self.total)} in all, most in {peak.label} ({intcomma(peak.value)})."
        if self.limit:
            limit = self.limit_label or intcomma(self.limit)
            text += f" The busiest used {self.share_of_limit(peak.value)} of {limit}."
        return text

    def count(self, value: int) -> str:
        return f"{intcomma(value)} {self.unit_one if value == 1 else self.unit}"

    @property
    def top(self) -> int:
        """The figure the tallest bar stands for (the scale's top)."""
        return max((bar.value for bar in self.bars), default=0)

    def share_of_limit(self, value: int) -> str:
        share = value / self.limit if self.limit else 0
        return f"{share:.0%}" if share >= 0.01 or value == 0 else "under 1%"

    def columns(self) -> list[dict]:
        """Where each bar goes in a drawing `len(bars)` units wide and `height` high."""
        top = self.top or 1
        drawn = []
        for index, bar in enumerate(self.bars):
            tall = round(self.height * bar.value / top, 2) if bar.value else 0
            near_limit = bool(self.limit) and bar.value >= self.warn_share * self.limit
            drawn.append({
                "x": index + 0.1, "width": 0.8, "y": round(self.height - tall, 2), "height": tall, "bar": bar,
                "labelled": index % max(self.label_every, 1) == 0, "near_limit": near_limit,
            })
        return drawn


@dataclass(frozen=True)
class Funnel:
    """Steps that each keep part of the first (sent → opened → started → finished), with figures beside them
    that fell out along the way (bounced, failed)."""

    title: str
    steps: Sequence[Bar]
    aside: Sequence[Bar] = ()

    def rows(self) -> list[dict]:
        first = self.steps[0].value if self.steps else 0
        rows = []
        for step in self.steps:
            share = step.value / first if first else 0
            rows.append({"bar": step, "percent": round(min(share, 1) * 100, 1),
                         "share": f"{share:.0%}" if first else "–"})
        return rows

    @property
    def summary(self) -> str:
        parts = [f"{step.label} {intcomma(step.value)}" for step in self.steps]
        parts += [f"{bar.label.lower()} {intcomma(bar.value)}" for bar in self.aside]
        return f"{self.title}: " + ", ".join(parts) + "."
