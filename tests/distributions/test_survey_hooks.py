"""Distributions answer the surveys app's hooks: a survey's page lists its distributions, its delete
confirmation names the scheduled ones, and deleting the survey cancels them with a timeline entry."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.models import Profile
from connections.models import AuditEvent
from distributions.models import EventKind, Kind, State
from surveys import services as survey_services
from surveys.signals import survey_dependents
from tests.connections.pages import main_text, text_of

from .conftest import make_distribution

pytestmark = pytest.mark.django_db

SPRING = datetime.datetime(2030, 5, 1, 7, 0, tzinfo=datetime.UTC)


def survey_url(name, live, survey_id):
    return reverse(f"surveys:{name}", kwargs={"connection_id": live.connection.pk, "survey_id": survey_id})


def test_the_app_answers_the_surveys_hook_once_it_started(live, acme):
    mine = make_distribution(live.connection, name="Spring pulse", survey_id=acme.survey_id, send_at=SPRING)
    make_distribution(live.connection, name="Other survey", survey_id=acme.other_survey_id, send_at=SPRING)
    answers = [response for _receiver, response in survey_dependents.send(
        sender="surveys", connection=live.connection, survey_id=acme.survey_id, pending_only=False)]
    # (Other apps answer the hook too: the responses app links the survey's exports.)
    by_title = {work.title: [item.label for item in work.items] for work in answers if work}
    assert by_title["Distributions in the portal"] == [str(mine)]


def test_the_surveys_page_lists_its_distributions_with_their_state(login, live, acme):
    scheduled = make_distribution(live.connection, name="Spring pulse", survey_id=acme.survey_id, send_at=SPRING)
    sent = make_distribution(live.connection, name="Winter wave", survey_id=acme.survey_id, state=State.SENT)
    other = make_distribution(live.connection, name="Not this one", survey_id=acme.other_survey_id)
    body = login(live.viewer).get(survey_url("survey_detail", live, acme.survey_id)).content.decode()
    assert f'<a href="{scheduled.get_absolute_url()}">Spring pulse · E-mail invite</a>' in body
    assert f'<a href="{sent.get_absolute_url()}">Winter wave · E-mail invite</a>' in body
    assert other.get_absolute_url() not in body
    text = main_text(login(live.viewer).get(survey_url("survey_detail", live, acme.survey_id)))
    assert "Distributions in the portal" in text and "scheduled, due 1 May 2030" in text and "sent" in text


def test_the_delete_confirmation_names_the_scheduled_ones_in_the_users_time_zone(login, live, acme):
    Profile.objects.update_or_create(user=live.manager, defaults={"timezone": "Europe/Paris"})
    make_distribution(live.connection, name="Spring pulse", survey_id=acme.survey_id, send_at=SPRING)
    make_distribution(live.connection, name="Already sent", survey_id=acme.survey_id, state=State.SENT)
    body = main_text(login(live.manager).get(survey_url("survey_delete", live, acme.survey_id)))
    assert ("1 scheduled distribution(s) would fail without the survey, so they will be cancelled: "
            "— Spring pulse · E-mail invite (due 1 May 2030 09:00)") in body
    assert "Already sent" not in body


def test_deleting_the_survey_cancels_its_scheduled_distributions_with_a_timeline_entry(login, live, acme):
    waiting = make_distribution(live.connection, name="Spring pulse", survey_id=acme.survey_id, send_at=SPRING)
    held = make_distribution(live.connection, name="Held one", survey_id=acme.survey_id, state=State.HELD,
                             send_at=SPRING)
    reminder = make_distribution(live.connection, name="Reminder", kind=Kind.REMINDER, survey_id=acme.survey_id,
                                 parent=make_distribution(live.connection, name="Parent", survey_id=acme.survey_id,
                                                          state=State.SENT), send_at=SPRING)
    draft = make_distribution(live.connection, name="Draft", survey_id=acme.survey_id, state=State.DRAFT,
                              send_at=None)
    elsewhere = make_distribution(live.connection, name="Other survey", survey_id=acme.other_survey_id,
                                  send_at=SPRING)
    client = login(live.manager)
    response = client.post(survey_url("survey_delete", live, acme.survey_id))
    assert response.status_code == 302
    for d in (waiting, held, reminder):
        d.refresh_from_db()
        assert d.state == State.CANCELLED, d
        event = d.events.get(kind=EventKind.CANCELLED)
        assert event.message == (f"Cancelled: its survey “{acme.survey_name}” ({acme.survey_id}) was deleted in "
                                 f"Qualtrics by {live.manager.get_username()}.")
        assert event.actor == live.manager
    for d, state in ((draft, State.DRAFT), (elsewhere, State.SCHEDULED)):
        d.refresh_from_db()
        assert d.state == state
    assert AuditEvent.objects.filter(action="distribution.cancel").count() == 3
    assert "cancelled 3 scheduled distribution(s): " in AuditEvent.objects.get(action="survey.delete").detail
    page = text_of(client.get(response["Location"]))
    assert "Cancelled 3 scheduled distribution(s)" in page


def test_when_qualtrics_refuses_the_delete_nothing_is_cancelled(live, acme):
    waiting = make_distribution(live.connection, name="Spring pulse", survey_id="SV_" + "Z" * 15, send_at=SPRING)
    from qualtrics import NotFoundError

    with pytest.raises(NotFoundError):
        survey_services.survey_delete(connection=live.connection, actor=live.manager, survey_id=waiting.survey_id,
                                      name="Gone already")
    waiting.refresh_from_db()
    assert waiting.state == State.SCHEDULED and not waiting.events.filter(kind=EventKind.CANCELLED).exists()
    assert not AuditEvent.objects.filter(action="survey.delete").exists()
    assert AuditEvent.objects.get(action="qualtrics.delete").outcome == AuditEvent.Outcome.FAILED


def test_the_compose_form_uses_the_surveys_picker_with_its_warning(login, live, acme):
    body = login(live.operator).get(reverse("distributions:distribution_create_email",
                                            kwargs={"connection_id": live.connection.pk})).content.decode()
    picker = reverse("surveys:survey_picker", kwargs={"connection_id": live.connection.pk})
    status = reverse("surveys:survey_picker_status", kwargs={"connection_id": live.connection.pk})
    assert f'hx-get="{picker}"' in body and f'hx-get="{status}"' in body
    assert 'data-testid="survey-status-box"' in body
