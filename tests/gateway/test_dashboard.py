"""The gateway's use and refusal rate on the dashboard, for the managers of connections with keys."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gateway.models import ApiKey, GatewayCall

pytestmark = pytest.mark.django_db


def card(client) -> str:
    page = client.get(reverse("dashboard")).content.decode()
    if 'data-testid="dashboard-gateway"' not in page:
        return ""
    start = page.index('data-testid="dashboard-gateway"')
    return page[start:page.index("</div>\n    </div>", start)]


def test_managers_see_the_last_days_calls_and_how_many_the_gateway_refused(local_gw, login):
    assert card(login(local_gw.manager)) == ""  # no key yet: no card
    local_gw.issue()
    key = ApiKey.objects.get(connection=local_gw.connection)
    assert "No calls with API keys." in card(login(local_gw.manager))
    now = timezone.now()
    for status, refused, age in ((200, False, 1), (200, False, 2), (429, True, 3), (500, False, 4), (401, True, 30)):
        GatewayCall.objects.create(key=key, method="GET", path="/surveys", status=status, refused=refused,
                                   created_at=now - datetime.timedelta(hours=age))
    text = " ".join(card(login(local_gw.manager)).split())
    assert "4 calls with API keys;" in text and "1 refused by the gateway (25.0 %)" in text
    assert "2 answered with an error in all" in text  # the refusal and Qualtrics' 500; the 30-hour-old one is out
    for user in (local_gw.viewer, local_gw.operator, local_gw.outsider):
        assert card(login(user)) == ""
