"""Distributions answer the connections app's hooks: deleting a connection cancels what it has scheduled,
and the connection's page and delete confirmation list what is scheduled."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from connections import selectors
from connections import services as connection_services
from connections.models import AuditEvent, Connection
from distributions.models import State
from tests.connections.pages import main_text

from .conftest import make_distribution

pytestmark = pytest.mark.django_db

SPRING = datetime.datetime(2030, 5, 1, 7, 0, tzinfo=datetime.UTC)


def _url(name, connection):
    return reverse(f"connections:{name}", args=[connection.pk])


def test_the_app_answers_the_connections_hook_once_it_started(personas):
    waiting = make_distribution(personas.connection, name="Spring pulse", send_at=SPRING)
    make_distribution(personas.connection, name="Draft", state=State.DRAFT, send_at=None)
    answers = [work for work in selectors.dependents_of(personas.connection) if work.title == "Scheduled distributions"]
    assert [[item.label for item in work.items] for work in answers] == [[str(waiting)]]
    assert answers[0].items[0].url == waiting.get_absolute_url()


def test_deleting_a_connection_cancels_its_scheduled_distributions(personas):
    waiting = make_distribution(personas.connection, name="Spring pulse", send_at=SPRING)
    held = make_distribution(personas.connection, name="Held one", state=State.HELD, send_at=SPRING)
    make_distribution(personas.connection, name="Draft", state=State.DRAFT, send_at=None)
    make_distribution(personas.connection, name="Already sent", state=State.SENT)

    cancelled = connection_services.connection_delete(connection=personas.connection, actor=personas.owner)

    assert sorted(item.label for work in cancelled for item in work.items) == sorted([str(waiting), str(held)])
    assert not Connection.objects.filter(pk=personas.connection.pk).exists()
    assert "cancelled 2 scheduled distribution(s): " in AuditEvent.objects.get(action="connection.delete").detail
    cancels = AuditEvent.objects.filter(action="distribution.cancel", connection_label="Acme production")
    assert cancels.count() == 2
    assert all(event.actor == personas.owner for event in cancels)


def test_the_confirmation_lists_them_due_in_the_users_time_zone(login, personas):
    Profile.objects.update_or_create(user=personas.owner, defaults={"timezone": "Europe/Paris"})
    make_distribution(personas.connection, name="Spring pulse", send_at=SPRING)
    make_distribution(personas.connection, name="Old one", state=State.SENT)
    body = main_text(login(personas.owner).get(_url("connection_delete", personas.connection)))
    assert ("1 scheduled distribution(s) will be cancelled before they are sent: "
            "— Spring pulse · E-mail invite (due 1 May 2030 09:00)") in body
    assert "Old one" not in body


def test_the_confirmation_says_when_nothing_is_scheduled(login, personas):
    make_distribution(personas.connection, name="Old one", state=State.SENT)
    body = main_text(login(personas.owner).get(_url("connection_delete", personas.connection)))
    assert "No distribution is scheduled through this connection." in body


def test_the_connections_page_links_each_scheduled_distribution(login, personas):
    scheduled = make_distribution(personas.connection, name="Spring pulse",
                                  send_at=timezone.now() + datetime.timedelta(days=2))
    body = login(personas.viewer).get(_url("connection_detail", personas.connection)).content.decode()
    assert f'<a href="{scheduled.get_absolute_url()}">Spring pulse · E-mail invite</a>' in body
    assert "Scheduled distributions" in body
