"""The survey screens with every persona, their htmx variants, and what they do in Qualtrics (the sandbox)."""

from __future__ import annotations

import datetime
import json

import pytest

from accounts.models import Profile
from connections.models import AuditEvent
from tests.connections.pages import main_text, text_of

from .conftest import qsf_document, qsf_upload, url, writes

# --- access ---------------------------------------------------------------------------------------------


def reads(connection, survey_id):
    """(name, url) of every screen a viewer may open."""
    return [
        ("survey_list", url("survey_list", connection)),
        ("survey_list searching", url("survey_list", connection) + "?q=pulse&status=active&sort=name"),
        ("survey_rows", url("survey_rows", connection) + f"?id={survey_id}"),
        ("survey_detail", url("survey_detail", connection, survey_id=survey_id)),
        ("survey_export", url("survey_export", connection, survey_id=survey_id)),
        ("survey_picker", url("survey_picker", connection) + "?q=pulse"),
        ("survey_picker_status", url("survey_picker_status", connection) + f"?survey_id={survey_id}"),
    ]


def operator_screens(connection, survey_id):
    """(name, url) of every screen that changes a survey; operators open and post them."""
    return [
        ("survey_status", url("survey_status", connection, survey_id=survey_id) + "?active=0"),
        ("survey_rename", url("survey_rename", connection, survey_id=survey_id)),
        ("survey_window", url("survey_window", connection, survey_id=survey_id)),
        ("survey_copy", url("survey_copy", connection, survey_id=survey_id)),
        ("survey_import", url("survey_import", connection)),
    ]


def manager_screens(connection, survey_id):
    return [("survey_delete", url("survey_delete", connection, survey_id=survey_id))]


def every_screen(connection, survey_id):
    return reads(connection, survey_id) + operator_screens(connection, survey_id) + manager_screens(connection,
                                                                                                   survey_id)


class TestAccess:
    def test_anonymous_visitors_go_to_the_login_page(self, team, demo, client):
        for name, address in every_screen(team.connection, demo.csat["id"]):
            for method in ("get", "post"):
                response = getattr(client, method)(address)
                assert response.status_code == 302, (name, method)
                assert response["Location"].startswith("/login/"), (name, method)

    def test_a_user_the_connection_is_not_shared_with_gets_404_everywhere(self, team, demo, login, hx):
        client = login(team.outsider)
        for name, address in every_screen(team.connection, demo.csat["id"]):
            assert client.get(address).status_code == 404, name
            assert client.post(address).status_code == 404, name
            assert client.get(address, **hx).status_code == 404, name
        assert writes(team.sandbox) == []

    def test_a_viewer_reads_and_may_change_nothing(self, team, demo, login):
        client = login(team.viewer)
        for name, address in reads(team.connection, demo.csat["id"]):
            assert client.get(address).status_code == 200, name
        for name, address in operator_screens(team.connection, demo.csat["id"]) + manager_screens(
                team.connection, demo.csat["id"]):
            response = client.get(address)
            assert response.status_code == 403, name
            assert b"operator role" in response.content or b"manager role" in response.content, name
            assert client.post(address, {"name": "Hijacked", "active": "0"}).status_code == 403, name
        assert writes(team.sandbox) == []

    def test_operators_change_surveys_but_only_managers_delete(self, team, demo, login):
        for operator in (team.operator, team.team_operator):
            client = login(operator)
            for name, address in operator_screens(team.connection, demo.csat["id"]):
                assert client.get(address).status_code == 200, (operator, name)
            for _name, address in manager_screens(team.connection, demo.csat["id"]):
                assert client.get(address).status_code == 403
                assert b"manager role" in client.get(address).content
                assert client.post(address).status_code == 403
        for manager in (team.manager, team.owner):
            response = login(manager).get(url("survey_delete", team.connection, survey_id=demo.csat["id"]))
            assert response.status_code == 200
        assert writes(team.sandbox) == []

    def test_the_detail_offers_each_persona_only_what_it_may_do(self, team, demo, login):
        address = url("survey_detail", team.connection, survey_id=demo.csat["id"])
        rename = url("survey_rename", team.connection, survey_id=demo.csat["id"])
        delete = url("survey_delete", team.connection, survey_id=demo.csat["id"])
        viewer = login(team.viewer).get(address).content.decode()
        assert rename not in viewer and delete not in viewer and 'data-testid="deactivate"' not in viewer
        assert 'data-testid="export-qsf"' in viewer
        operator = login(team.operator).get(address).content.decode()
        assert rename in operator and 'data-testid="deactivate"' in operator and delete not in operator
        manager = login(team.manager).get(address).content.decode()
        assert delete in manager
        listing = login(team.viewer).get(url("survey_list", team.connection)).content.decode()
        assert 'data-testid="import-survey"' not in listing
        listing = login(team.operator).get(url("survey_list", team.connection)).content.decode()
        assert 'data-testid="import-survey"' in listing

    def test_something_that_is_not_a_survey_id_is_404(self, team, login):
        client = login(team.owner)
        assert client.get(f"/c/{team.connection.pk}/surveys/not-an-id/").status_code == 404
        assert client.get(f"/c/{team.connection.pk}/surveys/UR_abcdefabcdef/").status_code == 404

    def test_surveys_is_a_section_of_every_connection(self, team, login):
        body = login(team.viewer).get(url("survey_list", team.connection)).content.decode()
        assert f'<a class="nav-link active" href="{url("survey_list", team.connection)}">Surveys</a>' in body
        switched = login(team.viewer).get(f"/c/{team.connection.pk}/switch/?section=surveys")
        assert switched["Location"] == url("survey_list", team.connection)


