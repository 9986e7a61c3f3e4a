"""The pure parts of the surveys app: statuses, the definition summary, checking a .qsf file."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError

from surveys import definition, qsf
from surveys.selectors import facts_from, parse_moment, status_of

NOW = datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


class TestStatus:
    @pytest.mark.parametrize(("active", "starts", "ends", "key"), [
        (True, None, None, "active"),
        (True, NOW - DAY, NOW + DAY, "active"),
        (False, None, None, "inactive"),
        (False, NOW - DAY, NOW + DAY, "inactive"),
        (True, None, NOW - DAY, "closed"),
        (True, NOW + DAY, None, "closed"),
        (True, None, NOW, "closed"),  # it ends at that moment
    ])
    def test_status(self, active, starts, ends, key):
        assert status_of(is_active=active, starts=starts, ends=ends, now=NOW).key == key

    def test_the_note_says_why(self):
        def note(starts, ends):
            return status_of(is_active=True, starts=starts, ends=ends, now=NOW).note

        assert note(None, NOW - DAY) == "its window ended 31 May 2030 12:00"
        assert note(NOW + DAY, None) == "its window opens 2 Jun 2030 12:00"
        assert note(None, NOW + DAY) == "until 2 Jun 2030 12:00"

    def test_qualtrics_dates_in_every_shape(self):
        for text in ("2030-06-01T12:00:00Z", "2030-06-01T12:00:00.000Z", "2030-06-01 12:00:00",
                     "2030-06-01T14:00:00+02:00"):
            assert parse_moment(text) == NOW, text
        assert parse_moment(None) is None and parse_moment("soon") is None and parse_moment(0) is None

    def test_facts_from_a_survey(self):
        facts = facts_from({"id": "SV_1", "name": "N", "ownerId": "UR_1", "isActive": True,
                            "expiration": {"startDate": None, "endDate": "2030-06-01T12:00:00Z"},
                            "responseCounts": {"auditable": 4, "generated": 1, "deleted": 0}})
        assert (facts.recorded, facts.test, facts.deleted, facts.ends) == (4, 1, 0, NOW)
        assert facts_from({}, "SV_2").survey_id == "SV_2" and facts_from({}).recorded is None


def question(qid, text, qtype="MC", selector="SAVR", required=False, **extra):
    return {"QuestionID": qid, "QuestionText": text, "DataExportTag": qid.replace("QID", "Q"), "QuestionType": qtype,
            "Selector": selector, "Validation": {"Settings": {"ForceResponse": "ON" if required else "OFF"}}, **extra}


DEFINITION = {
    "BrandBaseURL": "https://acme.iad1.qualtrics.com",
    "Questions": {
        "QID1": question("QID1", "<p>How <b>likely</b>&nbsp;are you&hellip;</p>", selector="NPS", required=True),
        "QID2": question("QID2", "Why?", "TE", "ESTB", DisplayLogic={"0": {}}),
        "QID3": question("QID3", "Pick all", selector="MAVR", Choices={"1": {"Display": "A"}, "2": {"Display": "B"}},
                         ChoiceOrder=["2", "1"]),
        "QID4": question("QID4", "Never shown", "Slider"),
    },
    "Blocks": {
        "BL_b": {"Type": "Standard", "ID": "BL_b", "Description": "Second",
                 "BlockElements": [{"Type": "Question", "QuestionID": "QID3"}, {"Type": "Page Break"}]},
        "BL_a": {"Type": "Default", "ID": "BL_a", "Description": "First",
                 "BlockElements": [{"Type": "Question", "QuestionID": "QID1"},
                                   {"Type": "Question", "QuestionID": "QID2"}]},
        "BL_x": {"Type": "Standard", "ID": "BL_x", "Description": "Orphan",
                 "BlockElements": [{"Type": "Question", "QuestionID": "QID4"}]},
        "BL_t": {"Type": "Trash", "ID": "BL_t", "Description": "Trash", "BlockElements": []},
    },
    "SurveyFlow": {"Type": "Root", "FlowID": "FL_1", "Flow": [
        {"Type": "EmbeddedData", "FlowID": "FL_2", "EmbeddedData": [{"Field": "Region"}, {"Field": "Tier"}]},
        {"Type": "Block", "ID": "BL_a", "FlowID": "FL_3"},
        {"Type": "Branch", "FlowID": "FL_4", "Description": "If detractor", "Flow": [
            {"Type": "BlockRandomizer", "FlowID": "FL_5", "SubSet": 1, "EvenPresentation": True, "Flow": [
                {"Type": "Standard", "ID": "BL_b", "FlowID": "FL_6"}]},
            {"Type": "EndSurvey", "FlowID": "FL_7"}]},
    ]},
}


class TestDefinition:
    def test_blocks_follow_the_flow_and_questions_read_plainly(self):
        summary = definition.summarise(DEFINITION)
        assert [b.description for b in summary.blocks] == ["First", "Second", "Orphan"]
        assert [b.in_flow for b in summary.blocks] == [True, True, False]
        first = summary.blocks[0].questions
        assert first[0].text == "How likely are you…" and first[0].kind == "Net Promoter Score" and first[0].required
        assert first[1].kind == "Text entry (essay box)" and first[1].conditional and not first[1].required
        assert summary.blocks[1].questions[0].choices == ("B", "A")
        assert summary.blocks[1].questions[0].kind == "Multiple choice, several answers"
        assert (summary.question_count, summary.required_count) == (4, 1)
        assert summary.base_url == "https://acme.iad1.qualtrics.com"

    def test_the_flow_is_an_outline(self):
        flow = definition.summarise(DEFINITION).flow
        assert [(s.label, s.detail) for s in flow] == [("Embedded data", "Region, Tier"), ("Block", "First"),
                                                       ("Branch", "If detractor")]
        randomizer, end = flow[2].children
        assert (randomizer.label, randomizer.detail) == ("Randomizer", "shows 1 of these 1 in random order, evenly")
        assert randomizer.children[0].detail == "Second" and end.label == "End of survey"

    def test_an_empty_or_odd_definition_does_not_break_it(self):
        assert definition.summarise({}).blocks == []
        elements = ["junk", {"Type": "Question", "QuestionID": "Q9"}]
        odd = definition.summarise({"Blocks": {"B": {"Description": "x", "BlockElements": elements}},
                                    "SurveyFlow": {"Flow": ["junk", {"Type": "Mystery"}]}})
        assert odd.blocks[0].questions == () and odd.flow[0].label == "Mystery"


def upload(data: bytes, name: str = "s.qsf", size: int | None = None):
    handle = io.BytesIO(data)
    handle.name = name
    handle.size = len(data) if size is None else size
    return handle


class TestQsf:
    def test_a_survey_file_passes(self):
        document = {"SurveyEntry": {"SurveyName": " Pulse "}, "SurveyElements": [
            {"Element": "BL"}, {"Element": "SQ"}, {"Element": "SQ"}]}
        read = qsf.read(upload(b"\xef\xbb\xbf" + json.dumps(document).encode()))
        assert (read.survey_name, read.question_count, read.filename) == ("Pulse", 2, "s.qsf")

    def test_a_huge_file_is_refused_without_reading_it(self):
        class Unreadable(io.BytesIO):
            size = 50 * 1024 * 1024
            name = "huge.qsf"

            def read(self, *args):
                raise AssertionError("the file was read")

        with pytest.raises(ValidationError, match=r"The file is 50 MB; a survey file may be at most 20 MB\."):
            qsf.read(Unreadable())

    @pytest.mark.parametrize(("data", "message"), [
        (b"", "The file is empty."),
        (b"[1, 2]", "it is JSON, but without the SurveyEntry and SurveyElements"),
        (b'{"SurveyEntry": {}, "SurveyElements": [1]}', "every item of its SurveyElements must be an object"),
        (b"{'SurveyEntry': 1}", "it is not JSON (Expecting property name enclosed in double quotes at line 1)"),
    ])
    def test_what_is_not_a_survey_file_is_named(self, data, message):
        with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
            qsf.read(upload(data))


class TestListDates:
    def test_dates_are_written_in_the_viewers_zone(self):
        from zoneinfo import ZoneInfo

        from surveys.views import local_time

        tokyo = ZoneInfo("Asia/Tokyo")
        assert local_time("2030-06-01T12:00:00Z", tokyo, with_time=True) == "1 Jun 2030 21:00"
        assert local_time("2030-06-01T12:00:00.000Z", tokyo) == "1 Jun 2030"
        assert local_time("2030-12-31T20:05:00", tokyo, with_time=True) == "1 Jan 2031 05:05"  # no zone: UTC
        assert local_time("", tokyo) == "" and local_time(None, tokyo) == ""
        assert local_time("soon", tokyo) == "soon"
