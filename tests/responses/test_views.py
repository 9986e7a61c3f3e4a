"""The responses screens with every persona and their htmx variants, and the form's refusals of bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import AuditEvent
from responses.models import ExportSchedule, ResponseExport

from .conftest import run_export, url


def existing(team, csat):
    export = ResponseExport.objects.create(connection=team.connection, survey_id=csat["id"], survey_name=csat["name"],
                                           created_by=team.operator, options={"compress": True})
    schedule = ExportSchedule.objects.create(connection=team.connection, survey_id=csat["id"], name="Nightly",
                                             survey_name=csat["name"], notify_on="never")
    return export, schedule


def reads(team, csat, export, schedule, response_id):
    c, s = team.connection, csat["id"]
    return [
        url("export_list", c, s), url("export_detail", c, s, export_id=export.pk),
        url("export_progress", c, s, export_id=export.pk), url("schedule_detail", c, s, schedule_id=schedule.pk),
        url("response_find", c, s), url("response_detail", c, s, response_id=response_id),
        url("import_list", c, s),
    ]


def operator_screens(team, csat, export, schedule):
    c, s = team.connection, csat["id"]
    return [url("export_create", c, s), url("schedule_create", c, s),
            url("schedule_edit", c, s, schedule_id=schedule.pk), url("import_create", c, s)]


@pytest.fixture
def response_id(qualtrics, csat, team):
    export = run_export(_export(team, csat).pk, team.sandbox)
    from django.core.files.storage import default_storage

    with default_storage.open(export.file.name) as handle:
        return handle.read().decode("utf-8-sig").split("\r\n")[3].split(",")[8]


def _export(team, csat):
    from django.test import TestCase

    from responses import services

    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.response_export_create(connection=team.connection, actor=team.operator,
                                               survey_id=csat["id"], survey_name=csat["name"], fmt="csv",
                                               options=services.export_body(fmt="csv"))


class TestAccess:
    def test_anonymous_visitors_go_to_the_login_page(self, team, csat, client):
        export, schedule = existing(team, csat)
        for address in reads(team, csat, export, schedule, "R_abc") + operator_screens(team, csat, export, schedule):
            response = client.get(address)
            assert response.status_code == 302 and response["Location"].startswith("/login/"), address

    def test_a_user_the_connection_is_not_shared_with_gets_404(self, team, csat, login, hx):
        export, schedule = existing(team, csat)
        client = login(team.outsider)
        c, s = team.connection, csat["id"]
        everything = reads(team, csat, export, schedule, "R_abc") + operator_screens(team, csat, export, schedule) + [
            url("export_cancel", c, s, export_id=export.pk), url("export_download", c, s, export_id=export.pk),
            url("response_delete", c, s, response_id="R_abc"), url("response_embedded", c, s, response_id="R_abc"),
            url("schedule_delete", c, s, schedule_id=schedule.pk)]
        for address in everything:
            assert client.get(address).status_code in (404, 405), address
            assert client.post(address).status_code in (404, 405), address
            assert client.get(address, **hx).status_code in (404, 405), address
        assert team.sandbox.calls("POST") == []

    def test_a_viewer_reads_and_downloads_but_starts_nothing(self, team, csat, login, response_id):
        export, schedule = existing(team, csat)
        done = ResponseExport.objects.exclude(pk=export.pk).get()
        client = login(team.viewer)
        for address in reads(team, csat, export, schedule, response_id):
            assert client.get(address).status_code == 200, address
        download = client.get(url("export_download", team.connection, csat["id"], export_id=done.pk))
        assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
        assert b"".join(download.streaming_content).decode("utf-8-sig").startswith("StartDate,")
        for address in operator_screens(team, csat, export, schedule):
            assert client.get(address).status_code == 403, address
            assert client.post(address).status_code == 403, address
        assert client.post(url("export_cancel", team.connection, csat["id"], export_id=export.pk)).status_code == 403
        detail = client.get(url("response_detail", team.connection, csat["id"], response_id=response_id))
        assert b'data-testid="embedded-form"' not in detail.content and b"delete-response" not in detail.content

    def test_operators_export_and_set_embedded_data_only_managers_delete_responses(self, team, csat, login,
                                                                                   response_id):
        export, schedule = existing(team, csat)
        for operator in (team.operator, team.team_operator):
            client = login(operator)
            for address in operator_screens(team, csat, export, schedule):
                assert client.get(address).status_code == 200, address
            delete = url("response_delete", team.connection, csat["id"], response_id=response_id)
            assert client.get(delete).status_code == 403
            page = client.get(url("response_detail", team.connection, csat["id"], response_id=response_id))
            assert b'data-testid="embedded-form"' in page.content and b"delete-response" not in page.content
        for manager in (team.manager, team.owner):
            page = login(manager).get(url("response_detail", team.connection, csat["id"], response_id=response_id))
            assert b"delete-response" in page.content

    def test_the_htmx_variants_answer_with_their_partials(self, team, csat, login, hx):
        export, _schedule = existing(team, csat)
        client = login(team.operator)
        progress = client.get(url("export_progress", team.connection, csat["id"], export_id=export.pk), **hx)
        assert progress.status_code == 200 and b'id="export-progress"' in progress.content
        assert b"<html" not in progress.content
        form = client.post(url("export_create", team.connection, csat["id"]), {"format": "csv", "limit": "0"}, **hx)
        assert form.status_code == 200 and b'id="crud-form"' in form.content and b"<html" not in form.content
        ResponseExport.objects.filter(pk=export.pk).update(status="failed", error="boom")
        stopped = client.get(url("export_progress", team.connection, csat["id"], export_id=export.pk), **hx)
        assert stopped.status_code == 286 and b"boom" in stopped.content

    def test_the_survey_page_links_to_its_responses(self, team, csat, login):
        page = login(team.viewer).get(f"/c/{team.connection.pk}/surveys/{csat['id']}/").content.decode()
        assert url("export_list", team.connection, csat["id"]) in page
        assert url("response_find", team.connection, csat["id"]) in page


class TestExportNow:
    def post(self, client, team, csat, **data):
        return client.post(url("export_create", team.connection, csat["id"]), {"format": "csv", **data})

    def test_an_operator_starts_an_export_that_runs_in_the_background(self, team, csat, login, enqueued):
        client = login(team.operator)
        response = self.post(client, team, csat, format="tsv", use_labels="on", limit="3", breakout_sets="on",
                             embedded_ids="Region, CustomerTier", metadata_ids=["startDate", "_recordId"],
                             starts="2020-01-01T00:00", ends="2030-01-01T00:00")
        export = ResponseExport.objects.get()
        assert response.status_code == 302 and response["Location"] == export.get_absolute_url()
        assert export.options["limit"] == 3 and export.options["embeddedDataIds"] == ["Region", "CustomerTier"]
        assert export.options["startDate"] == "2020-01-01T00:00:00Z"  # the operator's zone is UTC
        assert export.created_by == team.operator and export.format == "tsv"
        assert AuditEvent.objects.filter(action="responses.export.create", actor=team.operator).exists()
        export = run_export(export.pk, team.sandbox)
        page = client.get(export.get_absolute_url()).content.decode()
        assert 'data-testid="export-count">3<' in page and "Download" in page

    @pytest.mark.parametrize(("data", "message"), [
        ({"limit": "0"}, "at least 1"),
        ({"limit": "-1"}, "at least 1"),
        ({"limit": "many"}, "whole number"),
        ({"starts": "2025-02-01T00:00", "ends": "2025-01-01T00:00"}, "ends before it starts"),
        ({"format": "docx"}, "Select a valid choice"),
    ])
    def test_bad_input_is_refused_on_the_form_and_nothing_starts(self, team, csat, login, data, message):
        response = self.post(login(team.operator), team, csat, **data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not ResponseExport.objects.exists()

    def test_an_unknown_survey_is_explained_as_not_found(self, team, login):
        client = login(team.operator)
        response = client.get(url("export_create", team.connection, "SV_doesNotExist00"))
        assert response.status_code == 404
        assert "Qualtrics could not find it" in response.content.decode()
        assert client.get(url("export_list", team.connection, "SV_doesNotExist00")).status_code == 404

    def test_a_failed_export_says_why_on_its_page(self, team, csat, login):
        client = login(team.operator)
        self.post(client, team, csat)
        export = ResponseExport.objects.get()
        team.sandbox.configure(fail_rate=1.0)
        run_export(export.pk, team.sandbox)
        team.sandbox.configure(fail_rate=0.0)
        page = client.get(export.get_absolute_url()).content.decode()
        assert 'data-testid="export-error"' in page and "Gave up after 5 failures" in page

    def test_cancel_from_the_page(self, team, csat, login):
        client = login(team.operator)
        self.post(client, team, csat)
        export = ResponseExport.objects.get()
        response = client.post(url("export_cancel", team.connection, csat["id"], export_id=export.pk))
        assert response.status_code == 302
        export.refresh_from_db()
        assert export.status == "cancelled"
        assert AuditEvent.objects.filter(action="responses.export.cancel").exists()


class TestResponsePage:
    def test_it_shows_the_answers_with_question_texts_and_the_embedded_data(self, team, csat, login, response_id):
        page = login(team.viewer).get(url("response_detail", team.connection, csat["id"], response_id=response_id))
        text = page.content.decode()
        assert response_id in text
        assert "How likely are you to recommend Acme to a friend or colleague?" in text
        assert 'data-testid="embedded-Region"' in text
        assert 'data-testid="finished">Yes' in text

    def test_find_by_id_goes_to_the_page_or_says_what_an_id_looks_like(self, team, csat, login, response_id):
        client = login(team.viewer)
        found = client.get(url("response_find", team.connection, csat["id"]) + f"?response_id={response_id}")
        assert found["Location"] == url("response_detail", team.connection, csat["id"], response_id=response_id)
        wrong = client.get(url("response_find", team.connection, csat["id"]) + "?response_id=hello")
        assert "A response ID is R_" in wrong.content.decode()
        gone = client.get(url("response_detail", team.connection, csat["id"], response_id="R_doesNotExist1"))
        assert gone.status_code == 404 and "could not find" in gone.content.decode()

    def test_an_operator_sets_embedded_data(self, team, csat, login, response_id, qualtrics):
        client = login(team.operator)
        response = client.post(url("response_embedded", team.connection, csat["id"], response_id=response_id),
                               {"name": "Region", "value": "Mars"})
        assert response.status_code == 302
        assert qualtrics.responses.get(csat["id"], response_id)["values"]["Region"] == "Mars"
        assert AuditEvent.objects.filter(actor=team.operator, request_id__gt="").exists()

    def test_a_manager_deletes_a_response_after_a_confirmation_naming_it(self, team, csat, login, response_id,
                                                                         qualtrics):
        client = login(team.manager)
        address = url("response_delete", team.connection, csat["id"], response_id=response_id)
        confirm = client.get(address).content.decode()
        assert f"Delete response “{response_id}”?" in confirm
        assert client.post(address).status_code == 302
        event = AuditEvent.objects.get(action="responses.response.delete")
        assert response_id in event.target and event.actor == team.manager and event.request_id
        from qualtrics import NotFoundError

        with pytest.raises(NotFoundError):
            qualtrics.responses.get(csat["id"], response_id)


class TestImportUpload:
    @pytest.mark.parametrize(("content", "message"), [
        (b"", "The file is empty"),
        (b"\xff\x00\x81binary", "not UTF-8 text"),
        (b"just one column\n", "must name the columns"),
        (b"StartDate,ResponseId\n", "holds no response"),
        (b'StartDate,Q1\n"unclosed,5\n', "not valid CSV"),
    ])
    def test_an_unreadable_file_is_refused_with_why(self, team, csat, login, content, message):
        upload = SimpleUploadedFile("r.csv", content, content_type="text/csv")
        response = login(team.operator).post(url("import_create", team.connection, csat["id"]), {"file": upload})
        assert response.status_code == 200 and message in response.content.decode()
