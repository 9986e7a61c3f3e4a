"""Single responses (get, create, delete, update embedded data), quotas, saved filters and the response hook."""

from __future__ import annotations

import re

import pytest

from .conftest import error_of, survey_id


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


@pytest.fixture
def stored(sandbox, survey):
    return sandbox.state.brands["acme"].surveys[survey]


@pytest.fixture
def heard(sandbox):
    """What the response hook was told: (survey ID, response ID, finished, source)."""
    calls = []

    def listener(brand, survey, response, source):
        calls.append((survey.id, response.id, response.finished, source))

    sandbox.state.hooks.response_recorded.append(listener)
    yield calls
    sandbox.state.hooks.response_recorded.remove(listener)


def test_get_response_shape(api, survey, stored):
    response = next(r for r in stored.responses.values() if r.finished and "QID5" in r.values)
    got = api.ok("GET", f"/surveys/{survey}/responses/{response.id}")
    assert set(got) == {"responseId", "values", "labels", "displayedFields", "displayedValues"}
    values, labels = got["values"], got["labels"]
    assert values["_recordId"] == got["responseId"] == response.id
    assert {"startDate", "endDate", "status", "progress", "duration", "finished", "recordedDate", "ipAddress",
            "distributionChannel", "userLanguage"} <= set(values)
    assert values["QID1_NPS_GROUP"] == (1 if values["QID1"] <= 6 else 2 if values["QID1"] <= 8 else 3)
    assert labels["QID1_NPS_GROUP"] in ("Detractor", "Passive", "Promoter")
    assert isinstance(values["QID5"], list) and len(labels["QID5"]) == len(values["QID5"])
    assert labels["QID3"] in ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")
    assert values["Region"] in ("NA", "EMEA", "APAC", "LATAM")
    assert labels["finished"] == "True" and labels["status"] == "IP Address"
    assert {"QID1", "QID3", "QID4_1", "QID5"} <= set(got["displayedFields"])
    assert got["displayedValues"]["QID1"] == list(range(11))
    assert sorted(got["displayedValues"]["QID5"]) == [1, 2, 3, 4, 5]


def test_create_response(api, survey, heard):
    # What a client copies from a GET response: recodes, a multi-select list, text, a matrix row, embedded data.
    body = {"values": {"startDate": "2025-06-01T10:00:00Z", "endDate": "2025-06-01T10:04:00Z", "status": 0,
                       "finished": 1, "QID1": 9, "QID3": "Satisfied", "QID4_2": 5, "QID5": [1, "Live chat"],
                       "QID6_TEXT": "More integrations, please.", "Region": "EMEA", "CustomerTier": "Gold"}}
    created = api.ok("POST", f"/surveys/{survey}/responses", body)
    assert set(created) == {"responseId"} and re.match(r"^R_[A-Za-z0-9]{15}$", created["responseId"])
    got = api.ok("GET", f"/surveys/{survey}/responses/{created['responseId']}")
    values, labels = got["values"], got["labels"]
    assert (values["QID1"], values["QID1_NPS_GROUP"], labels["QID1_NPS_GROUP"]) == (9, 3, "Promoter")
    assert (values["QID3"], labels["QID3"]) == (4, "Satisfied")
    assert (values["QID4_2"], labels["QID4_2"]) == (5, "Strongly agree")
    assert (values["QID5"], labels["QID5"]) == ([1, 3], ["Email", "Live chat"])
    assert values["QID6_TEXT"] == "More integrations, please."
    assert (values["Region"], values["CustomerTier"]) == ("EMEA", "Gold")
    assert (values["duration"], values["finished"], values["recordedDate"]) == (240, 1, "2025-06-01T10:04:00Z")
    assert {"QID1", "QID3", "QID4_1", "QID5", "QID6_TEXT"} <= set(got["displayedFields"])
    assert heard == [(survey, created["responseId"], True, "api")]
    partial = api.ok("POST", f"/surveys/{survey}/responses", {"values": {"QID1": 2, "finished": 0, "progress": 30}})
    assert heard[-1] == (survey, partial["responseId"], False, "api")
    assert api.ok("GET", f"/surveys/{survey}/responses/{partial['responseId']}")["labels"]["finished"] == "False"
    minimal = api.ok("POST", f"/surveys/{survey}/responses", {"values": {}})
    assert api.ok("GET", f"/surveys/{survey}/responses/{minimal['responseId']}")["values"]["finished"] == 1


@pytest.mark.parametrize(("values", "message"), [
    ({"QID1": 11}, "QID1"),
    ({"QID3": "Delighted"}, "QID3"),
    ({"QID4_9": 1}, "QID4_9"),
    ({"QID5": [7]}, "QID5"),
    ({"startDate": "yesterday"}, "startDate"),
])
def test_create_response_checks_answers(api, survey, values, message):
    response = api.post(f"/surveys/{survey}/responses", {"values": values})
    assert response.status_code == 400
    assert message in error_of(response)["errorMessage"]


def test_create_response_body_errors_and_result_key_switch(api, survey, sandbox):
    assert error_of(api.post(f"/surveys/{survey}/responses", {}))["errorCode"] == "RP_10"
    assert error_of(api.post(f"/surveys/{survey}/responses", {"values": {}, "Values": {}}))["errorCode"] == "RP_9"
    assert api.post(f"/surveys/{survey}/responses", {"values": [1]}).status_code == 400
    sandbox.configure(create_response_result_key="both")
    both = api.ok("POST", f"/surveys/{survey}/responses", {"values": {"QID1": 5}})
    assert both["id"] == both["responseId"]


