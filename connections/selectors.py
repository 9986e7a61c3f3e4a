from __future__ import annotations

import datetime

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from web.charts import Bar, BarChart
from web.sorting import Sort

from .access import connections_for, role_for
from .models import AuditEvent, Connection, ConnectionShare, Role
from .signals import Dependents, answers, connection_dependents

SESSION_KEY = "current_connection_id"
RECENT_SESSION_KEY = "recent_connection_ids"
# The switcher lists every connection up to this many; beyond, the recently used ones and a search.
SWITCHER_LISTS_ALL_UP_TO = 10
RECENT_KEPT = 6
SWITCHER_FIELDS = ("pk", "name", "brand_id", "datacenter")


def current_connection_for(request) -> Connection | None:
    """The connection in the URL, else the one last used in this session (if still accessible)."""
    connection = getattr(request, "connection", None)
    if connection is not None:
        if request.session.get(SESSION_KEY) != connection.pk:
            remember_current(request.session, connection.pk)
        return connection
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    connection = Connection.objects.filter(pk=pk).first()
    if connection is None or role_for(request.user, connection) is None:
        request.session.pop(SESSION_KEY, None)
        return None
    return connection


def remember_current(session, pk: int) -> None:
    """Make `pk` this session's current connection, first among the recently used ones."""
    session[SESSION_KEY] = pk
    recent = [pk] + [other for other in session.get(RECENT_SESSION_KEY, []) if other != pk]
    session[RECENT_SESSION_KEY] = recent[:RECENT_KEPT]


def switcher_connections_for(request) -> tuple[list[Connection], bool]:
    """What the connection switcher lists, and whether it also offers a search: every connection when the
    user has few, else those used recently in this session. Costs the same for 10 or 5,000 connections."""
    mine = connections_for(request.user).only(*SWITCHER_FIELDS).order_by()
    # In no order, so the database stops at the first few it finds rather than sorting them all; sorted here.
    few = list(mine[: SWITCHER_LISTS_ALL_UP_TO + 1])
    if len(few) <= SWITCHER_LISTS_ALL_UP_TO:
        return sorted(few, key=lambda c: (c.name.casefold(), c.name, c.pk)), False
    recent = request.session.get(RECENT_SESSION_KEY, [])
    found = {c.pk: c for c in mine.filter(pk__in=recent)}
    return [found[pk] for pk in recent if pk in found], True


def switcher_search(user, text: str, *, limit: int = 20) -> list[Connection]:
    """The user's connections whose name, brand or datacenter contains `text`, by name."""
    text = text.strip()
    mine = connections_for(user).only(*SWITCHER_FIELDS).order_by("name", "pk")
    if text:
        mine = mine.filter(Q(name__icontains=text) | Q(brand_id__icontains=text) | Q(datacenter__icontains=text))
    return list(mine[:limit])


FAILING = Q(last_check_ok=False) | Q(token_rejected_at__isnull=False)
DATED = Q(enabled=True, expires_on__isnull=False)


def connection_tallies_for(user, *, request=None) -> dict[str, int | None]:
    """How many connections the user sees (`total`), how many of them fail their check (`failing`), and the
    widest notice window among those enabled with an expiration date (`widest`, None when there are none):
    one pass over the user's connections, kept on the request when given."""
    remembered = getattr(request, "_connection_tallies", None)
    if remembered is not None:
        return dict(remembered)
    tallies = connections_for(user).aggregate(total=Count("pk"), failing=Count("pk", filter=FAILING),
                                              widest=Max("notify_days_before", filter=DATED))
    if request is not None:
        request._connection_tallies = tallies
    return dict(tallies)


def first_by_name(connections: QuerySet[Connection], count: int) -> list[Connection]:
    """The first `count` of `connections` by name, with their owners. Sorted on the name and id alone, then
    read in full for those few: sorting thousands of whole rows (joined to their owners) costs far more."""
    ids = list(connections.order_by("name", "pk").values_list("pk", flat=True)[:count])
    found = Connection.objects.select_related("owner").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def expiring_connection_ids_for(user, *, today: datetime.date | None = None, request=None) -> list[int]:
    """Ids of the user's enabled connections whose expiration date is inside their notice window (or past),
    soonest first. Read as plain values: cheap for thousands of connections. Given the request, kept on it
    (the dashboard and its banners ask alike)."""
    today = today or timezone.localdate()
    remembered = getattr(request, "_expiring_connection_ids", None)
    if remembered is not None and remembered[0] == today:
        return list(remembered[1])
    qs = connections_for(user).filter(DATED)
    # Only as far ahead as the widest notice window among them: a few rows rather than a hundred days' worth.
    widest = connection_tallies_for(user, request=request)["widest"]
    due = []
    if widest is not None:
        qs = qs.filter(expires_on__lte=today + datetime.timedelta(days=widest))
        due = [(expires_on, name, pk) for pk, name, expires_on, notice in
               qs.values_list("pk", "name", "expires_on", "notify_days_before")
               if (expires_on - today).days <= notice]
    ids = [pk for _expires_on, _name, pk in sorted(due)]
    if request is not None:
        request._expiring_connection_ids = (today, ids)
    return list(ids)