class TestHtmx:
    def test_the_list_table_and_the_detail_come_as_partials(self, team, demo, login, hx):
        client = login(team.viewer)
        table = client.get(url("survey_list", team.connection) + "?q=satisfaction", **hx)
        assert table.status_code == 200
        body = table.content.decode()
        assert "<html" not in body and 'id="crud-table"' in body and demo.csat["id"] in body
        assert 'data-testid="rows-loader"' in body  # the rows' facts load again after a search
        detail = client.get(url("survey_detail", team.connection, survey_id=demo.csat["id"]), **hx).content.decode()
        assert "<html" not in detail and 'data-testid="survey-detail"' in detail

    def test_confirmations_come_as_modal_bodies(self, team, demo, login, hx):
        client = login(team.manager)
        confirm = client.get(url("survey_status", team.connection, survey_id=demo.csat["id"]) + "?active=0", **hx)
        assert "<html" not in confirm.content.decode() and 'data-testid="confirm-status"' in confirm.content.decode()
        delete = client.get(url("survey_delete", team.connection, survey_id=demo.csat["id"]), **hx)
        assert "<html" not in delete.content.decode() and 'data-testid="confirm-delete"' in delete.content.decode()

    def test_forms_answer_htmx_with_the_form_or_a_redirect(self, team, demo, login, hx):
        client = login(team.operator)
        address = url("survey_rename", team.connection, survey_id=demo.csat["id"])
        invalid = client.post(address, {"name": "x" * 500}, **hx)
        assert invalid.status_code == 200 and "<html" not in invalid.content.decode()
        assert "at most 200 characters; this one has 500" in invalid.content.decode()
        saved = client.post(address, {"name": "CSAT 2025"}, **hx)
        assert saved["HX-Redirect"] == url("survey_detail", team.connection, survey_id=demo.csat["id"])

    def test_a_survey_deleted_meanwhile_is_a_toast_for_htmx(self, team, demo, login, hx, qualtrics):
        client = login(team.operator)
        qualtrics.surveys.delete(demo.onboarding["id"])
        response = client.post(url("survey_status", team.connection, survey_id=demo.onboarding["id"]),
                               {"active": "0"}, **hx)
        assert response["HX-Retarget"] == "#toasts"
        assert "Qualtrics could not find it" in response.content.decode()


# --- the list ----------------------------------------------------------------------------------------


