"""Names for user types, group types and divisions: managers give them once per brand, every screen shows them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from brandadmin import selectors
from brandadmin.models import QualtricsLabel
from connections.models import AuditEvent
from connections.qualtrics_client import connection_client
from tests.factories import make_connection

pytestmark = pytest.mark.django_db


def labels_url(connection) -> str:
    return reverse("brandadmin:label_list", kwargs={"connection_id": connection.pk})


def save_url(connection) -> str:
    return reverse("brandadmin:label_save", kwargs={"connection_id": connection.pk})


def a_user_type(team) -> str:
    return next(t for t in team.sandbox.brand("acme")["userTypes"] if t != "UT_BRANDADMIN")


class TestAccess:
    def test_anonymous_is_sent_to_log_in_and_an_outsider_finds_nothing(self, client, login, team):
        assert client.get(labels_url(team.connection)).status_code == 302
        assert login(team.outsider).get(labels_url(team.connection)).status_code == 404
        assert login(team.outsider).post(save_url(team.connection), {}).status_code == 404

    def test_every_role_reads_only_managers_name(self, login, team):
        user_type = a_user_type(team)
        for person in team.all_with_access():
            page = login(person).get(labels_url(team.connection))
            assert page.status_code == 200 and user_type in page.content.decode()
        for person in (team.operator, team.viewer, team.team_operator):
            refused = login(person).post(save_url(team.connection), {"kind": "user_type", "qualtrics_id": user_type,
                                                                     "label": "Researcher"})
            assert refused.status_code == 403
        assert not QualtricsLabel.objects.exists()


class TestNaming:
    def test_a_manager_names_a_user_type_and_the_lists_show_it(self, login, team, hx):
        user_type = a_user_type(team)
        client = login(team.manager)
        response = client.post(save_url(team.connection), {"kind": "user_type", "qualtrics_id": user_type,
                                                           "label": "  Standard   researcher "}, **hx)
        assert response.status_code == 200 and response.headers["HX-Redirect"] == labels_url(team.connection)
        assert QualtricsLabel.objects.get().label == "Standard researcher"
        users = client.get(reverse("brandadmin:user_list", kwargs={"connection_id": team.connection.pk}))
        assert "Standard researcher" in users.content.decode()
        assert AuditEvent.objects.filter(action="label.set", target=user_type).exists()

    def test_another_connection_to_the_same_brand_shares_the_names(self, login, team):
        user_type = a_user_type(team)
        login(team.owner).post(save_url(team.connection), {"kind": "user_type", "qualtrics_id": user_type,
                                                           "label": "Researcher"})
        twin = make_connection(team.owner, name="Acme again", datacenter=team.connection.datacenter,
                               token=team.sandbox.admin_token, brand_id="acme")
        page = login(team.owner).get(labels_url(twin)).content.decode()
        assert 'value="Researcher"' in page

    def test_an_empty_name_goes_back_to_the_id_and_a_wrong_id_is_refused(self, login, team):
        user_type = a_user_type(team)
        client = login(team.owner)
        client.post(save_url(team.connection), {"kind": "user_type", "qualtrics_id": user_type, "label": "X"})
        client.post(save_url(team.connection), {"kind": "user_type", "qualtrics_id": user_type, "label": " "})
        assert not QualtricsLabel.objects.exists()
        page = client.post(save_url(team.connection), {"kind": "group_type", "qualtrics_id": user_type,
                                                       "label": "Oops"}, follow=True)
        assert "is not a group type ID" in page.content.decode()
        assert not QualtricsLabel.objects.exists()

    def test_a_division_shows_the_name_qualtrics_gives_until_a_manager_names_it(self, login, team):
        user = next(u for u in connection_client(team.connection, audit=False).users.list().items if u["divisionId"])
        division_id = user["divisionId"]
        qualtrics_name = team.sandbox.brand("acme")["divisions"][division_id]
        client = login(team.manager)
        detail = reverse("brandadmin:user_detail", kwargs={"connection_id": team.connection.pk, "user_id": user["id"]})
        assert qualtrics_name in client.get(detail).content.decode()
        labels = client.get(labels_url(team.connection)).content.decode()
        assert f"Qualtrics calls it “{qualtrics_name}”." in labels
        assert "Qualtrics calls it “Brand administrator”." in labels  # the user type whoami names
        client.post(save_url(team.connection), {"kind": "division", "qualtrics_id": division_id, "label": "Insights"})
        page = client.get(detail).content.decode()
        assert "Insights" in page and qualtrics_name not in page

    def test_a_division_qualtrics_cannot_name_is_shown_by_its_id(self, team):
        names = selectors.names_for(connection=team.connection, actor=team.owner)
        assert names.division("DV_nosuchdivision1") == "DV_nosuchdivision1"
        assert not names.labelled("division", "DV_nosuchdivision1")
        assert selectors.names_for(connection=team.connection).division("DV_nosuchdivision1") == "DV_nosuchdivision1"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_manager_names_a_group_type_and_the_group_shows_it(team, browser_as, shot):
    group = connection_client(team.connection, audit=False).groups.list().items[0]
    page = browser_as(team.manager)
    page.goto(labels_url(team.connection))
    page.get_by_label(re.compile(group["type"])).fill("Customer experience team")
    page.get_by_label(re.compile(group["type"])).press("Enter")
    expect(page.get_by_test_id("toast").first).to_contain_text("Customer experience team")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"brandadmin-labels-{width}")
    page.goto(reverse("brandadmin:group_list", kwargs={"connection_id": team.connection.pk}))
    expect(page.get_by_test_id("crud-table")).to_contain_text("Customer experience team")
    page.goto(reverse("brandadmin:group_detail", kwargs={"connection_id": team.connection.pk, "group_id": group["id"]}))
    expect(page.get_by_test_id("group-type")).to_contain_text("Customer experience team")
    shot(page, "brandadmin-group-named-type-1280")
