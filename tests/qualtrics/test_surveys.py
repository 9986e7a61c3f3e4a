"""The survey and survey-definition methods: what they send (fake transport), and what they do against the
sandbox over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from qualtrics import BadRequestError, NotFoundError, ServerError, UnsafeRequestError
from qualtrics.resources.surveys import QSF_MEDIA_TYPE

from .fakes import envelope

SV = "SV_123456789012345"
UR = "UR_123456789012345"


class TestWhatIsSent:
    def test_update_sends_only_what_is_given(self, client, transport):
        transport.on("PUT", f"/surveys/{SV}", envelope())
        client.surveys.update(SV, is_active=False)
        client.surveys.update(SV, name="Spring", expiration=(datetime(2031, 1, 1, 9, tzinfo=UTC), None))
        client.surveys.update(SV, expiration=(None, None))
        assert [sent.body for sent in transport.sent] == [
            {"isActive": False},
            {"name": "Spring", "expiration": {"startDate": "2031-01-01T09:00:00Z", "endDate": None}},
            {"expiration": {"startDate": None, "endDate": None}},
        ]

    def test_update_refuses_to_send_nothing(self, client, transport):
        with pytest.raises(ValueError, match="at least one"):
            client.surveys.update(SV)
        assert transport.sent == []

    def test_copy_names_the_source_and_the_owner_in_headers(self, client, transport):
        transport.on("POST", "/surveys", envelope({"id": "SV_999999999999999"}))
        assert client.surveys.copy(SV, name="Spring (copy)", owner_id=UR) == {"id": "SV_999999999999999"}
        sent = transport.sent[-1]
        assert sent.headers["X-COPY-SOURCE"] == SV
        assert sent.headers["X-COPY-DESTINATION-OWNER"] == UR
        assert sent.body == {"projectName": "Spring (copy)"}
        assert sent.headers["X-API-TOKEN"]  # extra headers never replace the token

    def test_copy_without_an_owner_leaves_the_header_out(self, client, transport):
        transport.on("POST", "/surveys", envelope({"id": "SV_999999999999999"}))
        client.surveys.copy(SV, name="Mine")
        assert "X-COPY-DESTINATION-OWNER" not in transport.sent[-1].headers

    def test_copy_refuses_an_id_that_could_smuggle_a_header(self, client, transport):
        with pytest.raises(UnsafeRequestError):
            client.surveys.copy("SV_1\r\nX-Evil: 1", name="x")
        assert transport.sent == []

    def test_import_is_multipart_with_the_qsf_media_type(self, client, transport):
        transport.on("POST", "/surveys", envelope({"id": "SV_999999999999999"}))
        content = json.dumps({"SurveyEntry": {}, "SurveyElements": []}).encode()
        client.surveys.import_qsf(name="Imported", content=content, filename="spring.qsf")
        sent = transport.sent[-1]
        assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        raw = sent.body if isinstance(sent.body, bytes) else sent.body.encode()
        assert b'name="name"\r\n\r\nImported\r\n' in raw
        assert b'name="file"; filename="spring.qsf"\r\nContent-Type: ' + QSF_MEDIA_TYPE.encode() in raw
        assert content in raw

    def test_a_failed_import_is_not_sent_twice(self, client, transport, sleeps):
        transport.on("POST", "/surveys", envelope(status=503, error_message="Service unavailable"))
        with pytest.raises(ServerError, match="Service unavailable"):
            client.surveys.import_qsf(name="Imported", content=b"{}")
        assert len(transport.sent) == 1  # a create is never retried once Qualtrics may have acted

    def test_definition_and_qsf_export(self, client, transport):
        transport.on("GET", f"/survey-definitions/{SV}", envelope({"SurveyID": SV}))
        client.survey_definitions.get(SV)
        client.survey_definitions.export_qsf(SV)
        assert [(s.path, s.param("format")) for s in transport.sent] == [
            (f"/survey-definitions/{SV}", None), (f"/survey-definitions/{SV}", "qsf")]

    def test_quotas_filters_and_delete(self, client, transport):
        transport.on("GET", f"/surveys/{SV}/quotas", envelope({"elements": [{"id": "QO_1"}], "nextPage": None}))
        transport.on("GET", f"/surveys/{SV}/filters", envelope({"elements": [], "nextPage": None}))
        transport.on("DELETE", f"/surveys/{SV}", envelope())
        assert client.surveys.list_quotas(SV).items == [{"id": "QO_1"}]
        assert client.surveys.list_filters(SV).items == []
        assert client.surveys.delete(SV) is None
        assert [(s.method, s.path) for s in transport.sent] == [
            ("GET", f"/surveys/{SV}/quotas"), ("GET", f"/surveys/{SV}/filters"), ("DELETE", f"/surveys/{SV}")]


def _survey(api, name: str) -> dict:
    return next(s for s in api.surveys.list().iter_all() if s["name"] == name)


class TestAgainstTheSandbox:
    def test_list_and_get(self, api, acme):
        listed = list(api.surveys.list(page_size=2).iter_all())
        assert {s["id"] for s in listed} == {s["id"] for s in acme["surveys"]}
        assert set(listed[0]) >= {"id", "name", "ownerId", "isActive", "creationDate", "lastModified"}
        one = api.surveys.get(listed[0]["id"])
        assert set(one["responseCounts"]) == {"auditable", "generated", "deleted"}
        assert set(one["expiration"]) == {"startDate", "endDate"}

    def test_activate_rename_window_and_clear_it(self, api):
        survey = _survey(api, "Product Feedback (archived)")
        start, end = datetime(2031, 3, 1, 8, tzinfo=UTC), datetime(2031, 4, 1, 8, tzinfo=UTC)
        api.surveys.update(survey["id"], is_active=True, name="Product Feedback 2031", expiration=(start, end))
        changed = api.surveys.get(survey["id"])
        assert (changed["isActive"], changed["name"]) == (True, "Product Feedback 2031")
        assert changed["expiration"]["startDate"].startswith("2031-03-01T08:00:00")
        assert changed["expiration"]["endDate"].startswith("2031-04-01T08:00:00")
        api.surveys.update(survey["id"], expiration=(None, None))
        assert api.surveys.get(survey["id"])["expiration"] == {"startDate": None, "endDate": None}

    def test_copy_to_another_owner(self, api):
        source = _survey(api, "Customer Satisfaction 2025")
        other_owner = next(u["id"] for u in api.users.list().iter_all() if u["id"] != source["ownerId"])
        copied = api.surveys.copy(source["id"], name="CSAT 2026", owner_id=other_owner)
        copy = api.surveys.get(copied["id"])
        assert (copy["name"], copy["ownerId"], copy["isActive"]) == ("CSAT 2026", other_owner, False)
        assert copy["responseCounts"]["auditable"] == 0
        original = api.survey_definitions.get(source["id"])
        assert api.survey_definitions.get(copied["id"])["Questions"] == original["Questions"]

    def test_export_then_import_a_qsf(self, api):
        source = _survey(api, "Onboarding Pulse")
        document = api.survey_definitions.export_qsf(source["id"])
        assert set(document) == {"SurveyEntry", "SurveyElements"}
        created = api.surveys.import_qsf(name="Onboarding again", content=json.dumps(document).encode())
        imported = api.survey_definitions.get(created["id"])
        assert imported["SurveyName"] == "Onboarding again"
        assert len(imported["Questions"]) == len(api.survey_definitions.get(source["id"])["Questions"])

    def test_import_of_something_that_is_not_a_survey_is_refused(self, api):
        with pytest.raises(BadRequestError, match="not a Qualtrics survey"):
            api.surveys.import_qsf(name="Nope", content=b"name,email\nada,ada@example.com\n")

    def test_quotas_filters_and_delete(self, api):
        survey = _survey(api, "Customer Satisfaction 2025")
        quotas = list(api.surveys.list_quotas(survey["id"]).iter_all())
        assert quotas and {"id", "name", "count", "quota"} <= set(quotas[0])
        filters = list(api.surveys.list_filters(survey["id"]).iter_all())
        assert all({"filterId", "name"} <= set(f) for f in filters)
        api.surveys.delete(survey["id"])
        with pytest.raises(NotFoundError):
            api.surveys.get(survey["id"])
        with pytest.raises(NotFoundError):
            api.survey_definitions.get(survey["id"])