class TestList:
    def test_it_lists_surveys_with_owner_names_and_status(self, team, demo, login):
        body = main_text(login(team.viewer).get(url("survey_list", team.connection)))
        for survey in demo.all:
            assert survey["name"] in body and survey["id"] in body
        assert "Dana Whitfield" in body and "Sam Ortiz" in body  # owners by name, not UR_ IDs
        assert demo.csat["ownerId"] not in body
        assert "Inactive" in body and "Active" in body

    def test_the_rows_get_their_counts_and_windows(self, team, demo, login, hx, qualtrics):
        ended = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        qualtrics.surveys.update(demo.onboarding["id"], expiration=(None, ended))
        ids = "&".join(f"id={s['id']}" for s in demo.all)
        body = login(team.viewer).get(url("survey_rows", team.connection) + "?" + ids, **hx).content.decode()
        assert f'<span id="counts-{demo.csat["id"]}" hx-swap-oob="true"' in body
        recorded = qualtrics.surveys.get(demo.csat["id"])["responseCounts"]["auditable"]
        assert f">{recorded}</span>" in body
        assert 'data-status="closed"' in body and "its window ended 1 Jan 2020" in body
        assert body.count('data-status="active"') == 1 and body.count('data-status="inactive"') == 1

    def test_a_row_whose_survey_is_gone_says_so(self, team, demo, login, hx, qualtrics):
        qualtrics.surveys.delete(demo.archived["id"])
        body = login(team.viewer).get(url("survey_rows", team.connection) + f"?id={demo.archived['id']}",
                                      **hx).content.decode()
        assert "Not found" in body

    def test_it_pages_through_qualtrics_pages(self, team, demo, login, qualtrics):
        for n in range(27):
            qualtrics.surveys.copy(demo.csat["id"], name=f"Wave {n:02d}")
        client = login(team.viewer)
        first = client.get(url("survey_list", team.connection))
        assert main_text(first).count("SV_") == 25
        next_query = first.context["next_query"]
        assert next_query
        second = main_text(client.get(url("survey_list", team.connection) + "?" + str(next_query)))
        assert second.count("SV_") == 5 and ("26–30 of 30 surveys" in second or "5 surveys on page 2" in second)

    def test_search_filter_and_order_happen_in_the_portal(self, team, demo, login, qualtrics):
        qualtrics.surveys.update(demo.onboarding["id"],
                                 expiration=(datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC), None))
        client = login(team.viewer)
        found = main_text(client.get(url("survey_list", team.connection), {"q": "satisfaction 2025"}))
        assert demo.csat["name"] in found and demo.onboarding["name"] not in found
        assert "Qualtrics cannot search, filter or sort surveys, so the portal read the brand's list (3 surveys)" \
            in found
        inactive = main_text(client.get(url("survey_list", team.connection), {"status": "inactive"}))
        assert demo.archived["name"] in inactive and demo.csat["name"] not in inactive
        closed = main_text(client.get(url("survey_list", team.connection), {"status": "closed"}))
        assert demo.onboarding["name"] in closed and demo.csat["name"] not in closed
        active = main_text(client.get(url("survey_list", team.connection), {"status": "active"}))
        assert demo.csat["name"] in active and demo.onboarding["name"] not in active
        mine = main_text(client.get(url("survey_list", team.connection), {"owner": demo.onboarding["ownerId"]}))
        assert demo.onboarding["name"] in mine and demo.csat["name"] not in mine
        ordered = main_text(client.get(url("survey_list", team.connection), {"sort": "name"}))
        names = [s["name"] for s in demo.all]
        assert [n for n in sorted(names) if n in ordered] == sorted(names)
        assert ordered.index(sorted(names)[0]) < ordered.index(sorted(names)[1]) < ordered.index(sorted(names)[2])
        none = main_text(client.get(url("survey_list", team.connection), {"q": "no such survey"}))
        assert "No survey matches this search." in none

    def test_a_qualtrics_error_is_shown_in_the_table(self, team, login):
        team.sandbox.configure(fail_rate=1.0)
        response = login(team.viewer).get(url("survey_list", team.connection))
        assert response.status_code == 200
        assert "Qualtrics had a temporary problem" in main_text(response)

    def test_an_empty_brand_says_so(self, team, login, qualtrics):
        for survey in list(qualtrics.surveys.list().iter_all()):
            qualtrics.surveys.delete(survey["id"])
        assert "sees no survey in this brand" in main_text(login(team.viewer).get(url("survey_list", team.connection)))

    def test_owners_show_as_ids_when_the_token_may_not_list_users(self, team, demo, login):
        from tests.factories import make_connection

        plain = make_connection(team.owner, name="Acme (not an admin)", datacenter=team.connection.datacenter,
                                token=team.sandbox.user_token, brand_id="acme", account_type="UT_standard")
        body = main_text(login(team.owner).get(url("survey_list", plain)))
        row = body[body.index("Onboarding Pulse"):]
        assert row.startswith("Onboarding Pulse Active Sam Ortiz")  # the token's own user, by name
        assert demo.csat["ownerId"] in body and "Dana Whitfield" not in body  # the others, by ID


