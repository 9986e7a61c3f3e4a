"""The survey-definitions API, survey copy, QSF import and export, and the survey hooks."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import error_of, survey_id

DEFINITION_KEYS = {"QuestionCount", "SurveyOptions", "SurveyID", "SurveyName", "SurveyStatus", "LastModified",
                   "BrandID", "OwnerID", "DivisionID", "LastAccessed", "CreatorID", "LastActivated", "Questions",
                   "Blocks", "ResponseSets", "SurveyFlow", "Scoring", "ProjectInfo", "BrandBaseURL"}
METADATA_KEYS = {"SurveyID", "SurveyName", "SurveyDescription", "SurveyOwnerID", "SurveyBrandID", "DivisionID",
                 "SurveyLanguage", "SurveyActiveResponseSet", "SurveyStatus", "SurveyStartDate", "SurveyExpirationDate",
                 "SurveyCreationDate", "CreatorID", "LastModified", "LastAccessed", "LastActivated", "Deleted"}


@pytest.fixture
def survey(acme):
    return survey_id(acme, "Customer Satisfaction 2025")


def test_create_survey_definition(api):
    created = api.ok("POST", "/survey-definitions",
                     {"SurveyName": "Event feedback", "Language": "EN", "ProjectCategory": "CORE"})
    assert set(created) == {"SurveyID", "DefaultBlockID"}
    assert re.match(r"^SV_[A-Za-z0-9]{15}$", created["SurveyID"])
    assert re.match(r"^BL_[A-Za-z0-9]{15}$", created["DefaultBlockID"])
    definition = api.ok("GET", f"/survey-definitions/{created['SurveyID']}")
    assert set(definition) == DEFINITION_KEYS
    assert (definition["SurveyName"], definition["SurveyStatus"], definition["QuestionCount"]) == (
        "Event feedback", "Inactive", "0")
    assert definition["Blocks"][created["DefaultBlockID"]]["Type"] == "Default"
    assert {block["Type"] for block in definition["Blocks"].values()} == {"Default", "Trash"}
    assert definition["SurveyFlow"] == {"FlowID": "FL_1", "Type": "Root", "Properties": {"Count": 2},
                                        "Flow": [{"ID": created["DefaultBlockID"], "Type": "Block", "FlowID": "FL_2"}]}
    assert definition["ProjectInfo"]["ProjectCategory"] == "CORE"
    assert created["SurveyID"] in {s["id"] for s in api.ok("GET", "/surveys")["elements"]}
    for body, code in (({"SurveyName": "x", "Language": "EN"}, "RP_10"),
                       ({"SurveyName": "x", "Language": "EN", "ProjectCategory": "CORE", "Extra": 1}, "RP_9")):
        assert error_of(api.post("/survey-definitions", body))["errorCode"] == code
    assert api.post("/survey-definitions", {"SurveyName": "x", "Language": "XX",
                                            "ProjectCategory": "CORE"}).status_code == 400
    assert api.post("/survey-definitions", {"SurveyName": "x", "Language": "EN",
                                            "ProjectCategory": "OTHER"}).status_code == 400


def test_demo_definition_carries_blocks_types_required_flags_and_logic(api, survey, sandbox):
    definition = api.ok("GET", f"/survey-definitions/{survey}")
    questions = definition["Questions"]
    kinds = {qid: (q["QuestionType"], q["Selector"]) for qid, q in questions.items()}
    assert kinds == {"QID1": ("MC", "NPS"), "QID2": ("TE", "ESTB"), "QID3": ("MC", "SAVR"),
                     "QID4": ("Matrix", "Likert"), "QID5": ("MC", "MAVR"), "QID6": ("TE", "ESTB")}
    required = {qid for qid, q in questions.items() if q["Validation"]["Settings"]["ForceResponse"] == "ON"}
    assert required == {"QID1", "QID3"}
    assert questions["QID2"]["DisplayLogic"]["0"]["0"]["ChoiceLocator"] == "q://QID1/SelectableChoice/0"
    assert set(questions["QID4"]["Answers"]) == {"1", "2", "3", "4", "5"}
    assert questions["QID5"]["Randomization"]["Type"] == "All"
    assert all(q["QuestionID"] == qid and q["DataExportTag"] for qid, q in questions.items())
    described = {block["Description"]: block for block in definition["Blocks"].values()}
    assert set(described) == {"Recommendation", "Satisfaction", "Contact channels", "Final thoughts",
                              "Trash / Unused Questions"}
    assert [e["QuestionID"] for e in described["Satisfaction"]["BlockElements"]] == ["QID3", "QID4"]
    flow = definition["SurveyFlow"]["Flow"]
    assert [element["Type"] for element in flow] == ["EmbeddedData", "Block", "BlockRandomizer", "Block"]
    assert [f["Field"] for f in flow[0]["EmbeddedData"]] == ["Region", "CustomerTier"]
    assert definition["QuestionCount"] == "6" and definition["SurveyStatus"] == "Active"
    assert definition["BrandBaseURL"] == "https://acme.iad1.qualtrics.com"
    # Responses follow the definition: every answered key belongs to one of its questions.
    stored = sandbox.state.brands["acme"].surveys[survey]
    keys = {"QID1", "QID1_NPS_GROUP", "QID2_TEXT", "QID3", "QID4_1", "QID4_2", "QID4_3", "QID5", "QID6_TEXT"}
    for response in stored.responses.values():
        answered = {key for key in response.values if key.startswith("QID")}
        assert answered <= keys
        if response.finished:
            assert {"QID1", "QID3"} <= answered  # required questions
        if "QID2_TEXT" in response.displayed:
            assert response.values["QID1"] <= 8  # display logic: the reason is asked of non-promoters


def test_flow(api, survey):
    flow = api.ok("GET", f"/survey-definitions/{survey}/flow")
    assert set(flow) == {"FlowID", "Type", "Flow", "Properties"}
    assert flow["Type"] == "Root" and isinstance(flow["Flow"], list)
    assert all(re.match(r"^FL_\d+$", element["FlowID"]) for element in flow["Flow"])
    randomizer = next(e for e in flow["Flow"] if e["Type"] == "BlockRandomizer")
    assert len(randomizer["Flow"]) == 2 and randomizer["SubSet"] == 2
    reordered = [flow["Flow"][0], flow["Flow"][3], flow["Flow"][1]]
    assert api.put(f"/survey-definitions/{survey}/flow", {**flow, "Flow": reordered}).status_code == 200
    assert [e["Type"] for e in api.ok("GET", f"/survey-definitions/{survey}/flow")["Flow"]] == [
        "EmbeddedData", "Block", "Block"]
    broken = [{"Type": "Block", "ID": "BL_xxxxxxxxxxxxxxx", "FlowID": "FL_9"}]
    assert api.put(f"/survey-definitions/{survey}/flow", {"Flow": broken}).status_code == 400
    assert api.put(f"/survey-definitions/{survey}/flow", {"Flow": [{"Type": "Nonsense", "FlowID": "FL_9"}]}
                   ).status_code == 400


def test_metadata_get_and_update(api, survey, sandbox):
    metadata = api.ok("GET", f"/survey-definitions/{survey}/metadata")
    assert set(metadata) == METADATA_KEYS
    assert (metadata["SurveyStatus"], metadata["SurveyBrandID"]) == ("Active", "acme")
    changes = []
    listeners = sandbox.state.hooks.survey_status_changed
    kept = len(listeners)  # the sandbox's own listeners stay
    listeners.append(
        lambda brand, changed, active, source: changes.append((changed.id, active, source)))
    try:
        response = api.put(f"/survey-definitions/{survey}/metadata", {
            "SurveyName": "CSAT 2025", "SurveyDescription": "Quarterly pulse", "SurveyStatus": "Inactive",
            "SurveyStartDate": "2025-04-01 00:00:00", "SurveyExpirationDate": "2025-12-31 23:59:59"})
        assert response.status_code == 200 and set(response.json()) == {"meta"}
    finally:
        del listeners[kept:]
    assert changes == [(survey, False, "api")]
    metadata = api.ok("GET", f"/survey-definitions/{survey}/metadata")
    assert (metadata["SurveyName"], metadata["SurveyDescription"], metadata["SurveyStatus"]) == (
        "CSAT 2025", "Quarterly pulse", "Inactive")
    assert metadata["SurveyExpirationDate"] == "2025-12-31T23:59:59Z"
    legacy = api.ok("GET", f"/surveys/{survey}")
    assert (legacy["name"], legacy["isActive"]) == ("CSAT 2025", False)
    assert legacy["expiration"]["startDate"] == "2025-04-01T00:00:00Z"
    iso = api.put(f"/survey-definitions/{survey}/metadata", {"SurveyStartDate": "2025-04-01T00:00:00Z"})
    assert iso.status_code == 400 and "MySQL" in error_of(iso)["errorMessage"]
    assert api.put(f"/survey-definitions/{survey}/metadata", {}).status_code == 400
    assert api.put(f"/survey-definitions/{survey}/metadata", {"SurveyStatus": "Deactive"}).status_code == 400


def test_put_surveys_activation_fires_the_status_hook_once(api, survey, sandbox):
    changes = []
    listeners = sandbox.state.hooks.survey_status_changed
    kept = len(listeners)  # the sandbox's own listeners stay
    listeners.append(lambda b, s, active, source: changes.append(active))
    try:
        api.ok("PUT", f"/surveys/{survey}", {"isActive": False})
        api.ok("PUT", f"/surveys/{survey}", {"isActive": False, "name": "Paused"})
        api.ok("PUT", f"/surveys/{survey}", {"isActive": True})
    finally:
        del listeners[kept:]
    assert changes == [False, True]
    assert api.ok("GET", f"/survey-definitions/{survey}")["LastActivated"] is not None


def test_blocks_and_questions(api):
    created = api.ok("POST", "/survey-definitions", {"SurveyName": "Builder", "Language": "EN",
                                                     "ProjectCategory": "CX"})
    sid, default = created["SurveyID"], created["DefaultBlockID"]
    question = {"QuestionText": "What is your favorite color?", "QuestionType": "MC", "Selector": "SAVR",
                "SubSelector": "TX", "Configuration": {"QuestionDescriptionOption": "UseText"},
                "Choices": {"1": {"Display": "Red"}, "2": {"Display": "Green"}, "3": {"Display": "Blue"}},
                "ChoiceOrder": ["1", "2", "3"],
                "Validation": {"Settings": {"ForceResponse": "ON", "ForceResponseType": "ON", "Type": "None"}},
                "Language": []}
    first = api.ok("POST", f"/survey-definitions/{sid}/questions", question)
    assert first == {"QuestionID": "QID1"}
    block = api.ok("POST", f"/survey-definitions/{sid}/blocks", {
        "Type": "Standard", "Description": "Follow-up", "BlockElements": [],
        "Options": {"BlockLocking": "false", "RandomizeQuestions": "false", "BlockVisibility": "Collapsed"}})
    assert set(block) == {"BlockID", "FlowID"} and block["FlowID"] == "FL_3"
    second = api.ok("POST", f"/survey-definitions/{sid}/questions?blockId={block['BlockID']}",
                    {"QuestionText": "Why?", "QuestionType": "TE", "Selector": "ML"})
    assert second == {"QuestionID": "QID2"}
    got = api.ok("GET", f"/survey-definitions/{sid}/questions/QID2")
    assert (got["DataExportTag"], got["QuestionID"], got["Validation"]["Settings"]["ForceResponse"]) == (
        "Q2", "QID2", "OFF")
    listed = api.ok("GET", f"/survey-definitions/{sid}/questions")["elements"]
    assert [q["QuestionID"] for q in listed] == ["QID1", "QID2"]
    assert api.ok("GET", f"/survey-definitions/{sid}/blocks/{block['BlockID']}")["BlockElements"] == [
        {"Type": "Question", "QuestionID": "QID2"}]
    api.ok("PUT", f"/survey-definitions/{sid}/questions/QID1", {**question, "QuestionText": "Favourite colour?"})
    assert api.ok("GET", f"/survey-definitions/{sid}/questions/QID1")["QuestionText"] == "Favourite colour?"
    api.ok("PUT", f"/survey-definitions/{sid}/blocks/{block['BlockID']}",
           {"Type": "Standard", "Description": "Why block", "BlockElements": [{"Type": "Question",
                                                                              "QuestionID": "QID2"}]})
    assert api.ok("GET", f"/survey-definitions/{sid}/blocks/{block['BlockID']}")["Description"] == "Why block"
    assert api.post(f"/survey-definitions/{sid}/questions", {"QuestionType": "MC", "Selector": "SAVR"}
                    ).status_code == 400
    assert error_of(api.post(f"/survey-definitions/{sid}/questions", {"Selector": "SL"}))["errorCode"] == "RP_10"
    assert api.delete(f"/survey-definitions/{sid}/blocks/{default}").status_code == 400
    assert api.delete(f"/survey-definitions/{sid}/questions/QID1").status_code == 200
    assert api.get(f"/survey-definitions/{sid}/questions/QID1").status_code == 404
    assert api.delete(f"/survey-definitions/{sid}/blocks/{block['BlockID']}").status_code == 200
    flow = api.ok("GET", f"/survey-definitions/{sid}/flow")["Flow"]
    assert [e["ID"] for e in flow] == [default]
    options = api.ok("GET", f"/survey-definitions/{sid}/options")
    assert options["BackButton"] == "false"
    api.ok("PUT", f"/survey-definitions/{sid}/options", {**options, "BackButton": "true"})
    assert api.ok("GET", f"/survey-definitions/{sid}/options")["BackButton"] == "true"


def test_delete_survey_definition(api, acme):
    target = survey_id(acme, "Onboarding Pulse")
    deleted = api.ok("DELETE", f"/survey-definitions/{target}")
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", deleted["DeletedDate"])
    assert api.get(f"/survey-definitions/{target}").status_code == 404
    assert api.get(f"/surveys/{target}").status_code == 404
    other = survey_id(acme, "Product Feedback (archived)")
    assert api.delete(f"/surveys/{other}").status_code == 200
    assert len(api.ok("GET", "/surveys")["elements"]) == 1


def test_copy_survey(api, survey, user_api):
    owner = user_api.ok("GET", "/whoami")["userId"]
    copied = api.ok("POST", "/surveys", {"projectName": "CSAT 2026"},
                    headers={"X-COPY-SOURCE": survey, "X-COPY-DESTINATION-OWNER": owner})
    assert set(copied) == {"id"} and copied["id"] != survey
    original = api.ok("GET", f"/survey-definitions/{survey}")
    clone = api.ok("GET", f"/survey-definitions/{copied['id']}")
    assert (clone["SurveyName"], clone["OwnerID"], clone["SurveyStatus"]) == ("CSAT 2026", owner, "Inactive")
    assert clone["Questions"] == original["Questions"]
    assert set(clone["Blocks"]).isdisjoint(original["Blocks"])
    assert api.ok("GET", f"/surveys/{copied['id']}")["responseCounts"]["auditable"] == 0
    assert len(api.ok("GET", f"/surveys/{copied['id']}/quotas")["elements"]) == 3
    assert api.post("/surveys", {"projectName": "x"}, headers={"X-COPY-SOURCE": "SV_xxxxxxxxxxxxxxx"}
                    ).status_code == 404
    assert error_of(api.post("/surveys", {}, headers={"X-COPY-SOURCE": survey}))["errorCode"] == "RP_10"
    assert api.post("/surveys", {"projectName": "x"}, headers={
        "X-COPY-SOURCE": survey, "X-COPY-DESTINATION-OWNER": "UR_xxxxxxxxxxxxxxx"}).status_code == 400


def test_qsf_export_and_import(api, survey):
    document = api.ok("GET", f"/survey-definitions/{survey}", params={"format": "qsf"})
    assert set(document) == {"SurveyEntry", "SurveyElements"}
    entry = document["SurveyEntry"]
    assert entry["SurveyID"] == survey and re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
                                                     entry["SurveyCreationDate"])
    kinds = [element["Element"] for element in document["SurveyElements"]]
    assert {"BL", "FL", "SO", "SCO", "PROJ", "STAT", "QC", "RS"} <= set(kinds) and kinds.count("SQ") == 6
    assert kinds.count("QO") == 3
    # The way R's QualtricsInR (and curl -F) imports: multipart with `name` and a .qsf `file`.
    imported = api.post("/surveys", files={
        "name": (None, "CSAT imported"),
        "file": ("csat.qsf", json.dumps(document).encode(), "application/vnd.qualtrics.survey.qsf")})
    assert imported.status_code == 200, imported.text
    new_id = imported.json()["result"]["id"]
    original = api.ok("GET", f"/survey-definitions/{survey}")
    copy = api.ok("GET", f"/survey-definitions/{new_id}")
    assert copy["SurveyName"] == "CSAT imported" and copy["Questions"] == original["Questions"]
    assert copy["SurveyFlow"]["Flow"] == original["SurveyFlow"]["Flow"]
    quotas = {q["name"]: q for q in api.ok("GET", f"/surveys/{new_id}/quotas")["elements"]}
    assert quotas["Responses per region"]["logicType"] == "Cross"
    assert len(quotas["Responses per region"]["combinations"]) == 4
    via_definitions = api.ok("POST", "/survey-definitions", document)
    assert api.ok("GET", f"/survey-definitions/{via_definitions['SurveyID']}")["QuestionCount"] == "6"
    bad = api.post("/surveys", files={"name": (None, "x"), "file": ("x.qsf", b"not json",
                                                                   "application/vnd.qualtrics.survey.qsf")})
    assert bad.status_code == 400
    assert api.post("/surveys", files={"name": (None, "x"), "file": ("x.txt", b"[[Question:MC]]",
                                                                    "application/vnd.qualtrics.survey.txt")}
                    ).status_code == 400
    assert error_of(api.post("/surveys", files={"name": (None, "x")}))["errorCode"] == "RP_10"
    assert api.post("/surveys", {"name": "x"}).status_code == 400
    assert api.get(f"/survey-definitions/{survey}", params={"format": "docx"}).status_code == 400


def test_survey_definition_quotas(api, survey):
    page = api.ok("GET", f"/survey-definitions/{survey}/quotas", params={"pageSize": 2})
    assert len(page["elements"]) == 2 and "skipToken=" in page["nextPage"]
    rest = api.ok("GET", page["nextPage"])
    assert len(rest["elements"]) == 1 and rest["nextPage"] is None
    simple = page["elements"][0]
    assert {"Name", "Occurrences", "Count", "Logic", "LogicType", "QuotaAction", "ID", "QuotaRealm"} <= set(simple)
    assert simple["Logic"]["0"]["0"]["ChoiceLocator"] == "q://QID3/SelectableChoice/5"
    cross = rest["elements"][0]
    assert cross["LogicType"] == "Cross" and len(cross["CrossLogicDef"]) == 4
    assert api.ok("GET", f"/survey-definitions/{survey}/quotas/{simple['ID']}") == simple
    assert api.get(f"/survey-definitions/{survey}/quotas/QO_xxxxxxxxxxxxxxx").status_code == 404
