"""`{% bar_chart chart %}` and `{% funnel chart %}`: the charts of `web.charts`, drawn where they stand."""

from __future__ import annotations

import itertools

from django import template

register = template.Library()
_ids = itertools.count(1)


@register.inclusion_tag("web/charts/bars.html")
def bar_chart(chart):
    return {"chart": chart, "columns": chart.columns(), "chart_id": f"chart-{next(_ids)}"}


@register.inclusion_tag("web/charts/funnel.html")
def funnel(chart):
    return {"chart": chart, "rows": chart.rows(), "chart_id": f"funnel-{next(_ids)}"}