# --- one survey -------------------------------------------------------------------------------------------


class TestDetail:
    def test_it_shows_the_survey_its_definition_quotas_and_filters(self, team, demo, login):
        body = main_text(login(team.viewer).get(url("survey_detail", team.connection, survey_id=demo.csat["id"])))
        assert "Customer Satisfaction 2025" in body and "Dana Whitfield" in body
        assert f"https://acme.iad1.qualtrics.com/jfe/form/{demo.csat['id']}" in body
        assert "6 questions in 4 blocks, 2 requiring an answer." in body
        assert "How likely are you to recommend Acme to a friend or colleague?" in body
        assert "Net Promoter Score Required" in body
        assert "Multiple choice, several answers Optional" in body
        assert "Randomizer : shows 2 of these 2 in random order, evenly" in body
        assert "Embedded data : Region, CustomerTier" in body
        assert "Very satisfied customers" in body and "of 50" in body and "Cross (combinations) logic" in body
        assert "Detractors, E-mail invitations, Gold customers, Promoters" in body
        assert "None: answerable whenever it is active" in body

    def test_the_window_is_shown_in_the_viewers_time_zone(self, team, demo, login, qualtrics):
        Profile.objects.update_or_create(user=team.viewer, defaults={"timezone": "Asia/Tokyo"})
        qualtrics.surveys.update(demo.csat["id"], expiration=(datetime.datetime(2031, 1, 1, 0, tzinfo=datetime.UTC),
                                                              datetime.datetime(2031, 2, 1, 0, tzinfo=datetime.UTC)))
        body = main_text(login(team.viewer).get(url("survey_detail", team.connection, survey_id=demo.csat["id"])))
        assert "opens 1 Jan 2031 09:00 · closes 1 Feb 2031 09:00 (Asia/Tokyo)" in body
        assert "Closed" in body and "its window opens 1 Jan 2031 09:00" in body

    def test_a_survey_that_is_gone_is_a_clear_404(self, team, demo, login, qualtrics):
        qualtrics.surveys.delete(demo.csat["id"])
        response = login(team.viewer).get(url("survey_detail", team.connection, survey_id=demo.csat["id"]))
        assert response.status_code == 404
        body = main_text(response)
        assert "Qualtrics could not find it" in body and "deleted in Qualtrics meanwhile" in body
        assert "Back to the surveys" in body

    def test_a_part_that_fails_is_explained_in_place(self, team, demo, login, monkeypatch):
        from qualtrics import ServerError
        from surveys import selectors

        def broken(**kwargs):
            raise ServerError("Quotas are down", status=500, request_id="req-quota")

        monkeypatch.setattr(selectors, "survey_quotas", broken)
        response = login(team.viewer).get(url("survey_detail", team.connection, survey_id=demo.csat["id"]))
        body = main_text(response)
        assert response.status_code == 200
        assert "Qualtrics had a temporary problem" in body and "req-quota" in body
        assert "How likely are you to recommend Acme" in body

    def test_export_downloads_the_qsf(self, team, demo, login):
        response = login(team.viewer).get(url("survey_export", team.connection, survey_id=demo.onboarding["id"]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.qualtrics.survey.qsf"
        assert response["Content-Disposition"] == 'attachment; filename="onboarding-pulse.qsf"'
        document = json.loads(response.content)
        assert document["SurveyEntry"]["SurveyName"] == "Onboarding Pulse"
        assert any(e["Element"] == "SQ" for e in document["SurveyElements"])

    def test_export_of_a_survey_that_is_gone_explains_it(self, team, demo, login, qualtrics):
        qualtrics.surveys.delete(demo.onboarding["id"])
        response = login(team.viewer).get(url("survey_export", team.connection, survey_id=demo.onboarding["id"]))
        assert response.status_code == 404
        assert "Qualtrics could not find it" in main_text(response) and "Back to the survey" in main_text(response)


# --- changes --------------------------------------------------------------------------------------------


class TestActivation:
    def test_deactivating_says_what_it_means_then_does_it(self, team, demo, login, qualtrics):
        client = login(team.operator)
        address = url("survey_status", team.connection, survey_id=demo.csat["id"])
        confirm = main_text(client.get(address + "?active=0"))
        assert "Deactivate “Customer Satisfaction 2025”?" in confirm
        assert "Respondents can no longer answer it." in confirm
        assert qualtrics.surveys.get(demo.csat["id"])["isActive"] is True  # asking changed nothing
        response = client.post(address, {"active": "0"})
        assert response.status_code == 302
        assert qualtrics.surveys.get(demo.csat["id"])["isActive"] is False
        page = client.get(response["Location"])
        assert "Deactivated “Customer Satisfaction 2025”: respondents can no longer answer it." in text_of(page)
        event = AuditEvent.objects.get(action="survey.deactivate")
        assert event.actor == team.operator and event.target == f"survey {demo.csat['id']}: Customer Satisfaction 2025"
        assert event.request_id
        assert AuditEvent.objects.filter(action="qualtrics.put", target=f"/surveys/{demo.csat['id']}").exists()

    def test_activating_is_one_click(self, team, demo, login, qualtrics):
        client = login(team.operator)
        response = client.post(url("survey_status", team.connection, survey_id=demo.archived["id"]), {"active": "1"})
        assert response.status_code == 302
        assert qualtrics.surveys.get(demo.archived["id"])["isActive"] is True
        assert AuditEvent.objects.filter(action="survey.activate").count() == 1

    def test_a_change_shows_on_the_list_at_once(self, team, demo, login, hx):
        client = login(team.operator)
        rows = url("survey_rows", team.connection) + f"?id={demo.csat['id']}"
        assert 'data-status="active"' in client.get(rows, **hx).content.decode()
        client.post(url("survey_status", team.connection, survey_id=demo.csat["id"]), {"active": "0"})
        assert 'data-status="inactive"' in client.get(rows, **hx).content.decode()


class TestRename:
    def test_it_renames(self, team, demo, login, qualtrics):
        client = login(team.operator)
        address = url("survey_rename", team.connection, survey_id=demo.csat["id"])
        assert 'value="Customer Satisfaction 2025"' in client.get(address).content.decode()
        response = client.post(address, {"name": "  CSAT 2025 (final)  "})
        assert response.status_code == 302
        assert qualtrics.surveys.get(demo.csat["id"])["name"] == "CSAT 2025 (final)"
        assert AuditEvent.objects.get(action="survey.rename").detail == "renamed from “Customer Satisfaction 2025”"

    @pytest.mark.parametrize(("name", "message"), [
        ("x" * 500, "A survey name may be at most 200 characters; this one has 500."),
        ("   ", "This field is required."),
    ])
    def test_a_bad_name_is_refused_before_qualtrics(self, team, demo, login, name, message):
        response = login(team.operator).post(url("survey_rename", team.connection, survey_id=demo.csat["id"]),
                                             {"name": name})
        assert response.status_code == 200
        assert message in main_text(response)
        assert writes(team.sandbox) == []

    def test_a_survey_deleted_meanwhile_gets_a_clear_message_and_nothing_is_sent(self, team, demo, login, qualtrics):
        client = login(team.operator)
        address = url("survey_rename", team.connection, survey_id=demo.csat["id"])
        client.get(address)
        qualtrics.surveys.delete(demo.csat["id"])
        before = len(writes(team.sandbox))
        response = client.post(address, {"name": "Too late"})
        assert response.status_code == 404
        assert "It may have been deleted in Qualtrics meanwhile." in main_text(response)
        assert len(writes(team.sandbox)) == before
        assert not AuditEvent.objects.filter(action="survey.rename").exists()


class TestWindow:
    def test_it_sets_the_window_in_the_users_time_zone_and_clears_it(self, team, demo, login, qualtrics):
        Profile.objects.update_or_create(user=team.operator, defaults={"timezone": "Europe/Paris"})
        client = login(team.operator)
        address = url("survey_window", team.connection, survey_id=demo.csat["id"])
        response = client.post(address, {"starts": "2031-06-01T09:00", "ends": "2031-06-30T18:30"})
        assert response.status_code == 302
        window = qualtrics.surveys.get(demo.csat["id"])["expiration"]
        assert window["startDate"].startswith("2031-06-01T07:00:00") and window["endDate"].startswith(
            "2031-06-30T16:30:00")
        form = client.get(address).content.decode()
        assert 'value="2031-06-01T09:00"' in form and 'value="2031-06-30T18:30"' in form
        assert "window 1 Jun 2031 09:00 CEST → 30 Jun 2031 18:30 CEST" in AuditEvent.objects.get(
            action="survey.window").detail
        client.post(address, {"starts": "", "ends": ""})
        assert qualtrics.surveys.get(demo.csat["id"])["expiration"] == {"startDate": None, "endDate": None}

    def test_a_window_that_ends_before_it_starts_is_refused(self, team, demo, login):
        response = login(team.operator).post(url("survey_window", team.connection, survey_id=demo.csat["id"]),
                                             {"starts": "2031-06-30T09:00", "ends": "2031-06-01T09:00"})
        assert response.status_code == 200
        assert "The window ends (1 Jun 2031 09:00 UTC) before it starts (30 Jun 2031 09:00 UTC)" in main_text(response)
        assert 'data-testid="error-ends"' in response.content.decode()
        assert writes(team.sandbox) == []

    def test_a_time_that_is_not_one_is_refused(self, team, demo, login):
        response = login(team.operator).post(url("survey_window", team.connection, survey_id=demo.csat["id"]),
                                             {"starts": "next tuesday", "ends": ""})
        assert "Enter a valid date/time." in main_text(response)
        assert writes(team.sandbox) == []


class TestCopy:
    def test_it_copies_to_another_owner_and_opens_the_copy(self, team, demo, login, qualtrics):
        client = login(team.operator)
        address = url("survey_copy", team.connection, survey_id=demo.csat["id"])
        form = client.get(address).content.decode()
        assert 'value="Copy of Customer Satisfaction 2025"' in form and "Sam Ortiz" in form
        response = client.post(address, {"name": "CSAT 2026", "owner": demo.onboarding["ownerId"]})
        assert response.status_code == 302
        copy = next(s for s in qualtrics.surveys.list().iter_all() if s["name"] == "CSAT 2026")
        assert response["Location"] == url("survey_detail", team.connection, survey_id=copy["id"])
        assert copy["ownerId"] == demo.onboarding["ownerId"] and copy["isActive"] is False
        copy_call = team.sandbox.calls(method="POST", path_contains="/surveys")[-1]
        assert "X-COPY-SOURCE" not in json.dumps(copy_call.get("body") or {})  # the source went in a header
        event = AuditEvent.objects.get(action="survey.copy")
        assert demo.csat["id"] in event.detail and demo.onboarding["ownerId"] in event.detail

    def test_without_an_owner_the_connections_user_owns_it(self, team, demo, login, qualtrics):
        login(team.operator).post(url("survey_copy", team.connection, survey_id=demo.onboarding["id"]),
                                  {"name": "Pulse again", "owner": ""})
        me = qualtrics.whoami()["userId"]
        assert next(s for s in qualtrics.surveys.list().iter_all() if s["name"] == "Pulse again")["ownerId"] == me

    def test_a_500_character_name_is_refused(self, team, demo, login):
        response = login(team.operator).post(url("survey_copy", team.connection, survey_id=demo.csat["id"]),
                                             {"name": "n" * 500, "owner": ""})
        assert "A survey name may be at most 200 characters; this one has 500." in main_text(response)
        assert writes(team.sandbox) == []

    def test_copying_a_survey_deleted_meanwhile_is_explained(self, team, demo, login, qualtrics):
        client = login(team.operator)
        qualtrics.surveys.delete(demo.csat["id"])
        response = client.post(url("survey_copy", team.connection, survey_id=demo.csat["id"]),
                               {"name": "Orphan", "owner": ""})
        assert response.status_code == 404 and "deleted in Qualtrics meanwhile" in main_text(response)
        assert not any(s["name"] == "Orphan" for s in qualtrics.surveys.list().iter_all())


class TestImport:
    def test_it_imports_a_qsf_and_opens_the_new_survey(self, team, demo, login, qualtrics):
        document = qsf_document(qualtrics, demo.onboarding["id"])
        client = login(team.operator)
        response = client.post(url("survey_import", team.connection),
                               {"name": "Onboarding (imported)", "file": qsf_upload(document, "pulse.qsf")})
        assert response.status_code == 302
        created = next(s for s in qualtrics.surveys.list().iter_all() if s["name"] == "Onboarding (imported)")
        assert response["Location"] == url("survey_detail", team.connection, survey_id=created["id"])
        assert "Imported the survey “Onboarding (imported)”." in text_of(client.get(response["Location"]))
        assert AuditEvent.objects.get(action="survey.import").detail == "from pulse.qsf (3 questions)"

    def test_without_a_name_it_takes_the_files(self, team, demo, login, qualtrics):
        document = qsf_document(qualtrics, demo.archived["id"])
        response = login(team.operator).post(url("survey_import", team.connection),
                                             {"name": "", "file": qsf_upload(document)})
        assert response.status_code == 302
        assert sum(s["name"] == "Product Feedback (archived)" for s in qualtrics.surveys.list().iter_all()) == 2

    @pytest.mark.parametrize(("content", "message"), [
        (b"", "The file is empty."),
        (b"First Name,Email\nAda,ada@example.org\n", "This is not a Qualtrics survey file (.qsf): it is not JSON"),
        (b'{"questions": []}', "This is not a Qualtrics survey file (.qsf): it is JSON, but without the SurveyEntry"),
        (b"\xff\xfe\x00\x01binary", "This is not a Qualtrics survey file (.qsf): it is not text"),
        (b'{"SurveyEntry": {}, "SurveyElements": {}}', "its SurveyEntry must be an object and its SurveyElements a "
                                                       "list"),
    ])
    def test_a_file_that_is_not_a_survey_never_reaches_qualtrics(self, team, login, content, message):
        response = login(team.operator).post(url("survey_import", team.connection),
                                             {"name": "Nope", "file": qsf_upload(content, "export.csv")})
        assert response.status_code == 200
        assert message in main_text(response)
        assert 'data-testid="error-file"' in response.content.decode()
        assert writes(team.sandbox) == []

    def test_a_50_mb_upload_is_refused_before_it_is_read(self, team, login):
        big = qsf_upload(b" " * (50 * 1024 * 1024), "huge.qsf")
        response = login(team.operator).post(url("survey_import", team.connection), {"name": "Huge", "file": big})
        assert "The file is 50 MB; a survey file may be at most 20 MB." in main_text(response)
        assert writes(team.sandbox) == []

    def test_a_file_without_a_name_needs_one(self, team, demo, login, qualtrics):
        document = qsf_document(qualtrics, demo.archived["id"])
        document["SurveyEntry"]["SurveyName"] = ""
        response = login(team.operator).post(url("survey_import", team.connection),
                                             {"name": "", "file": qsf_upload(document)})
        assert "Give the survey a name." in main_text(response)
        assert writes(team.sandbox) == []

    def test_qualtrics_refusing_the_file_is_shown_on_the_form(self, team, login):
        document = {"SurveyEntry": {"SurveyName": "Broken"}, "SurveyElements": [
            {"Element": "SQ", "PrimaryAttribute": "nope", "Payload": {"QuestionID": "not-a-qid"}}]}
        response = login(team.operator).post(url("survey_import", team.connection),
                                             {"name": "", "file": qsf_upload(document)})
        assert response.status_code == 200
        body = main_text(response)
        assert "Qualtrics could not do that. Qualtrics said: “A survey question (SQ) has no QuestionID”" in body
        assert "request id" in body


class TestDelete:
    def test_the_confirmation_names_the_survey_and_its_responses(self, team, demo, login, qualtrics):
        recorded = qualtrics.surveys.get(demo.csat["id"])["responseCounts"]["auditable"]
        body = main_text(login(team.manager).get(url("survey_delete", team.connection, survey_id=demo.csat["id"])))
        assert "Delete survey “Customer Satisfaction 2025”?" in body
        assert f"with its {recorded} recorded responses" in body
        assert "No distribution of this survey is scheduled in the portal." in body

    def test_it_deletes_and_goes_back_to_the_list(self, team, demo, login, qualtrics):
        client = login(team.manager)
        response = client.post(url("survey_delete", team.connection, survey_id=demo.archived["id"]))
        assert response["Location"] == url("survey_list", team.connection)
        assert demo.archived["id"] not in {s["id"] for s in qualtrics.surveys.list().iter_all()}
        assert "Deleted the survey “Product Feedback (archived)”." in text_of(client.get(response["Location"]))
        assert AuditEvent.objects.get(action="survey.delete").detail.startswith("32 recorded response(s)")

    def test_deleting_a_survey_deleted_meanwhile_is_explained(self, team, demo, login, qualtrics):
        client = login(team.manager)
        qualtrics.surveys.delete(demo.archived["id"])
        response = client.post(url("survey_delete", team.connection, survey_id=demo.archived["id"]))
        assert response.status_code == 404
        assert "It may have been deleted in Qualtrics meanwhile." in main_text(response)
        assert not AuditEvent.objects.filter(action="survey.delete").exists()


# --- the picker ----------------------------------------------------------------------------------------


class TestPicker:
    def test_it_searches_and_shows_status(self, team, demo, login, hx):
        body = login(team.viewer).get(url("survey_picker", team.connection), {"q": "feedback"}, **hx).content.decode()
        assert demo.archived["id"] in body and demo.csat["id"] not in body
        assert "Product Feedback (archived) — inactive ·" in body and 'data-inactive="true"' in body
        everything = login(team.viewer).get(url("survey_picker", team.connection), **hx).content.decode()
        assert everything.index(demo.csat["id"]) < everything.index(demo.archived["id"])  # active first

    def test_the_current_choice_stays_selected(self, team, demo, login, hx):
        body = login(team.viewer).get(url("survey_picker", team.connection),
                                      {"field": "survey_id", "survey_id": demo.csat["id"], "q": "zzz"},
                                      **hx).content.decode()
        assert f'value="{demo.csat["id"]}" selected' in body

    def test_it_warns_when_the_chosen_survey_cannot_be_answered(self, team, demo, login, hx, qualtrics):
        client = login(team.viewer)
        status = url("survey_picker_status", team.connection)
        inactive = client.get(status, {"field": "survey_id", "survey_id": demo.archived["id"]}, **hx).content.decode()
        assert "is inactive:" in inactive and "respondents cannot answer it until it is activated" in inactive
        active = client.get(status, {"survey_id": demo.csat["id"]}, **hx).content.decode()
        assert 'data-testid="survey-ok"' in active and "survey-warning" not in active
        qualtrics.surveys.update(demo.onboarding["id"], expiration=(None, datetime.datetime(2020, 1, 1,
                                                                                            tzinfo=datetime.UTC)))
        closed = client.get(status, {"survey_id": demo.onboarding["id"]}, **hx).content.decode()
        assert "is closed:" in closed and "its window ended 1 Jan 2020" in closed
        assert client.get(status, {"survey_id": ""}, **hx).content == b""

    def test_a_qualtrics_error_is_said_in_the_options(self, team, login, hx):
        team.sandbox.configure(fail_rate=1.0)
        body = login(team.viewer).get(url("survey_picker", team.connection), **hx).content.decode()
        assert "Could not load: Qualtrics had a temporary problem" in body
