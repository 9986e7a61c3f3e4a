"""The Django admin: a write-only token field, shares and teams, read-only alerts and audit events."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from connections.crypto import decrypt_token
from connections.models import AlertSent, AuditEvent, Connection, ConnectionShare, Role
from tests.factories import make_user, random_token

from .pages import main_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return make_user("root", superuser=True)


def connection_form(owner, **overrides):
    data = {
        "owner": owner.pk, "name": "Admin made", "description": "", "enabled": "on", "datacenter": "iad1",
        "new_token": "", "qualtrics_username": "", "expires_on": "", "notify_days_before": 14, "notify_emails": "",
        "shares-TOTAL_FORMS": 0, "shares-INITIAL_FORMS": 0, "shares-MIN_NUM_FORMS": 0, "shares-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return data


def test_adding_needs_a_token_and_stores_it_encrypted(login, root, personas):
    client = login(root)
    add = reverse("admin:connections_connection_add")
    refused = client.post(add, connection_form(personas.owner))
    assert "This field is required." in main_text(refused)
    token = random_token()
    response = client.post(add, connection_form(personas.owner, new_token=token))
    assert response.status_code == 302
    created = Connection.objects.get(name="Admin made")
    assert decrypt_token(created.token_encrypted) == token
    assert created.token_last4 == token[-4:]
    event = AuditEvent.objects.get(connection=created)
    assert (event.action, event.actor) == ("connection.create", root)
    assert token not in event.detail


def test_the_change_page_masks_the_token_and_blank_keeps_it(login, root, personas):
    client = login(root)
    change = reverse("admin:connections_connection_change", args=[personas.connection.pk])
    page = client.get(change).content.decode()
    assert "••••abcd" in page and personas.token not in page
    assert 'type="password" name="new_token"' in page
    data = connection_form(personas.owner, name="Acme production", notify_days_before=20)
    assert client.post(change, data).status_code == 302
    connection = Connection.objects.get(pk=personas.connection.pk)
    assert connection.notify_days_before == 20
    assert decrypt_token(connection.token_encrypted) == personas.token
    assert AuditEvent.objects.get(action="connection.update").detail == "in the Django admin: notify_days_before"


def test_a_duplicate_name_is_refused_in_the_admin_too(login, root, personas):
    response = login(root).post(reverse("admin:connections_connection_add"),
                                connection_form(personas.owner, name="ACME production", new_token=random_token()))
    assert "You already have a connection with this name." in main_text(response)


def test_inline_shares_go_through_the_services(login, root, personas):
    client = login(root)
    change = reverse("admin:connections_connection_change", args=[personas.connection.pk])
    shares = list(ConnectionShare.objects.filter(connection=personas.connection).order_by("pk"))
    data = connection_form(personas.owner, name="Acme production")
    data.update({"shares-TOTAL_FORMS": len(shares) + 1, "shares-INITIAL_FORMS": len(shares)})
    for n, share in enumerate(shares):
        data.update({f"shares-{n}-id": share.pk, f"shares-{n}-connection": personas.connection.pk,
                     f"shares-{n}-user": share.user_id or "", f"shares-{n}-team": share.team_id or "",
                     f"shares-{n}-role": share.role})
    viewer_index = next(n for n, s in enumerate(shares) if s.user_id == personas.viewer.pk)
    data[f"shares-{viewer_index}-DELETE"] = "on"
    data.update({f"shares-{len(shares)}-connection": personas.connection.pk,
                 f"shares-{len(shares)}-user": personas.outsider.pk, f"shares-{len(shares)}-role": Role.MANAGER})
    response = client.post(change, data)
    assert response.status_code == 302, main_text(response)
    assert not ConnectionShare.objects.filter(user=personas.viewer).exists()
    assert ConnectionShare.objects.get(user=personas.outsider).role == Role.MANAGER
    assert sorted(AuditEvent.objects.filter(action__startswith="share.").values_list("action", "detail")) == [
        ("share.add", "user oscar as manager"), ("share.remove", "user vera was viewer"),
    ]


def test_alerts_and_audit_events_are_read_only(login, root, personas):
    alert = AlertSent.objects.create(connection=personas.connection, kind="expired", key="2030-01-01")
    event = AuditEvent.objects.create(connection=personas.connection, action="connection.test", actor_label="x")
    client = login(root)
    for model, obj in (("alertsent", alert), ("auditevent", event)):
        assert client.get(reverse(f"admin:connections_{model}_add")).status_code == 403
        assert client.get(reverse(f"admin:connections_{model}_delete", args=[obj.pk])).status_code == 403
        page = client.get(reverse(f"admin:connections_{model}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert client.post(reverse(f"admin:connections_{model}_change", args=[obj.pk]), {}).status_code == 403
    assert AlertSent.objects.filter(pk=alert.pk).exists() and AuditEvent.objects.filter(pk=event.pk).exists()


def test_teams_are_managed_with_their_members(login, root, personas):
    client = login(root)
    response = client.post(reverse("admin:auth_group_add"), {
        "name": "Research", "members": [personas.viewer.pk, personas.outsider.pk], "permissions": [],
        "manager_links-TOTAL_FORMS": 1, "manager_links-INITIAL_FORMS": 0,
        "manager_links-MIN_NUM_FORMS": 0, "manager_links-MAX_NUM_FORMS": 1000,
        "manager_links-0-user": personas.manager.pk,
        "connection_shares-TOTAL_FORMS": 0, "connection_shares-INITIAL_FORMS": 0,
        "connection_shares-MIN_NUM_FORMS": 0, "connection_shares-MAX_NUM_FORMS": 0,
    })
    assert response.status_code == 302, main_text(response)
    team = Group.objects.get(name="Research")
    assert set(team.user_set.all()) == {personas.viewer, personas.outsider}
    assert list(team.manager_links.values_list("user", flat=True)) == [personas.manager.pk]
    existing = Group.objects.get(name="Survey ops")
    page = main_text(client.get(reverse("admin:auth_group_change", args=[existing.pk])))
    assert "Acme production" in page and "Operator" in page


def test_deleting_in_the_admin_is_audited(login, root, personas):
    client = login(root)
    response = client.post(reverse("admin:connections_connection_delete", args=[personas.connection.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert not Connection.objects.exists()
    event = AuditEvent.objects.get(action="connection.delete")
    assert (event.actor, event.connection_label) == (root, "Acme production")


@pytest.mark.parametrize("bad", ["²", "x", "9" * 30])
def test_a_key_that_cannot_be_one_is_a_form_error_not_a_server_error(login, root, personas, bad):
    client = login(root)
    share = ConnectionShare.objects.filter(connection=personas.connection).first()
    response = client.post(reverse("admin:connections_connectionshare_change", args=[share.pk]),
                           {"connection": personas.connection.pk, "user": "", "team": bad, "role": Role.VIEWER})
    assert response.status_code == 200 and "Select a valid choice" in main_text(response)
    add_page = client.get(reverse("admin:connections_connection_add"), {"owner": bad})
    assert add_page.status_code == 200


def test_an_empty_to_field_on_a_change_page_means_none(login, root, personas):
    from axes.models import AccessAttempt
    from django.test import Client

    Client().post(reverse("login"), {"username": "someone", "password": "wrong"})
    client = login(root)
    attempt = AccessAttempt.objects.get()
    for url in (reverse("admin:connections_connection_change", args=[personas.connection.pk]),
                reverse("admin:axes_accessattempt_change", args=[attempt.pk])):
        assert client.get(url, {"_to_field": ""}).status_code == 200, url
