"""Subscription screens with every persona, htmx and not, against the sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import AuditEvent
from connections.qualtrics_client import connection_client
from subscriptions.models import Destination, Subscription
from tests.fixtures.secrets import register_token

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


class TestAccess:
    def screens(self, subs):
        subscription = subs.create()
        destination = Destination.objects.create(subscription=subscription, kind="email", emails="a@example.com")
        one = {"subscription_id": subscription.pk}
        gets = [subs.url("subscription_list"), subs.url("subscription_create"), subs.url("feed"),
                subs.url("subscription_detail", **one), subs.url("subscription_delete", **one)]
        posts = [subs.url("subscription_create"), subs.url("subscription_test", **one),
                 subs.url("destination_create", **one),
                 subs.url("destination_delete", destination_id=destination.pk, **one),
                 subs.url("delivery_replay", **one), subs.url("orphan_delete", qualtrics_id="SUB_x"),
                 subs.url("subscription_delete", **one)]
        return gets, posts

    def test_anonymous_users_go_to_login(self, client, subs):
        gets, posts = self.screens(subs)
        for target in gets:
            assert client.get(target).status_code == 302, target
        for target in posts:
            response = client.post(target, {})
            assert response.status_code == 302 and reverse("login") in response["Location"], target
        assert Subscription.objects.count() == 1

    def test_outsiders_get_404_everywhere(self, login, subs, hx):
        gets, posts = self.screens(subs)
        client = login(subs.outsider)
        for target in gets:
            assert client.get(target).status_code == 404, target
            assert client.get(target, **hx).status_code == 404, target
        for target in posts:
            assert client.post(target, {}).status_code == 404, target
        assert Subscription.objects.count() == 1 and len(subs.qualtrics_subscriptions()) == 1

    @pytest.mark.parametrize("who", ["viewer", "operator", "team_operator"])
    def test_viewers_and_operators_are_refused(self, login, subs, hx, who):
        gets, posts = self.screens(subs)
        client = login(getattr(subs, who))
        for target in gets:
            response = client.get(target)
            assert response.status_code == 403 and "manager role" in body(response), target
        for target in posts:
            assert client.post(target, {}, **hx).status_code == 403, target
        assert Subscription.objects.count() == 1 and Destination.objects.count() == 1

    @pytest.mark.parametrize("who", ["manager", "owner"])
    def test_managers_use_them(self, login, subs, hx, who):
        gets, _posts = self.screens(subs)
        client = login(getattr(subs, who))
        for target in gets:
            assert client.get(target).status_code == 200, target
            assert client.get(target, **hx).status_code == 200, target


class TestList:
    def test_marks_ours_elsewhere_and_orphans(self, login, subs, settings):
        ours = subs.create()
        qualtrics = connection_client(subs.connection, audit=False)
        elsewhere = qualtrics.event_subscriptions.create(topics="controlpanel.activateSurvey",
                                                         publication_url="https://hooks.example.org/x")["id"]
        orphan = qualtrics.event_subscriptions.create(
            topics="surveyengine.completedResponse.*",
            publication_url=settings.PORTAL_BASE_URL + "/hooks/qualtrics/forgotten-receiver/")["id"]
        page = body(login(subs.manager).get(subs.url("subscription_list")))
        assert f'data-mark="ours" data-qualtrics-id="{ours.qualtrics_id}"' in page
        assert f'data-mark="elsewhere" data-qualtrics-id="{elsewhere}"' in page
        assert f'data-mark="orphan" data-qualtrics-id="{orphan}"' in page
        assert page.count('data-testid="clean-up"') == 1
        assert "hooks.example.org" in page and ours.receiver_id not in page  # the receiver stays secret

    def test_orphan_clean_up_deletes_it_in_qualtrics_and_is_audited(self, login, subs, settings, hx):
        qualtrics = connection_client(subs.connection, audit=False)
        orphan = qualtrics.event_subscriptions.create(
            topics="surveyengine.completedResponse.*",
            publication_url=settings.PORTAL_BASE_URL + "/hooks/qualtrics/forgotten-receiver/")["id"]
        elsewhere = qualtrics.event_subscriptions.create(topics="controlpanel.activateSurvey",
                                                         publication_url="https://hooks.example.org/x")["id"]
        client = login(subs.manager)
        response = client.post(subs.url("orphan_delete", qualtrics_id=orphan), **hx)
        assert response["HX-Redirect"] == subs.url("subscription_list")
        # One pointing elsewhere is refused, whatever the request says.
        client.post(subs.url("orphan_delete", qualtrics_id=elsewhere))
        assert [s["id"] for s in subs.qualtrics_subscriptions()] == [elsewhere]
        assert AuditEvent.objects.filter(action="subscription.orphan.delete", target=orphan).count() == 1

    def test_warns_when_the_portal_is_not_public(self, login, subs, settings):
        settings.PORTAL_BASE_URL = "http://127.0.0.1:8000"
        assert 'data-testid="base-url-warning"' in body(login(subs.manager).get(subs.url("subscription_list")))
        settings.PORTAL_BASE_URL = "https://portal.example.org"
        assert 'data-testid="base-url-warning"' not in body(login(subs.manager).get(subs.url("subscription_list")))

    def test_qualtrics_refusal_is_explained_not_a_500(self, login, subs):
        from connections.crypto import encrypt_token

        subs.connection.token_encrypted = encrypt_token(register_token("T" * 40))
        subs.connection.save(update_fields=["token_encrypted"])
        response = login(subs.manager).get(subs.url("subscription_list"))
        assert response.status_code == 200 and 'data-testid="qualtrics-error"' in body(response)


class TestCreate:
    def test_create_registers_in_qualtrics_with_a_key_and_audits(self, login, subs, hx, settings):
        settings.PORTAL_BASE_URL = "https://portal.example.org"
        response = login(subs.manager).post(subs.url("subscription_create"), {
            "survey_id": subs.survey_id, "kind": "completed", "answer_fields": "QID1, QID2"}, **hx)
        subscription = Subscription.objects.get()
        assert response["HX-Redirect"] == subscription.get_absolute_url()
        (listed,) = subs.qualtrics_subscriptions()
        assert listed["id"] == subscription.qualtrics_id
        assert listed["topics"] == f"surveyengine.completedResponse.{subs.survey_id}"
        assert listed["publicationUrl"] == f"https://portal.example.org/hooks/qualtrics/{subscription.receiver_id}/"
        assert len(subscription.receiver_id) >= 32 and subscription.chosen_fields == ["QID1", "QID2"]
        assert subscription.survey_name == subs.survey["name"]
        assert AuditEvent.objects.filter(action="subscription.create", actor=subs.manager).count() == 1

    @pytest.mark.parametrize(("kind", "topic"), [("partial", "surveyengine.partialResponse.{}"),
                                                 ("activated", "controlpanel.activateSurvey"),
                                                 ("deactivated", "controlpanel.deactivateSurvey")])
    def test_other_topics(self, login, subs, kind, topic):
        login(subs.manager).post(subs.url("subscription_create"), {"survey_id": subs.survey_id, "kind": kind})
        assert [s["topics"] for s in subs.qualtrics_subscriptions()] == [topic.format(subs.survey_id)]

    def test_bad_input_is_explained_on_its_field(self, login, subs, hx):
        client = login(subs.manager)
        page = body(client.post(subs.url("subscription_create"), {"survey_id": "", "kind": "completed"}, **hx))
        assert 'data-testid="error-survey_id"' in page
        page = body(client.post(subs.url("subscription_create"), {"survey_id": subs.survey_id, "kind": "completed",
                                                                  "answer_fields": "QID1; DROP"}, **hx))
        assert 'data-testid="error-answer_fields"' in page
        page = body(client.post(subs.url("subscription_create"), {"survey_id": "SV_nope00000000", "kind": "completed"}))
        assert 'data-testid="qualtrics-error"' in page
        assert not Subscription.objects.exists() and subs.qualtrics_subscriptions() == []


class TestDelete:
    def test_delete_removes_it_in_qualtrics_and_here(self, login, subs, hx):
        subscription = subs.create()
        client = login(subs.owner)
        confirm = client.get(subs.url("subscription_delete", subscription_id=subscription.pk))
        assert "Delete subscription" in body(confirm)
        response = client.post(subs.url("subscription_delete", subscription_id=subscription.pk), **hx)
        assert response["HX-Redirect"] == subs.url("subscription_list")
        assert not Subscription.objects.exists() and subs.qualtrics_subscriptions() == []
        assert AuditEvent.objects.filter(action="subscription.delete").count() == 1

    def test_gone_from_qualtrics_is_shown_and_still_deletable(self, login, subs):
        subscription = subs.create()
        connection_client(subs.connection, audit=False).event_subscriptions.delete(subscription.qualtrics_id)
        client = login(subs.owner)
        assert 'data-mark="missing"' in body(client.get(subs.url("subscription_list")))
        client.post(subs.url("subscription_delete", subscription_id=subscription.pk))
        assert not Subscription.objects.exists()


class TestConnectionDeleted:
    def test_its_subscriptions_are_listed_then_deleted_in_qualtrics(self, login, subs):
        from connections.services import connection_delete

        subscription = subs.create()
        page = login(subs.owner).get(reverse("connections:connection_delete",
                                             kwargs={"connection_id": subs.connection.pk}))
        assert subscription.qualtrics_id in body(page) and "will be deleted in Qualtrics" in body(page)
        connection_delete(connection=subs.connection, actor=subs.owner)
        assert subs.qualtrics_subscriptions() == [] and not Subscription.objects.exists()


class TestSendATest:
    def test_an_unreachable_portal_address_is_explained_and_audited(self, login, subs, settings, hx):
        settings.PORTAL_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
        subscription = subs.create()
        client = login(subs.manager)
        response = client.post(subs.url("subscription_test", subscription_id=subscription.pk), **hx)
        assert response["HX-Redirect"] == subscription.get_absolute_url()
        page = client.get(subscription.get_absolute_url()).content.decode()
        assert "The test did not reach the receiver" in page and "PORTAL_BASE_URL" in page
        assert AuditEvent.objects.filter(action="subscription.test", outcome="failed").count() == 1

    def test_destination_added_with_htmx_and_removed(self, login, subs, hx):
        subscription = subs.create()
        client = login(subs.manager)
        response = client.post(subs.url("destination_create", subscription_id=subscription.pk),
                               {"kind": "email", "emails": "ops@example.com\nnot-an-address"}, **hx)
        assert 'data-testid="error-emails"' in body(response) and not Destination.objects.exists()
        response = client.post(subs.url("destination_create", subscription_id=subscription.pk),
                               {"kind": "email", "emails": "ops@example.com", "email_mode": "digest"}, **hx)
        assert response["HX-Redirect"] == subscription.get_absolute_url()
        destination = Destination.objects.get()
        assert destination.email_mode == "digest" and destination.recipients == ["ops@example.com"]
        client.post(subs.url("destination_delete", subscription_id=subscription.pk, destination_id=destination.pk))
        assert not Destination.objects.exists()
        assert AuditEvent.objects.filter(action="subscription.destination.delete").count() == 1
