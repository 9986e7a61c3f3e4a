from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


def as_datetime(value):
    """Qualtrics dates come as ISO strings or epoch milliseconds; make them aware datetimes."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        import datetime

        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value.replace(" ", "T")) if "T" in value or " " in value else None
        if parsed is None:
            return value
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.UTC)
        return parsed
    return value


@register.filter
def qdate(value, fmt="j M Y H:i"):
    """Format a Qualtrics date in the user's time zone."""
    dt = as_datetime(value)
    if dt is None:
        return "—"
    if isinstance(dt, str):
        return dt
    return date_filter(timezone.localtime(dt), fmt)


@register.simple_tag
def cell_value(cell):
    value = cell["value"]
    kind = cell["column"].kind
    if kind == "bool":
        return format_html('<span class="badge {}">{}</span>', "badge-soft-warn" if value else "badge-soft-muted",
                           "Yes" if value else "No")
    if value in (None, ""):
        return mark_safe('<span class="text-body-secondary">—</span>')
    if kind == "mono":
        return format_html('<span class="mono">{}</span>', value)
    if kind in ("date", "datetime"):
        return qdate(value, "j M Y" if kind == "date" else "j M Y H:i")
    if kind == "badge":
        return format_html('<span class="badge badge-soft-muted">{}</span>', value)
    if kind == "number":
        return format_html("{}", f"{value:,}" if isinstance(value, int) else value)
    return value


@register.simple_tag
def crud_rows(rows, columns):
    """The <tr> rows of a CRUD table, built in Python: 50 rows cost well under a millisecond here,
    against several through nested template loops."""
    if not rows:
        return ""
    opening = [f'<td class="{conditional_escape(c.css)}">' if c.css else "<td>" for c in columns]
    parts = []
    for row in rows:
        url = conditional_escape(row["url"]) if row["url"] else ""
        out = ["<tr>"]
        for index, cell in enumerate(row["cells"]):
            content = conditional_escape(cell_value(cell))
            if url and cell["column"].link:
                content = f'<a href="{url}">{content}</a>'
            out.append(f"{opening[index]}{content}</td>")
        out.append("</tr>")
        parts.append("".join(out))
    return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped
