"""Distribution pages under bad input: page numbers in other digits, and htmx asking for the detail page."""

from __future__ import annotations

from django.urls import reverse

from distributions.models import State

from .conftest import make_distribution


class TestDistributionPages:
    def test_history_page_numbers_in_other_digits_are_ignored(self, login, live):
        d = make_distribution(live.connection, state=State.SENT, qualtrics_id="EMD_" + "x" * 15)
        url = reverse("distributions:distribution_history", args=[live.connection.pk, d.pk])
        for n in ("²", "٣", "9" * 5000, "-1", "\u00a0"):
            response = login(live.viewer).get(url, {"n": n})
            assert response.status_code == 200, n

    def test_htmx_gets_the_detail_page_without_its_layout(self, login, live, hx):
        d = make_distribution(live.connection, state=State.SCHEDULED)
        url = reverse("distributions:distribution_detail", args=[live.connection.pk, d.pk])
        response = login(live.viewer).get(url, **hx)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body and 'data-testid="distribution-title"' in body
