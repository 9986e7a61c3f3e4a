"""Charts drawn on the server: the geometry, the words read out in place of the picture, and the drawing."""

from __future__ import annotations

from django.template import Context, Template

from web.charts import Bar, BarChart, Funnel


def render(text: str, **context) -> str:
    return Template("{% load charts %}" + text).render(Context(context))


def test_bars_are_scaled_to_the_largest_and_those_near_the_limit_are_marked():
    chart = BarChart(title="Calls", bars=[Bar("01:00", 0), Bar("02:00", 50), Bar("03:00", 100)], limit=110,
                     limit_label="110 an hour")
    columns = chart.columns()
    assert [(c["y"], c["height"]) for c in columns] == [(100, 0), (50, 50), (0, 100)]
    assert [c["near_limit"] for c in columns] == [False, False, True]  # 100 is over 80 % of 110
    assert chart.summary == "Calls: 150 calls in all, most in 03:00 (100). The busiest used 91% of 110 an hour."


def test_an_empty_chart_says_so_and_a_tiny_share_is_not_rounded_to_nothing():
    assert BarChart(title="Calls", bars=[Bar("01:00", 0)]).summary == "Calls: none."
    chart = BarChart(title="Calls", bars=[Bar("01:00", 3)], limit=180_000)
    assert chart.summary.endswith("used under 1% of 180,000.")


def test_the_drawing_has_every_figure_as_text_and_the_picture_hidden_from_screen_readers():
    chart = BarChart(title="Calls", bars=[Bar(f"{h:02}:00", h * 10) for h in range(24)], label_every=6)
    html = render("{% bar_chart chart %}", chart=chart)
    assert html.count("<rect") == 24 and 'aria-hidden="true"' in html
    assert html.count("<tr>") == 25  # a header and one row per bar
    assert "<td class=\"text-end\">230</td>" in html
    assert html.count("<span>06:00</span>") == 1 and "<span>07:00</span>" not in html  # the axis labels every 6th
    assert "Calls: 2,760 calls in all, most in 23:00 (230)." in html
    assert BarChart(title="Calls", bars=[Bar("01:00", 1)]).summary == "Calls: 1 call in all, most in 01:00 (1)."


def test_a_funnel_gives_each_step_its_share_of_the_first_and_keeps_the_others_beside():
    funnel = Funnel(title="Recipients", steps=[Bar("Sent", 200), Bar("Opened", 120), Bar("Finished", 30)],
                    aside=[Bar("Bounced", 4), Bar("Failed", 0)])
    assert [(r["percent"], r["share"]) for r in funnel.rows()] == [(100, "100%"), (60, "60%"), (15, "15%")]
    assert funnel.summary == "Recipients: Sent 200, Opened 120, Finished 30, bounced 4, failed 0."
    html = render("{% funnel funnel %}", funnel=funnel)
    assert 'width="60.0%"' in html and 'data-stat="opened">120</strong>' in html
    assert '<dd class="text-danger fw-semibold" data-stat="bounced">4<' in html  # what fell out stands out
    assert "style=" not in html  # the content security policy allows no inline style


def test_a_funnel_with_nothing_sent_yet_has_no_shares():
    funnel = Funnel(title="Recipients", steps=[Bar("Sent", 0), Bar("Finished", 0)])
    assert [r["share"] for r in funnel.rows()] == ["–", "–"]
