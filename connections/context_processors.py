"""Context for the base layout: the current connection, the switcher, the section links and the expiry banner."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import Role


@dataclass(frozen=True)
class Section:
    """One area of a connection in the navigation: shown to those holding at least `role` on it (an app
    may hide it further through the `connection_section_visible` hook)."""

    name: str
    label: str
    url_name: str  # takes connection_id
    role: Role = Role.VIEWER
    # The OAuth scope families its first screen reads (an OAuth connection lacking one is marked).
    scope_families: tuple[str, ...] = ()

    def missing_scope(self, connection) -> str:
        """The first read scope this section needs that an OAuth connection was not granted ("" if none)."""
        for family in self.scope_families:
            lacking = connection.lacks_scope(family)
            if lacking:
                return lacking
        return ""


SECTIONS = (
    Section("directory", "Directory", "contacts:home", scope_families=("directories",)),
    Section("surveys", "Surveys", "surveys:survey_list", scope_families=("surveys",)),
    Section("brandadmin", "Users & Groups", "brandadmin:user_list", scope_families=("users", "groups")),
    Section("distributions", "Distributions", "distributions:distribution_list", scope_families=("distributions",)),
    Section("workflows", "Workflows", "workflows:trigger_list", Role.OPERATOR),
    Section("console", "API console", "apiconsole:console", Role.OPERATOR),
    Section("gateway", "API keys", "gateway:key_list", Role.MANAGER),
    Section("subscriptions", "Subscriptions", "subscriptions:subscription_list", Role.MANAGER,
            scope_families=("subscriptions",)),
    Section("audit", "Audit", "connections:connection_audit", Role.MANAGER),
)
SECTION_OF_NAMESPACE = {
    "contacts": "directory",
    "surveys": "surveys",
    "responses": "surveys",  # a survey's exports, responses and imports
    "brandadmin": "brandadmin",
    "distributions": "distributions",
    "workflows": "workflows",
    "apiconsole": "console",
    "gateway": "gateway",
    "subscriptions": "subscriptions",
}


def section_url(section: str, connection_id) -> str | None:
    for candidate in SECTIONS:
        if candidate.name == section:
            try:
                return reverse(candidate.url_name, kwargs={"connection_id": connection_id})
            except NoReverseMatch:
                return None
    return None


def sections_for(user, connection, role: Role | None) -> list[Section]:
    """The sections of `connection` that `user`, holding `role` on it, may open."""
    from .signals import connection_section_visible

    if role is None:
        return []
    shown = []
    for section in SECTIONS:
        if role < section.role:
            continue
        answers = connection_section_visible.send(
            sender=Section, section=section.name, connection=connection, user=user, role=role
        )
        if any(answer is False for _receiver, answer in answers):
            continue
        shown.append(section)
    return shown


def layout(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from accounts.selectors import manages_any_team
    from connections.access import role_for
    from connections.selectors import current_connection_for, switcher_connections_for

    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    url_name = match.url_name if match else ""
    section = SECTION_OF_NAMESPACE.get(namespace, "")
    if namespace == "connections":
        section = "audit" if url_name == "connection_audit" else "connections"

    current = current_connection_for(request)
    if current is not None:
        role = getattr(request, "connection_role", None) if getattr(request, "connection", None) == current else None
        visible = sections_for(user, current, role if role is not None else role_for(user, current))
    else:  # no connection chosen yet: the sections any role sees, each leading to the choice of one
        visible = [s for s in SECTIONS if s.role == Role.VIEWER]
    links = []
    for item in visible:
        url = section_url(item.name, current.pk) if current else None
        if url is None:
            url = reverse("connections:connection_list") + f"?section={item.name}"
        missing = item.missing_scope(current) if current is not None else ""
        links.append({"section": item.name, "label": item.label, "url": url, "missing_scope": missing})
    switcher, switcher_searches = switcher_connections_for(request)
    banners = _expiry_banners(request, on_dashboard=not namespace and url_name == "dashboard")
    return {
        "current_connection": current,
        "switcher_connections": switcher,
        "switcher_searches": switcher_searches,
        "section": section,
        "section_links": links,
        "expiring_connections": _with_rotate_permission(user, banners),
        "manages_teams": manages_any_team(user),
    }


BANNERS_SHOWN = 3


def _expiry_banners(request, *, on_dashboard: bool) -> list:
    """A connection's expiry banner shows on the dashboard and on that connection's own pages, unless the
    user put it away (for a day)."""
    from connections.models import Connection
    from connections.selectors import expiring_connection_ids_for, expiring_connections_for

    here = getattr(request, "connection", None)
    if here is not None and not on_dashboard:
        if not (here.enabled and here.expiry_status() in {"soon", "expired"}):
            return []
        ids = [here.pk]
    elif on_dashboard:
        ids = expiring_connection_ids_for(request.user, request=request)
    else:
        return []
    try:
        profile = request.user.profile
    except ObjectDoesNotExist:
        profile = None
    if profile is not None:
        now = timezone.now()
        ids = [pk for pk in ids if not profile.hides(Connection(pk=pk).expiry_notice_key, now)]
    if ids == [getattr(here, "pk", None)]:
        return [here]
    # The soonest few: the dashboard lists them all, a page of banners would push its content away.
    return expiring_connections_for(request.user, ids=ids, limit=BANNERS_SHOWN)


def _with_rotate_permission(user, connections):
    from connections.access import role_for

    for connection in connections:
        role = role_for(user, connection)
        connection.can_rotate = role is not None and role >= Role.MANAGER
    return connections
