"""Response exports: every option changes the file as Qualtrics does, and every format opens in a reader for it."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timedelta

import pytest

from . import savfile
from .conftest import error_of, survey_id

EXPORT = "/surveys/{survey}/export-responses"


@pytest.fixture
def survey(acme, sandbox):
    sandbox.configure(job_seconds=0)
    return survey_id(acme, "Customer Satisfaction 2025")


@pytest.fixture
def stored(sandbox, survey):
    return sandbox.state.brands["acme"].surveys[survey]


def export(api, survey, body, *, with_progress=False):
    """Start, poll and download as a client does; the file inside the zip (and the finished progress)."""
    started = api.ok("POST", EXPORT.format(survey=survey), body)
    assert set(started) == {"progressId", "percentComplete", "status"}
    progress = api.ok("GET", f"{EXPORT.format(survey=survey)}/{started['progressId']}")
    assert progress["status"] == "complete"
    reply = api.get(f"{EXPORT.format(survey=survey)}/{progress['fileId']}/file")
    assert reply.status_code == 200
    if body.get("compress", True):
        assert reply.headers["Content-Type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
            [name] = archive.namelist()
            data = archive.read(name)
    else:
        data = reply.content
    return (data, progress) if with_progress else data


def table(data, delimiter=","):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
    header, texts, import_ids, *body = rows
    return header, texts, [json.loads(cell) for cell in import_ids], [dict(zip(header, row, strict=True))
                                                                      for row in body]


def test_csv_has_metadata_question_embedded_columns_in_order(api, survey, stored):
    header, texts, import_ids, rows = table(export(api, survey, {"format": "csv"}))
    assert header[:9] == ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                          "Finished", "RecordedDate", "ResponseId"]
    questions = ["Q1", "Q1_NPS_GROUP", "Q2", "Q3", "Q4_1", "Q4_2", "Q4_3", "Q5_1", "Q5_2", "Q5_3", "Q5_4", "Q5_5",
                 "Q6"]
    assert header[header.index("Q1"): header.index("Q6") + 1] == questions
    assert header[-2:] == ["Region", "CustomerTier"]
    assert texts[header.index("Q4_2")] == (
        "How much do you agree with the following statements? - The product is easy to use")
    assert import_ids[header.index("Q5_3")] == {"ImportId": "QID5_3"}
    assert import_ids[header.index("Q2")] == {"ImportId": "QID2_TEXT"}
    assert len(rows) == len(stored.responses)
    by_id = {row["ResponseId"]: row for row in rows}
    for response in stored.responses.values():
        row = by_id[response.id]
        assert row["Q3"] == str(response.values.get("QID3", ""))
        assert row["Region"] == response.embedded["Region"]
        chosen = response.values.get("QID5") or []
        assert [row[f"Q5_{n}"] == "1" for n in range(1, 6)] == [n in chosen for n in range(1, 6)]
    assert [row["RecordedDate"] for row in rows] == sorted(row["RecordedDate"] for row in rows)
    assert all(len(row["StartDate"]) == 19 and row["StartDate"][10] == " " for row in rows)


def test_use_labels_and_label_columns(api, survey, stored):
    _, _, _, rows = table(export(api, survey, {"format": "csv", "useLabels": True}))
    assert {row["Q3"] for row in rows} <= {"Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied",
                                           "Very satisfied", ""}
    assert {row["Q1_NPS_GROUP"] for row in rows} <= {"Detractor", "Passive", "Promoter", ""}
    assert {row["Finished"] for row in rows} == {"True", "False"}
    header, _, import_ids, _ = table(export(api, survey, {"format": "csv", "includeLabelColumns": True}))
    q3 = [i for i, name in enumerate(header) if name == "Q3"]
    assert [import_ids[i] for i in q3] == [{"ImportId": "QID3"}, {"ImportId": "QID3", "IsLabelsColumn": True}]
    refused = api.post(EXPORT.format(survey=survey), {"format": "csv", "useLabels": True,
                                                      "includeLabelColumns": True})
    assert refused.status_code == 400


def test_question_metadata_and_embedded_selection(api, survey):
    header, *_ = table(export(api, survey, {
        "format": "csv", "questionIds": ["QID3", "QID5"], "surveyMetadataIds": ["recordedDate", "_recordId"],
        "embeddedDataIds": ["CustomerTier"]}))
    assert header == ["RecordedDate", "ResponseId", "Q3", "Q5_1", "Q5_2", "Q5_3", "Q5_4", "Q5_5", "CustomerTier"]
    assert error_of(api.post(EXPORT.format(survey=survey), {"format": "csv", "questionIds": ["QID99"]}))[
        "errorMessage"] == "Invalid questionIds: QID99"
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "surveyMetadataIds": ["nope"]}).status_code == 400
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "questionIds": "QID1"}).status_code == 400


def test_seen_unanswered_recodes(api, survey, stored):
    plain = table(export(api, survey, {"format": "csv"}))[3]
    recoded = table(export(api, survey, {"format": "csv", "seenUnansweredRecode": -99,
                                         "multiselectSeenUnansweredRecode": 0}))[3]
    by_id = {row["ResponseId"]: row for row in recoded}
    saw_unanswered = saw_hidden = False
    for row in plain:
        response = stored.responses[row["ResponseId"]]
        other = by_id[row["ResponseId"]]
        if "QID2_TEXT" in response.displayed and "QID2_TEXT" not in response.values:
            saw_unanswered = True
            assert (row["Q2"], other["Q2"]) == ("", "-99")
        if "QID2_TEXT" not in response.displayed:
            saw_hidden = True
            assert other["Q2"] == ""  # hidden by display logic: never recoded
        if "QID5" in response.displayed:
            chosen = response.values.get("QID5") or []
            assert [other[f"Q5_{n}"] for n in range(1, 6)] == ["1" if n in chosen else "0" for n in range(1, 6)]
    assert saw_unanswered and saw_hidden
    only_single = table(export(api, survey, {"format": "csv", "seenUnansweredRecode": -1}))[3]
    unchosen = [row["Q5_1"] for row in only_single if "QID5" in stored.responses[row["ResponseId"]].displayed
                and 1 not in (stored.responses[row["ResponseId"]].values.get("QID5") or [])]
    assert unchosen and set(unchosen) == {"-1"}


def test_breakout_sets_false_joins_multi_select_answers(api, survey, stored):
    header, _, import_ids, rows = table(export(api, survey, {"format": "csv", "breakoutSets": False}))
    assert "Q5" in header and "Q5_1" not in header
    assert import_ids[header.index("Q5")] == {"ImportId": "QID5"}
    for row in rows:
        chosen = stored.responses[row["ResponseId"]].values.get("QID5")
        assert row["Q5"] == (",".join(str(c) for c in chosen) if chosen else "")
    labelled = table(export(api, survey, {"format": "csv", "breakoutSets": False, "useLabels": True}))[3]
    for row in labelled:
        chosen = stored.responses[row["ResponseId"]].labels.get("QID5")
        assert row["Q5"] == (",".join(chosen) if chosen else "")
    assert any("," in row["Q5"] for row in labelled)


def test_display_order(api, survey, stored):
    header, _, import_ids, rows = table(export(api, survey, {"format": "csv", "includeDisplayOrder": True}))
    assert header[-2:] == ["Q5_DO", "FL_7_DO"]
    assert import_ids[-2:] == [{"ImportId": "QID5_DO"}, {"ImportId": "FL_7_DO"}]
    for row in rows:
        # A partial response may have stopped before it reached the randomizer.
        if row["Finished"] == "1" or row["FL_7_DO"]:
            assert sorted(row["FL_7_DO"].split("|")) == ["Contact channels", "Satisfaction"]
        if row["Q5_DO"]:
            assert sorted(row["Q5_DO"].split("|")) == ["1", "2", "3", "4", "5"]
    assert "Q5_DO" not in table(export(api, survey, {"format": "csv"}))[0]
    narrowed = table(export(api, survey, {"format": "csv", "includeDisplayOrder": True, "questionIds": ["QID3"]}))[0]
    assert narrowed[-1] == "FL_7_DO" and "Q5_DO" not in narrowed


def test_time_zone_newlines_and_decimal_comma(api, survey, stored):
    utc = {row["ResponseId"]: row for row in table(export(api, survey, {"format": "csv"}))[3]}
    header, _, import_ids, rows = table(export(api, survey, {
        "format": "csv", "timeZone": "America/Chicago", "newlineReplacement": " / ", "formatDecimalAsComma": True}))
    assert import_ids[header.index("StartDate")] == {"ImportId": "startDate", "timeZone": "America/Chicago"}
    for row in rows:
        there = datetime.strptime(row["RecordedDate"], "%Y-%m-%d %H:%M:%S")
        here = datetime.strptime(utc[row["ResponseId"]]["RecordedDate"], "%Y-%m-%d %H:%M:%S")
        assert here - there in (timedelta(hours=5), timedelta(hours=6))
        assert "," in row["LocationLatitude"] and "." not in row["LocationLatitude"]
        assert "\n" not in row["Q6"]
    assert any(" / " in row["Q6"] for row in rows)
    assert any("\n" in row["Q6"] for row in utc.values())
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "timeZone": "Mars/Olympus"}).status_code == 400


def test_dates_limit_and_sort_by_last_modified(api, survey, stored):
    ordered = sorted(stored.responses.values(), key=lambda r: r.recorded)
    middle = ordered[10].recorded
    start = middle.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = ordered[20].recorded.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = table(export(api, survey, {"format": "csv", "startDate": start, "endDate": end}))[3]
    assert [row["ResponseId"] for row in rows] == [r.id for r in ordered[10:20]]
    rows = table(export(api, survey, {"format": "csv", "limit": 4}))[3]
    assert [row["ResponseId"] for row in rows] == [r.id for r in ordered[:4]]
    oldest = ordered[0]
    api.ok("PUT", f"/responses/{oldest.id}", {"surveyId": survey, "embeddedData": {"Reviewed": "yes"}})
    header, _, _, rows = table(export(api, survey, {"format": "csv", "sortByLastModifiedDate": True}))
    assert "LastModifiedDate" in header
    assert rows[-1]["ResponseId"] == oldest.id and rows[-1]["Reviewed"] == "yes"
    assert rows[0]["ResponseId"] == ordered[1].id


def test_saved_filter(api, survey, stored):
    filters = {f["name"]: f["filterId"] for f in api.ok("GET", f"/surveys/{survey}/filters")["elements"]}
    rows = table(export(api, survey, {"format": "csv", "filterId": filters["Promoters"]}))[3]
    expected = {r.id for r in stored.responses.values() if r.values.get("QID1", -1) >= 9}
    assert expected and {row["ResponseId"] for row in rows} == expected
    rows = table(export(api, survey, {"format": "csv", "filterId": filters["Gold customers"]}))[3]
    assert rows and {row["CustomerTier"] for row in rows} == {"Gold"}
    for body in ({"filterId": "9b67fbb7-ef89-430d-8ddf-f17f44de9254"},
                 {"filterId": filters["Promoters"], "allowContinuation": True},
                 {"filterId": filters["Promoters"], "sortByLastModifiedDate": True}):
        assert api.post(EXPORT.format(survey=survey), {"format": "csv", **body}).status_code == 400


def test_responses_in_progress(api, survey, stored):
    rows = table(export(api, survey, {"format": "csv", "exportResponsesInProgress": True}))[3]
    assert {row["ResponseId"] for row in rows} == set(stored.in_progress)
    assert {row["Finished"] for row in rows} == {"0"} and all(row["RecordedDate"] == "" for row in rows)
    assert all(int(row["Progress"]) < 100 for row in rows)


def test_continuation_exports_only_what_was_recorded_since(api, survey, sandbox):
    _, first = export(api, survey, {"format": "csv", "allowContinuation": True}, with_progress=True)
    token = first["continuationToken"]
    assert token
    nothing, second = export(api, survey, {"format": "csv", "continuationToken": token}, with_progress=True)
    assert table(nothing)[3] == []
    assert second["continuationToken"] and second["continuationToken"] != token
    made = [api.ok("POST", f"/surveys/{survey}/responses", {"values": {"QID1": n, "QID3": 4}})["responseId"]
            for n in (3, 10)]
    rows = table(export(api, survey, {"format": "csv", "continuationToken": second["continuationToken"]}))[3]
    assert [row["ResponseId"] for row in rows] == made
    again = table(export(api, survey, {"format": "csv", "continuationToken": token}))[3]
    assert [row["ResponseId"] for row in again] == made
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "continuationToken": token,
                                                   "allowContinuation": True}).status_code == 400
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "continuationToken": "nope"}).status_code == 400
    started = api.ok("POST", EXPORT.format(survey=survey), {"format": "csv", "allowContinuation": True})
    assert "continuationToken" not in started
    sandbox.advance_clock(8 * 24 * 3600)
    assert api.post(EXPORT.format(survey=survey), {"format": "csv", "continuationToken": token}).status_code == 400


def test_continuation_with_last_modified_includes_updated_responses(api, survey, stored):
    _, done = export(api, survey, {"format": "csv", "allowContinuation": True, "sortByLastModifiedDate": True},
                     with_progress=True)
    changed = next(iter(stored.responses))
    api.ok("PUT", f"/responses/{changed}", {"surveyId": survey, "embeddedData": {"Reviewed": "yes"}})
    token = done["continuationToken"]
    rows = table(export(api, survey, {"format": "csv", "continuationToken": token, "sortByLastModifiedDate": True}))[3]
    assert [row["ResponseId"] for row in rows] == [changed]
    assert table(export(api, survey, {"format": "csv", "continuationToken": token}))[3] == []


@pytest.mark.parametrize("option", ["useLabels", "includeDisplayOrder", "breakoutSets", "formatDecimalAsComma"])
def test_json_refuses_csv_only_options(api, survey, option):
    response = api.post(EXPORT.format(survey=survey), {"format": "json", option: True})
    assert response.status_code == 400
    assert option in error_of(response)["errorMessage"]


def test_json_and_ndjson_hold_the_single_response_shape(api, survey, stored):
    document = json.loads(export(api, survey, {"format": "json", "questionIds": ["QID1"],
                                               "surveyMetadataIds": ["finished"], "embeddedDataIds": []}))
    assert len(document["responses"]) == len(stored.responses)
    first = document["responses"][0]
    assert set(first) == {"responseId", "values", "labels", "displayedFields", "displayedValues"}
    assert set(first["values"]) <= {"finished", "QID1", "QID1_NPS_GROUP"} and "finished" in first["values"]
    lines = export(api, survey, {"format": "ndjson"}).decode().splitlines()
    assert len(lines) == len(stored.responses)
    assert all(json.loads(line)["responseId"].startswith("R_") for line in lines)


def test_tsv_and_xml_open_in_their_readers(api, survey, stored):
    header, _, _, rows = table(export(api, survey, {"format": "tsv"}), delimiter="\t")
    assert header[0] == "StartDate" and len(rows) == len(stored.responses)
    root = ET.fromstring(export(api, survey, {"format": "xml", "useLabels": True}))
    assert root.tag == "Responses" and len(root) == len(stored.responses)
    first = root[0]
    assert first.tag == "Response"
    assert first.find("Duration__in_seconds_") is not None
    assert first.find("ResponseId").text in stored.responses
    assert {node.text for node in root.iter("Q3")} <= {"Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied",
                                                       "Very satisfied", None}


def test_spss_is_a_system_file_with_labels(api, survey, stored):
    data = export(api, survey, {"format": "spss", "timeZone": "Europe/Berlin"})
    sav = savfile.read(data)
    assert sav.product.startswith("@(#) SPSS DATA FILE")
    assert sav.encoding == "UTF-8" and sav.machine_integer_info[-1] == 65001
    assert sav.case_count == len(stored.responses) and sav.file_label == "Customer Satisfaction 2025"
    names = [v.name for v in sav.variables]
    assert names[:6] == ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration__in_seconds_"]
    assert {"Q1", "Q1_NPS_GROUP", "Q3", "Q4_1", "Q5_1", "Q6", "Region"} <= set(names)
    q3 = sav.variable("Q3")
    assert q3.width == 0 and q3.label == "Overall, how satisfied are you with Acme?"
    assert q3.value_labels == {1.0: "Very dissatisfied", 2.0: "Dissatisfied", 3.0: "Neutral", 4.0: "Satisfied",
                               5.0: "Very satisfied"}
    assert sav.variable("Q1_NPS_GROUP").value_labels[3.0] == "Promoter"
    assert sav.variable("StartDate").format_type == 22
    assert sav.variable("Q6").width > 8
    by_id = dict(zip(sav.column("ResponseId"), range(sav.case_count), strict=True))
    for response in stored.responses.values():
        case = sav.cases[by_id[response.id]]
        assert case[names.index("Q3")] == (float(response.values["QID3"]) if "QID3" in response.values else None)
        assert case[names.index("Region")] == response.embedded["Region"]
        recorded = savfile.as_datetime(case[names.index("RecordedDate")])
        assert recorded == response.recorded.astimezone(savfile_zone()).replace(tzinfo=None)


def savfile_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def test_uncompressed_files_keep_their_own_content_type(api, survey):
    started = api.ok("POST", EXPORT.format(survey=survey), {"format": "spss", "compress": False})
    file_id = api.ok("GET", f"{EXPORT.format(survey=survey)}/{started['progressId']}")["fileId"]
    reply = api.get(f"{EXPORT.format(survey=survey)}/{file_id}/file")
    assert reply.content.startswith(b"$FL2")
    assert reply.headers["Content-Disposition"].endswith('.sav"')
