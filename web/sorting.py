"""Sorting a list of the portal's own records by a click on a column's heading.

The URL carries the order (`?sort=send_at`, `?sort=-send_at` for descending), so a sorted list can be
bookmarked, shared and paged. A key the list does not offer is ignored (the list keeps its own order), never
an error. Lists of what only Qualtrics holds cannot be sorted this way: its API pages them in its own order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet


@dataclass(frozen=True)
class Sort:
    key: str  # the field or annotation sorted by
    descending: bool = False

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def apply(self, queryset: QuerySet) -> QuerySet:
        """`queryset` in this order; rows without a value last either way, and the primary key breaking ties
        so that pages never overlap."""
        field = F(self.key)
        pk = queryset.model._meta.pk.name
        return queryset.order_by(field.desc(nulls_last=True) if self.descending else field.asc(nulls_last=True),
                                 f"-{pk}" if self.descending else pk)


def sort_from(value: str | None, keys: Iterable[str]) -> Sort | None:
    """The order a `sort` parameter asks for, if `keys` offers it."""
    value = value or ""
    key = value.removeprefix("-")
    return Sort(key, value.startswith("-")) if key and key in set(keys) else None


def query_of(request):
    """For `heading`: the request's query string with `sort` set (and any page cursor dropped: a new order
    starts on the first page)."""
    def query(**params) -> str:
        q = request.GET.copy()
        q.pop("page", None)
        for key, value in params.items():
            q[key] = value
        return q.urlencode()
    return query


def unsorted_query(request) -> str:
    """The request's query string without the chosen order (nor a page cursor): the list in its own order."""
    q = request.GET.copy()
    for key in ("page", "sort"):
        q.pop(key, None)
    return q.urlencode()


def heading(label: str, key: str, current: Sort | None, query, css: str = "") -> dict:
    """A column heading for the `sort_headings` tag (web.templatetags.crud): `query(sort=…)` builds the link's
    query string. The first click sorts ascending, the next one the other way; `aria_sort` tells screen readers
    the order."""
    if not key:
        return {"label": label, "aria_sort": "", "query": "", "css": css}
    active = current is not None and current.key == key
    aria_sort = ("descending" if current.descending else "ascending") if active else "none"
    following = Sort(key, descending=active and not current.descending)
    return {"label": label, "aria_sort": aria_sort, "query": query(sort=following.param), "css": css}
