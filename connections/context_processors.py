"""Context for the base layout: the current connection, the switcher, the section links and the expiry banner."""

from django.urls import NoReverseMatch, reverse

SECTIONS = (
    # (section, label, URL name taking connection_id)
    ("directory", "Directory", "contacts:home"),
    ("surveys", "Surveys", "surveys:survey_list"),
    ("brandadmin", "Users & Groups", "brandadmin:user_list"),
    ("distributions", "Distributions", "distributions:distribution_list"),
    ("audit", "Audit", "connections:connection_audit"),
)
SECTION_OF_NAMESPACE = {
    "contacts": "directory",
    "surveys": "surveys",
    "brandadmin": "brandadmin",
    "distributions": "distributions",
}


def section_url(section: str, connection_id) -> str | None:
    for name, _label, url_name in SECTIONS:
        if name == section:
            try:
                return reverse(url_name, kwargs={"connection_id": connection_id})
            except NoReverseMatch:
                return None
    return None


def layout(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from connections.access import connections_for
    from connections.selectors import current_connection_for

    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    url_name = match.url_name if match else ""
    section = SECTION_OF_NAMESPACE.get(namespace, "")
    if namespace == "connections":
        section = "audit" if url_name == "connection_audit" else "connections"

    current = current_connection_for(request)
    links = []
    for name, label, _url_name in SECTIONS:
        url = section_url(name, current.pk) if current else None
        if url is None:
            url = reverse("connections:connection_list") + f"?section={name}"
        links.append({"section": name, "label": label, "url": url})
    # One query serves both the switcher and the expiry banner.
    mine = list(
        connections_for(user).only(
            "pk", "name", "brand_id", "datacenter", "owner_id", "enabled", "expires_on", "notify_days_before"
        )
    )
    expiring = [c for c in mine if c.enabled and c.expiry_status() in {"soon", "expired"}]
    return {
        "current_connection": current,
        "switcher_connections": mine,
        "section": section,
        "section_links": links,
        "expiring_connections": _with_rotate_permission(user, expiring),
    }


def _with_rotate_permission(user, connections):
    from connections.access import role_for
    from connections.models import Role

    for connection in connections:
        role = role_for(user, connection)
        connection.can_rotate = role is not None and role >= Role.MANAGER
    return connections