def test_delete_response_and_decrement_quotas(api, survey, stored):
    quota_path = f"/surveys/{survey}/quotas"
    counts = {q["name"]: q["count"] for q in api.ok("GET", quota_path)["elements"]}
    first = api.ok("POST", f"/surveys/{survey}/responses", {"values": {"QID3": 5, "CustomerTier": "Gold"}})
    second = api.ok("POST", f"/surveys/{survey}/responses", {"values": {"QID3": 5, "CustomerTier": "Gold"}})
    after = {q["name"]: q["count"] for q in api.ok("GET", quota_path)["elements"]}
    assert after["Very satisfied customers"] == counts["Very satisfied customers"] + 2
    assert after["Gold tier"] == counts["Gold tier"] + 2
    deleted = api.delete(f"/surveys/{survey}/responses/{first['responseId']}")
    assert deleted.status_code == 200 and set(deleted.json()) == {"meta"}
    assert api.get(f"/surveys/{survey}/responses/{first['responseId']}").status_code == 404
    assert {q["name"]: q["count"] for q in api.ok("GET", quota_path)["elements"]} == after
    api.ok("DELETE", f"/surveys/{survey}/responses/{second['responseId']}", params={"decrementQuotas": "true"})
    final = {q["name"]: q["count"] for q in api.ok("GET", quota_path)["elements"]}
    assert final["Very satisfied customers"] == after["Very satisfied customers"] - 1
    assert api.ok("GET", f"/surveys/{survey}")["responseCounts"]["deleted"] == 2
    assert api.delete(f"/surveys/{survey}/responses/{first['responseId']}").status_code == 404


def test_update_embedded_data(api, survey, stored):
    response = next(iter(stored.responses.values()))
    recorded = response.values["recordedDate"]
    reply = api.put(f"/responses/{response.id}", {"surveyId": survey, "embeddedData": {"Reviewed": "yes",
                                                                                        "Region": "APAC"}})
    assert reply.status_code == 200 and set(reply.json()) == {"meta"}
    values = api.ok("GET", f"/surveys/{survey}/responses/{response.id}")["values"]
    assert (values["Reviewed"], values["Region"], values["recordedDate"]) == ("yes", "APAC", recorded)
    api.ok("PUT", f"/responses/{response.id}", {"surveyId": survey, "embeddedData": {"Reviewed": "twice"},
                                                "resetRecordedDate": True})
    values = api.ok("GET", f"/surveys/{survey}/responses/{response.id}")["values"]
    assert values["recordedDate"] != recorded
    assert error_of(api.put(f"/responses/{response.id}", {"embeddedData": {"a": "b"}}))["errorCode"] == "RP_10"
    assert api.put(f"/responses/R_{'x' * 15}", {"surveyId": survey, "embeddedData": {"a": "b"}}).status_code == 404
    assert api.put(f"/responses/{response.id}", {"surveyId": survey, "embeddedData": {"a": {"b": 1}}}
                   ).status_code == 400


def test_update_without_survey_id_when_switched(api, survey, stored, sandbox):
    response = next(iter(stored.responses.values()))
    sandbox.configure(response_update_survey_id="optional")
    api.ok("PUT", f"/responses/{response.id}", {"embeddedData": {"Reviewed": "yes"}})
    assert api.ok("GET", f"/surveys/{survey}/responses/{response.id}")["values"]["Reviewed"] == "yes"


def test_quotas_list(api, survey, stored):
    page = api.ok("GET", f"/surveys/{survey}/quotas", params={"pageSize": 2})
    assert len(page["elements"]) == 2 and "offset=2" in page["nextPage"]
    rest = api.ok("GET", page["nextPage"])
    quotas = page["elements"] + rest["elements"]
    assert rest["nextPage"] is None
    for quota in quotas:
        assert set(quota) == {"id", "name", "count", "quota", "logicType", "combinations"}
        assert re.match(r"^QO_[A-Za-z0-9]{15}$", quota["id"])
    by_name = {quota["name"]: quota for quota in quotas}
    finished = [r for r in stored.responses.values() if r.finished]
    assert by_name["Very satisfied customers"]["count"] == sum(r.values.get("QID3") == 5 for r in finished)
    assert by_name["Gold tier"]["count"] == sum(r.embedded.get("CustomerTier") == "Gold" for r in finished)
    assert (by_name["Gold tier"]["quota"], by_name["Gold tier"]["logicType"]) == (40, "Simple")
    cross = by_name["Responses per region"]
    assert cross["logicType"] == "Cross" and sum(c["count"] for c in cross["combinations"]) == cross["count"]
    assert {c["description"] for c in cross["combinations"]} == {f"Region is {r}" for r in ("NA", "EMEA", "APAC",
                                                                                          "LATAM")}


def test_filters_list(api, survey, acme):
    result = api.ok("GET", f"/surveys/{survey}/filters")
    assert result["nextPage"] is None
    assert [f["name"] for f in result["elements"]] == ["Promoters", "Detractors", "E-mail invitations",
                                                       "Gold customers"]
    for saved in result["elements"]:
        assert set(saved) == {"filterId", "name"}
        assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", saved["filterId"])
    archived = survey_id(acme, "Product Feedback (archived)")
    assert api.ok("GET", f"/surveys/{archived}/filters")["elements"] == []
    assert api.get(f"/surveys/SV_{'x' * 15}/filters").status_code == 404