def expiring_connections_for(user, *, today: datetime.date | None = None, limit: int | None = None,
                             ids: list[int] | None = None) -> list[Connection]:
    """The user's enabled connections whose expiration date is inside their notice window (or past), soonest
    first; the first `limit` of them when given (of `ids`, when the caller already has them)."""
    ids = expiring_connection_ids_for(user, today=today) if ids is None else ids
    chosen = ids[:limit] if limit is not None else ids
    found = Connection.objects.select_related("owner").in_bulk(chosen)
    return [found[pk] for pk in chosen if pk in found]


def failing_connections_for(user) -> QuerySet[Connection]:
    return connections_for(user).filter(FAILING)


def audit_events_for(*, connection: Connection, action: str = "", actor: str = "", outcome: str = "",
                     since=None, until=None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(connection=connection)
    if action:
        qs = qs.filter(action__icontains=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs



def connection_rows_for(user, *, search: str = "", sort: Sort | None = None) -> list[Connection]:
    """The user's connections for the list screen (by name, or in `sort`), each with `.my_role` and
    `.share_list` set."""
    qs = connections_for(user).select_related("owner").prefetch_related("shares__user", "shares__team")
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(brand_id__icontains=search) | Q(datacenter__icontains=search)
            | Q(description__icontains=search)
        )
    team_ids = set(user.groups.values_list("pk", flat=True)) if user.is_authenticated else set()
    rows = list(sort.apply(qs) if sort else qs.order_by("name", "pk"))
    for connection in rows:
        shares = sorted(connection.shares.all(), key=share_order)
        connection.share_list = shares
        connection.my_role = _role_from(user, connection, shares, team_ids)
    return rows


def _role_from(user, connection: Connection, shares, team_ids) -> Role | None:
    if user.is_superuser or connection.owner_id == user.pk:
        return Role.MANAGER
    roles = [s.role for s in shares if s.user_id == user.pk or (s.team_id and s.team_id in team_ids)]
    return Role(max(roles)) if roles else None


def share_label(share: ConnectionShare) -> str:
    return f"{share.team.name}" if share.team_id else share.user.get_username()


def share_order(share: ConnectionShare) -> tuple:
    """Highest role first; within a role, teams before people; then by name."""
    return (-share.role, share.team_id is None, share_label(share).lower())


def shares_of(connection: Connection) -> list[ConnectionShare]:
    shares = ConnectionShare.objects.filter(connection=connection).select_related("user", "team")
    return sorted(shares, key=share_order)


def dependents_of(connection: Connection) -> list[Dependents]:
    """The work other apps keep on this connection (each app answers through `connection_dependents`)."""
    return answers(connection_dependents, connection=connection)


def audit_actions_for(connection: Connection) -> list[str]:
    return list(
        AuditEvent.objects.filter(connection=connection).order_by("action").values_list("action", flat=True).distinct()
    )


def connections_due_for_expiry_check(*, today: datetime.date | None = None) -> list[int]:
    """Ids of enabled connections whose expiration date is inside the widest notice window, or past."""
    today = today or timezone.localdate()
    return list(
        Connection.objects.filter(
            enabled=True, expires_on__isnull=False, expires_on__lte=today + datetime.timedelta(days=100)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def connections_due_for_token_check() -> list[int]:
    return list(Connection.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))


def rate_budget_day(connection: Connection) -> BarChart | None:
    """The calls the brand's shared rate budget let through in each of the last 24 hours (every connection to
    the brand, every process), hours in the viewer's time zone; None while the cache cannot say."""
    from django.conf import settings

    from web.cache import UNREACHABLE

    from .qualtrics_client import shared_rate_limiter

    try:
        hours = shared_rate_limiter().hourly_use(connection.budget_key, hours=24)
    except UNREACHABLE:
        return None
    per_hour = settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE * 60
    bars = [Bar(timezone.localtime(datetime.datetime.fromtimestamp(start, datetime.UTC)).strftime("%H:00"), calls)
            for start, calls in hours]
    return BarChart(title="Calls to Qualtrics in each of the last 24 hours", bars=bars, unit="calls",
                    limit=per_hour, limit_label=f"the brand's {per_hour:,} calls an hour", label_every=6)
