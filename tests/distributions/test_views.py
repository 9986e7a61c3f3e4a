"""Screens with every persona: anonymous, outsider (404), viewer (reads, 403 on writes), operator, htmx."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qsl

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.models import AuditEvent
from distributions import services
from distributions.models import Channel, Distribution, EventKind, Kind, State

from .conftest import email_fields, make_distribution

pytestmark = pytest.mark.django_db


def url(name, connection, **kwargs):
    return reverse(f"distributions:{name}", kwargs={"connection_id": connection.pk, **kwargs})


def survey_picker(live) -> str:
    """The survey picker the compose form uses (the surveys app's)."""
    return reverse("surveys:survey_picker", kwargs={"connection_id": live.connection.pk})


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def email_post(acme, **overrides):
    data = {
        "name": "Spring invite",
        "survey_id": acme.survey_id,
        "from_email": "noreply@qualtrics.com",
        "from_name": "Acme research",
        "reply_to_email": "",
        "subject": "Tell us what you think",
        "library_id": acme.library_id,
        "message_id": acme.messages["invite"],
        "message_text": "",
        "directory_id": acme.directory_id,
        "mailing_list_id": acme.small_list_id,
        "contact_lookup_id": "",
        "sample_id": "",
        "transaction_batch_id": "",
        "link_type": "Individual",
        "link_expires_at": "",
        "embedded_data": "Campaign = spring",
        "send_at": local(timezone.now() + datetime.timedelta(hours=2)),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def preview_then_schedule(client, target, data, **hx):
    """Post the preview, then schedule with the digest the preview handed back."""
    preview = client.post(target, {**data, "action": "preview"}, **hx)
    assert preview.status_code == 200, preview.content[:500]
    found = re.search(rb'name="preview_digest" value="([^"]+)"', preview.content)
    if not found:
        body = preview.content.decode()
        start = body.find('data-testid="form-errors"')
        panel = body.find('id="preview-panel"')
        raise AssertionError("the preview offers no schedule step:\n" + body[start:start + 1500]
                             + body[panel:panel + 1500])
    # A user who read the preview's warnings (a message without a survey link, a send at night) ticks
    # "send anyway"; tests of the guardrails themselves post without it.
    acknowledged = {"send_anyway": "on"} if b'data-testid="preview-warnings"' in preview.content else {}
    return preview, client.post(target, {**data, **acknowledged, "action": "schedule",
                                         "preview_digest": found.group(1).decode()}, **hx)


class TestAccess:
    def test_anonymous_users_go_to_login(self, client, live):
        for name in ("distribution_list", "distribution_create_email", "distribution_create_sms"):
            response = client.get(url(name, live.connection))
            assert response.status_code == 302
            assert reverse("login") in response["Location"]

    def test_outsiders_get_404_everywhere(self, login, live):
        d = make_distribution(live.connection)
        client = login(live.outsider)
        for target in (url("distribution_list", live.connection), url("distribution_create_email", live.connection),
                       url("distribution_detail", live.connection, distribution_id=d.pk),
                       url("distribution_cancel", live.connection, distribution_id=d.pk),
                       url("picker_libraries", live.connection),
                       survey_picker(live)):
            assert client.get(target).status_code == 404, target
        assert client.post(url("distribution_duplicate", live.connection, distribution_id=d.pk)).status_code == 404

    def test_a_distribution_of_another_connection_is_404(self, login, live, acme):
        from tests.factories import make_connection

        other = make_connection(live.owner, name="Other")
        d = make_distribution(other)
        client = login(live.owner)
        assert client.get(url("distribution_detail", live.connection, distribution_id=d.pk)).status_code == 404

    def test_viewers_read_but_may_not_write(self, login, live, acme):
        d = make_distribution(live.connection)
        client = login(live.viewer)
        assert client.get(url("distribution_list", live.connection)).status_code == 200
        assert client.get(url("distribution_detail", live.connection, distribution_id=d.pk)).status_code == 200
        for name in ("distribution_create_email", "distribution_create_sms"):
            response = client.get(url(name, live.connection))
            assert response.status_code == 403
            assert b"operator role" in response.content
        for target in (url("distribution_edit", live.connection, distribution_id=d.pk),
                       url("distribution_cancel", live.connection, distribution_id=d.pk)):
            assert client.get(target).status_code == 403
            assert client.post(target).status_code == 403
        assert client.post(url("distribution_create_email", live.connection), email_post(acme)).status_code == 403
        assert client.post(url("distribution_duplicate", live.connection, distribution_id=d.pk)).status_code == 403
        assert client.get(url("picker_libraries", live.connection)).status_code == 403
        d.refresh_from_db()
        assert d.state == State.SCHEDULED
        assert Distribution.objects.count() == 1

    def test_the_list_shows_no_compose_buttons_to_viewers(self, login, live):
        body = login(live.viewer).get(url("distribution_list", live.connection)).content.decode()
        assert "New e-mail distribution" not in body
        body = login(live.team_operator).get(url("distribution_list", live.connection)).content.decode()
        assert "New e-mail distribution" in body and "New SMS distribution" in body


class TestList:
    def test_upcoming_first_soonest_first_then_the_rest(self, login, live):
        now = timezone.now()
        sent = make_distribution(live.connection, name="Old sent", state=State.SENT,
                                 send_at=now - datetime.timedelta(days=2))
        later = make_distribution(live.connection, name="Later", send_at=now + datetime.timedelta(days=3))
        sooner = make_distribution(live.connection, name="Sooner", send_at=now + datetime.timedelta(hours=1))
        draft = make_distribution(live.connection, name="A draft", state=State.DRAFT, send_at=None)
        body = login(live.viewer).get(url("distribution_list", live.connection)).content.decode()
        positions = [body.index(d.name) for d in (sooner, later, draft, sent)]
        assert positions == sorted(positions)

    def test_filters_by_state_channel_survey_and_dates(self, login, live):
        now = timezone.now()
        make_distribution(live.connection, name="Email soon", send_at=now + datetime.timedelta(days=1))
        make_distribution(live.connection, name="SMS soon", channel=Channel.SMS, message_text="Hi",
                          send_at=now + datetime.timedelta(days=1))
        make_distribution(live.connection, name="Failed one", state=State.FAILED, survey_name="Pulse",
                          send_at=now - datetime.timedelta(days=10))
        client = login(live.viewer)

        def names(**query):
            body = client.get(url("distribution_list", live.connection), query).content.decode()
            return {n for n in ("Email soon", "SMS soon", "Failed one") if n in body}

        assert names(channel="sms") == {"SMS soon"}
        assert names(state="failed") == {"Failed one"}
        assert names(survey="pulse") == {"Failed one"}
        tomorrow = (now + datetime.timedelta(days=1)).date().isoformat()
        assert names(sent_from=tomorrow) == {"Email soon", "SMS soon"}
        assert names(sent_to=(now - datetime.timedelta(days=5)).date().isoformat()) == {"Failed one"}

    def test_sorted_by_a_heading_the_order_holds_across_pages(self, login, live):
        now = timezone.now()
        for day, survey in enumerate(("Pulse", "Exit", "Onboarding", "Annual")):
            make_distribution(live.connection, name=f"To {survey}", survey_name=survey, state=State.SENT,
                              send_at=now - datetime.timedelta(days=day + 1))
        client = login(live.viewer)

        def names(query):
            body = client.get(url("distribution_list", live.connection), query).content.decode()
            return re.findall(r"To (\w+) · ", body), body

        assert names({"sort": "survey_name"})[0] == ["Annual", "Exit", "Onboarding", "Pulse"]
        assert names({"sort": "-send_at"})[0] == ["Pulse", "Exit", "Onboarding", "Annual"]
        first, body = names({"sort": "send_at", "page_size": "25"})
        assert first == ["Annual", "Onboarding", "Exit", "Pulse"]
        assert 'aria-sort="ascending"' in body and body.count('aria-sort="none"') == 2  # channel and survey
        assert 'name="sort" value="send_at" form="crud-search"' in body  # a new search keeps the order

    def test_pages_of_a_sorted_list_neither_overlap_nor_skip(self, login, live):
        same_time = timezone.now() - datetime.timedelta(days=1)
        for n in range(30):
            make_distribution(live.connection, name=f"Row {n:02}", state=State.SENT, send_at=same_time)
        client = login(live.viewer)
        seen, query = [], {"sort": "-send_at", "page_size": "25"}
        while True:
            body = client.get(url("distribution_list", live.connection), query).content.decode()
            seen += re.findall(r"Row (\d\d) · ", body)
            following = re.search(r'<a class="page-link" href="\?([^"]+)"[^>]*>Next</a>', body)
            if not following:
                break
            query = dict(parse_qsl(following.group(1).replace("&amp;", "&")))
            assert query["sort"] == "-send_at"
        assert seen == [f"{n:02}" for n in reversed(range(30))]  # the newest row first among equal times

    def test_reversed_dates_get_a_message(self, login, live):
        body = login(live.viewer).get(url("distribution_list", live.connection),
                                      {"sent_from": "2025-05-02", "sent_to": "2025-05-01"}).content.decode()
        assert "Nothing here" not in body or "distribution" in body  # the list still renders
        assert "Compose an e-mail or SMS distribution" in body

    def test_htmx_gets_the_table_only(self, login, live, hx):
        make_distribution(live.connection, name="Row one")
        response = login(live.viewer).get(url("distribution_list", live.connection), {"state": "scheduled"}, **hx)
        body = response.content.decode()
        assert "<html" not in body
        assert 'id="crud-table"' in body and "Row one" in body

    def test_empty_state_invites_composing(self, login, live):
        body = login(live.operator).get(url("distribution_list", live.connection)).content.decode()
        assert "No distributions yet" in body


class TestCompose:
    def test_operator_previews_then_schedules_an_email(self, login, live, acme):
        client = login(live.operator)
        target = url("distribution_create_email", live.connection)
        page = client.get(target)
        assert page.status_code == 200
        assert b"Preview before scheduling" in page.content
        preview, response = preview_then_schedule(client, target, email_post(acme))
        body = preview.content.decode()
        assert "recipient" in body
        m = re.search(r'data-testid="preview-total">(\d+)<', body)
        assert m and int(m.group(1)) > 0
        assert response.status_code == 302
        d = Distribution.objects.get()
        assert response["Location"] == d.get_absolute_url()
        assert d.state == State.SCHEDULED
        assert d.created_by == live.operator
        assert d.embedded_data == {"Campaign": "spring"}
        assert d.survey_name == acme.survey_name
        detail = client.get(d.get_absolute_url()).content.decode()
        assert "Scheduled for" in detail

    def test_send_time_is_read_in_the_users_zone_and_stored_in_utc(self, login, live, acme):
        from accounts.models import Profile

        Profile.objects.update_or_create(user=live.operator, defaults={"timezone": "Asia/Tokyo"})
        client = login(live.operator)
        day = (timezone.now() + datetime.timedelta(days=30)).date()
        _, response = preview_then_schedule(client, url("distribution_create_email", live.connection),
                                            email_post(acme, send_at=f"{day.isoformat()}T09:30"))
        assert response.status_code == 302
        d = Distribution.objects.get()
        assert d.send_at == datetime.datetime(day.year, day.month, day.day, 0, 30, tzinfo=datetime.UTC)

    def test_scheduling_without_the_preview_shows_the_preview_first(self, login, live, acme):
        client = login(live.operator)
        response = client.post(url("distribution_create_email", live.connection),
                               {**email_post(acme), "action": "schedule"})
        assert response.status_code == 200
        assert b'name="preview_digest"' in response.content
        assert not Distribution.objects.exists()

    def test_changing_a_value_after_the_preview_needs_a_new_preview(self, login, live, acme):
        client = login(live.operator)
        target = url("distribution_create_email", live.connection)
        preview = client.post(target, {**email_post(acme), "action": "preview"})
        digest = re.search(rb'name="preview_digest" value="([^"]+)"', preview.content).group(1).decode()
        response = client.post(target, {**email_post(acme, subject="Changed"), "action": "schedule",
                                        "preview_digest": digest})
        assert response.status_code == 200
        assert b"The values changed since the last preview" in response.content
        assert not Distribution.objects.exists()

    def test_invalid_input_keeps_what_was_typed_and_says_why(self, login, live, acme, hx):
        client = login(live.operator)
        data = email_post(acme, message_text="My own words too", subject="Kept subject")
        response = client.post(url("distribution_create_email", live.connection), {**data, "action": "preview"}, **hx)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert "Use either a library message or your own text, not both" in body
        assert "Kept subject" in body and "My own words too" in body
        assert not Distribution.objects.exists()

    def test_a_bad_address_is_named_once_by_its_label(self, login, live, acme):
        data = email_post(acme, from_email="not an email")
        body = login(live.operator).post(url("distribution_create_email", live.connection),
                                         {**data, "action": "preview"}).content.decode()
        assert "From address:</span> “not an email” is not an e-mail address." in body
        assert body.count("From address: ") == 0 and body.count("is not an e-mail address") == 2  # field, summary

    def test_send_now_schedules_for_now(self, login, live, acme):
        client = login(live.operator)
        _, response = preview_then_schedule(client, url("distribution_create_email", live.connection),
                                            email_post(acme, send_at="", send_now="on"))
        assert response.status_code == 302
        d = Distribution.objects.get()
        assert abs((d.send_at - timezone.now()).total_seconds()) < 60

    def test_a_draft_needs_no_preview_and_no_complete_rules(self, login, live, acme):
        client = login(live.operator)
        response = client.post(url("distribution_create_email", live.connection),
                               {**email_post(acme, subject="", send_at=""), "action": "draft"})
        assert response.status_code == 302
        d = Distribution.objects.get()
        assert d.state == State.DRAFT
        assert d.send_at is None

    def test_htmx_schedule_redirects_with_hx_redirect(self, login, live, acme, hx):
        client = login(live.team_operator)
        _, response = preview_then_schedule(client, url("distribution_create_email", live.connection),
                                            email_post(acme), **hx)
        assert response.status_code == 200
        assert response["HX-Redirect"] == Distribution.objects.get().get_absolute_url()

    def test_a_qualtrics_problem_reaches_the_form_in_plain_words(self, login, live, acme):
        client = login(live.operator)
        live.sandbox.configure(fail_rate=1.0)
        response = client.post(url("distribution_create_email", live.connection),
                               {**email_post(acme), "action": "preview"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "Qualtrics had a temporary problem" in body
        assert "request id" in body

    def test_sms_form_previews_segments(self, login, live, acme):
        client = login(live.operator)
        data = {"kind": "invite", "name": "Visit SMS", "survey_id": acme.survey_id,
                "message_text": "Hi! " * 45, "directory_id": acme.directory_id,
                "mailing_list_id": acme.small_list_id, "send_at": local(timezone.now() + datetime.timedelta(hours=1))}
        preview, response = preview_then_schedule(client, url("distribution_create_sms", live.connection), data)
        assert b"2 segments" in preview.content
        assert response.status_code == 302
        d = Distribution.objects.get()
        assert (d.channel, d.kind) == (Channel.SMS, Kind.INVITE)


class TestEditCancelDuplicate:
    def test_edit_while_scheduled(self, login, live, acme):
        d = services.distribution_create(connection=live.connection, actor=live.operator, channel=Channel.EMAIL,
                                         fields=email_fields(acme))
        client = login(live.operator)
        target = url("distribution_edit", live.connection, distribution_id=d.pk)
        page = client.get(target)
        assert page.status_code == 200
        assert b"Tell us what you think" in page.content
        _, response = preview_then_schedule(client, target, email_post(acme, subject="New subject"))
        assert response.status_code == 302
        d.refresh_from_db()
        assert d.subject == "New subject"
        assert d.events.filter(kind=EventKind.EDITED).exists()
        assert AuditEvent.objects.filter(action="distribution.edit").exists()

    def test_no_edit_once_it_started_sending(self, login, live):
        d = make_distribution(live.connection, state=State.SENDING)
        response = login(live.operator).get(url("distribution_edit", live.connection, distribution_id=d.pk))
        assert response.status_code == 403
        assert b"can no longer be changed" in response.content

    def test_cancel_confirms_then_cancels(self, login, live, hx):
        d = make_distribution(live.connection, send_at=timezone.now() + datetime.timedelta(hours=1))
        client = login(live.operator)
        target = url("distribution_cancel", live.connection, distribution_id=d.pk)
        modal = client.get(target, **hx)
        assert b"<html" not in modal.content and b"Cancel the distribution" in modal.content
        response = client.post(target, **hx)
        assert response["HX-Redirect"] == d.get_absolute_url()
        d.refresh_from_db()
        assert d.state == State.CANCELLED
        assert AuditEvent.objects.filter(action="distribution.cancel", actor=live.operator).exists()

    def test_a_sent_one_cannot_be_cancelled(self, login, live):
        d = make_distribution(live.connection, state=State.SENT, qualtrics_id="EMD_" + "x" * 15)
        client = login(live.operator)
        response = client.post(url("distribution_cancel", live.connection, distribution_id=d.pk))
        assert response.status_code == 200
        assert b"can no longer be cancelled" in response.content
        d.refresh_from_db()
        assert d.state == State.SENT

    def test_duplicate_makes_a_draft_and_opens_it(self, login, live):
        d = make_distribution(live.connection, state=State.SENT, qualtrics_id="EMD_" + "x" * 15)
        response = login(live.operator).post(url("distribution_duplicate", live.connection, distribution_id=d.pk))
        copy = Distribution.objects.exclude(pk=d.pk).get()
        assert response["Location"] == url("distribution_edit", live.connection, distribution_id=copy.pk)
        assert copy.state == State.DRAFT and copy.name == "Copy of Direct row" and copy.reference != d.reference
        assert copy.qualtrics_id == "" and copy.send_at is None


class TestDetail:
    def test_detail_shows_timeline_error_and_actions(self, login, live):
        d = make_distribution(live.connection, state=State.FAILED, last_error="Unexpected json key provided",
                              last_error_code="RP_9", last_error_status=400, last_error_request_id="req-123")
        services.event_add(d, EventKind.FAILED, "Attempt 1: Qualtrics answered 400")
        body = login(live.viewer).get(d.get_absolute_url()).content.decode()
        assert "Unexpected json key provided" in body and "RP_9" in body and "req-123" in body
        assert "Attempt 1: Qualtrics answered 400" in body
        assert "Duplicate" not in body  # viewers get no write buttons

    def test_status_partial_polls_and_reloads_on_change(self, login, live, hx):
        d = make_distribution(live.connection, state=State.QUEUED)
        client = login(live.viewer)
        target = d.get_absolute_url() + "?partial=status&seen=queued"
        same = client.get(target, **hx)
        assert same.status_code == 200 and b"<html" not in same.content
        Distribution.objects.filter(pk=d.pk).update(state=State.SENT)
        changed = client.get(target, **hx)
        assert changed["HX-Refresh"] == "true"
        final = client.get(d.get_absolute_url() + "?partial=status&seen=sent", **hx)
        assert final.status_code == 286

    def test_checking_qualtrics_is_said_in_plain_words_on_the_detail_and_the_list(self, login, live, hx):
        d = make_distribution(live.connection, state=State.CHECKING, needs_lookup=True, attempts=1,
                              transient_failures=3, next_attempt_at=timezone.now() + datetime.timedelta(seconds=40),
                              last_error="An internal error occurred. Please try again.", last_error_status=500)
        client = login(live.operator)
        body = client.get(d.get_absolute_url()).content.decode()
        assert 'data-state="checking">Checking Qualtrics</span>' in body
        assert "A call to create it may have reached Qualtrics" in body
        assert "It has not failed: do not send a copy meanwhile" in body
        assert "next check at" in body
        assert 'data-testid="action-cancel"' not in body  # cancelling here would not stop it in Qualtrics
        status = client.get(d.get_absolute_url() + "?partial=status&seen=checking", **hx)
        assert status.status_code == 200 and b"Checking Qualtrics" in status.content  # still polled
        listing = client.get(url("distribution_list", live.connection)).content.decode()
        assert 'data-state="checking">Checking Qualtrics</span>' in listing

    def test_held_reason_is_shown(self, login, live):
        d = make_distribution(live.connection, state=State.HELD, held_reason="Qualtrics stopped accepting the token")
        body = login(live.viewer).get(d.get_absolute_url()).content.decode()
        assert "Qualtrics stopped accepting the token" in body


class TestPickers:
    def test_pickers_search_the_connection(self, login, live, acme, hx):
        client = login(live.operator)
        body = client.get(survey_picker(live), {"q": acme.survey_name[:8]}, **hx).content.decode()
        assert acme.survey_id in body
        assert "<html" not in body
        libraries = client.get(url("picker_libraries", live.connection), **hx).content.decode()
        assert acme.library_id in libraries
        messages = client.get(url("picker_messages", live.connection),
                              {"library_id": acme.library_id, "category": "invite"}, **hx).content.decode()
        assert acme.messages["invite"] in messages
        assert acme.messages["smsInvite"] not in messages
        lists = client.get(url("picker_mailing_lists", live.connection),
                           {"directory_id": acme.directory_id, "q": acme.list_name}, **hx).content.decode()
        assert acme.list_id in lists
        contacts = client.get(url("picker_contacts", live.connection),
                              {"directory_id": acme.directory_id, "mailing_list_id": acme.small_list_id,
                               "q": acme.contact_email}, **hx).content.decode()
        assert acme.contact_lookup_id in contacts

    def test_samples_of_the_chosen_list_and_transaction_batches_are_searchable(self, login, live, acme, hx):
        from connections.qualtrics_client import connection_client

        client = login(live.operator)
        api = connection_client(live.connection, audit=False)
        samples = list(api.samples.list(acme.directory_id).iter_all())
        newsletter = next(s for s in samples if s["name"].startswith("Newsletter"))
        gold = next(s for s in samples if s["name"].startswith("Gold"))
        body = client.get(url("picker_samples", live.connection), {
            "directory_id": acme.directory_id, "mailing_list_id": newsletter["mailingListId"], "q": "one in"},
            **hx).content.decode()
        assert newsletter["sampleId"] in body and gold["sampleId"] not in body  # only the list's own samples
        assert "— the whole list —" in body and "20 contacts" in body
        first = client.get(url("picker_samples", live.connection), {"directory_id": acme.directory_id}, **hx)
        assert "choose a mailing list first" in first.content.decode()
        batch = next(iter(api.transaction_batches.list(acme.directory_id).iter_all()))
        made = api.transaction_batches.create(acme.directory_id)["id"]
        body = client.get(url("picker_transaction_batches", live.connection),
                          {"directory_id": acme.directory_id, "q": batch["id"][-6:]}, **hx).content.decode()
        assert batch["id"] in body and "12 transactions" in body and made not in body
        body = client.get(url("picker_transaction_batches", live.connection),
                          {"directory_id": acme.directory_id, "field": "transaction_batch_id",
                           "transaction_batch_id": made, "q": batch["id"][-6:]}, **hx).content.decode()
        assert f'value="{made}" selected' in body  # the current choice stays
        assert login(live.viewer).get(url("picker_transaction_batches", live.connection)).status_code == 403
        assert login(live.outsider).get(url("picker_samples", live.connection)).status_code == 404

    def test_the_compose_form_offers_them_as_pickers(self, login, live):
        body = login(live.operator).get(url("distribution_create_email", live.connection)).content.decode()
        assert 'data-testid="picker-sample_id"' in body and 'data-testid="picker-transaction_batch_id"' in body
        assert url("picker_transaction_batches", live.connection) in body

    def test_the_current_choice_stays_selected(self, login, live, acme, hx):
        client = login(live.operator)
        body = client.get(survey_picker(live),
                          {"field": "survey_id", "survey_id": acme.survey_id, "q": "zzz-no-match"}, **hx).content
        assert f'value="{acme.survey_id}" selected'.encode() in body

    def test_message_preview_shows_the_text(self, login, live, acme, hx):
        body = login(live.operator).get(url("picker_message_preview", live.connection),
                                        {"library_id": acme.library_id, "message_id": acme.messages["smsInvite"],
                                         "channel": "sms"}, **hx).content.decode()
        assert 'data-testid="message-preview"' in body
        assert "segment" in body

    def test_a_qualtrics_error_in_a_picker_is_said_in_the_options(self, login, live, hx):
        live.sandbox.configure(fail_rate=1.0)
        body = login(live.operator).get(survey_picker(live), **hx).content.decode()
        assert "Could not load" in body


class TestDashboardAndConnectionHooks:
    def test_upcoming_for_the_dashboard(self, live):
        from distributions.selectors import upcoming_distributions_for

        now = timezone.now()
        later = make_distribution(live.connection, send_at=now + datetime.timedelta(days=2))
        soon = make_distribution(live.connection, send_at=now + datetime.timedelta(hours=2))
        make_distribution(live.connection, state=State.SENT)
        assert upcoming_distributions_for(live.viewer) == [soon, later]
        assert upcoming_distributions_for(live.outsider) == []
        assert upcoming_distributions_for(live.viewer, limit=1) == [soon]

    def test_connection_deletion_cancels_what_is_pending(self, live):
        from distributions.selectors import scheduled_for_connection

        pending = make_distribution(live.connection, send_at=timezone.now() + datetime.timedelta(days=1))
        make_distribution(live.connection, state=State.SENT)
        assert list(scheduled_for_connection(live.connection)) == [pending]
        cancelled = services.distributions_cancel_for_connection(live.connection, live.owner)
        assert cancelled == [pending]
        pending.refresh_from_db()
        assert pending.state == State.CANCELLED
        assert "connection was deleted" in pending.events.get(kind=EventKind.CANCELLED).message


class TestMoreRoles:
    @pytest.mark.parametrize("persona", ["owner", "manager", "operator", "team_operator"])
    def test_every_writer_may_compose(self, login, live, persona):
        client = login(getattr(live, persona))
        assert client.get(url("distribution_create_email", live.connection)).status_code == 200
        assert client.get(url("distribution_create_sms", live.connection)).status_code == 200

    def test_a_reminder_needs_a_sent_parent(self, login, live):
        parent = make_distribution(live.connection)  # scheduled, not sent
        response = login(live.operator).get(url("distribution_reminder", live.connection, parent_id=parent.pk))
        assert response.status_code == 403
        assert b"Reminders and thank-yous follow a sent invite" in response.content

    def test_an_sms_edit_keeps_its_method_and_parent(self, login, live, acme):
        d = make_distribution(live.connection, channel=Channel.SMS, name="SMS", message_text="Hi",
                              mailing_list_id=acme.small_list_id, survey_id=acme.survey_id,
                              send_at=timezone.now() + datetime.timedelta(hours=1))
        client = login(live.operator)
        target = url("distribution_edit", live.connection, distribution_id=d.pk)
        data = {"kind": "interactive", "name": "SMS edited", "survey_id": acme.survey_id, "message_text": "Hi there",
                "directory_id": acme.directory_id, "mailing_list_id": acme.small_list_id,
                "send_at": local(timezone.now() + datetime.timedelta(hours=2))}
        _, response = preview_then_schedule(client, target, data)
        assert response.status_code == 302
        d.refresh_from_db()
        assert (d.kind, d.name, d.message_text) == (Kind.INVITE, "SMS edited", "Hi there")

    def test_deleting_a_connection_takes_its_distributions_and_follow_ups(self, live):
        parent = make_distribution(live.connection, state=State.SENT, qualtrics_id="EMD_" + "p" * 15)
        make_distribution(live.connection, kind=Kind.REMINDER, parent=parent, mailing_list_id="", link_type="")
        live.connection.delete()
        assert not Distribution.objects.exists()


class TestCancelStates:
    @pytest.mark.parametrize("state", [State.DRAFT, State.SCHEDULED, State.QUEUED, State.HELD])
    def test_what_has_not_started_sending_can_be_cancelled(self, live, state):
        d = make_distribution(live.connection, state=state,
                              send_at=None if state == State.DRAFT else timezone.now())
        services.distribution_cancel(distribution=d, actor=live.operator)
        d.refresh_from_db()
        assert d.state == State.CANCELLED and d.claim_token == ""

    @pytest.mark.parametrize("state", [State.QUEUED, State.HELD, State.CHECKING])
    def test_what_may_exist_in_qualtrics_cannot(self, live, state):
        d = make_distribution(live.connection, state=state, needs_lookup=True, attempts=1)
        assert not d.is_cancellable
        with pytest.raises(services.DistributionStateError) as caught:
            services.distribution_cancel(distribution=d, actor=live.operator)
        assert "may have reached Qualtrics" in str(caught.value)
        d.refresh_from_db()
        assert d.state == state

    @pytest.mark.parametrize("state", [State.SENDING, State.SENT, State.FAILED, State.CANCELLED])
    def test_what_started_or_ended_cannot(self, live, state):
        d = make_distribution(live.connection, state=state)
        with pytest.raises(services.DistributionStateError) as caught:
            services.distribution_cancel(distribution=d, actor=live.operator)
        assert str(caught.value).endswith("so it can no longer be cancelled.")
        d.refresh_from_db()
        assert d.state == state


def detail_of(client, live, d) -> str:
    return client.get(url("distribution_detail", live.connection, distribution_id=d.pk)).content.decode()


class TestStatsFunnel:
    def test_a_sent_email_distribution_shows_its_figures_as_a_funnel_with_the_losses_beside(self, login, live):
        d = make_distribution(live.connection, state=State.SENT, qualtrics_id="EMD_" + "c" * 15,
                              stats_refreshed_at=timezone.now(),
                              qualtrics_stats={"sent": 200, "failed": 3, "opened": 120, "started": 60, "bounced": 7,
                                               "finished": 30, "skipped": 0, "complaints": 0, "blocked": 0})
        body = detail_of(login(live.viewer), live, d)
        steps = re.findall(r'<dt class="small">(\w+)</dt>', body)
        assert steps == ["Sent", "Opened", "Started", "Finished"]
        assert 'width="60.0%"' in body and 'width="15.0%"' in body  # opened 120 and finished 30 of 200
        assert 'data-stat="bounced">7</dd>' in body and 'data-stat="failed">3</dd>' in body
        assert ("Recipients at each step: Sent 200, Opened 120, Started 60, Finished 30, failed 3, bounced 7, "
                "skipped 0, complaints 0, blocked 0.") in body

    def test_an_sms_funnel_has_no_opened_step_and_its_credits_beside(self, login, live):
        d = make_distribution(live.connection, channel=Channel.SMS, state=State.SENT,
                              qualtrics_id="SMSD_" + "c" * 15, stats_refreshed_at=timezone.now(),
                              qualtrics_stats={"sent": 10, "failed": 1, "started": 4, "finished": 2, "credits": 12,
                                               "segments": 11})
        body = detail_of(login(live.viewer), live, d)
        assert re.findall(r'<dt class="small">(\w+)</dt>', body) == ["Sent", "Started", "Finished"]
        assert 'data-stat="credits">12</dd>' in body

    def test_before_qualtrics_gave_figures_there_is_no_funnel(self, login, live):
        d = make_distribution(live.connection)
        body = detail_of(login(live.viewer), live, d)
        assert 'data-testid="funnel"' not in body and "Figures appear once Qualtrics has sent it." in body
