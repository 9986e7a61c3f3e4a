"""The survey-definitions API: surveys, metadata, flow, options, blocks, questions and quotas in Qualtrics' shape."""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import dates, definitions, paging, qsf, questions, validation
from ..envelope import bad_request, missing_param, not_found
from ..records import Survey
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

MYSQL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
FLOW_ID = re.compile(r"^FL_[1-9][0-9]*$")
QUESTION_TEXT_MAX = 10_000
BLOCK_DESCRIPTION_MAX = 100


def _survey(call: ApiCall) -> Survey:
    return lookups.survey(call)


def _changed(call: ApiCall, survey: Survey) -> None:
    survey.modified = call.now


# --- surveys -------------------------------------------------------------------------------------
@table.post("/survey-definitions")
def create_definition(call: ApiCall) -> dict[str, Any]:
    """A new survey from `{SurveyName, Language, ProjectCategory}`, or an import of a QSF document."""
    body = call.json()
    ids = call.state.ids
    if qsf.is_qsf(body):
        survey = qsf.load(body, ids, owner_id=call.user.id, now=call.now)
        call.brand.surveys[survey.id] = survey
        return {"SurveyID": survey.id}
    validation.keys(body, required=("SurveyName", "Language", "ProjectCategory"))
    name = validation.required_str(body, "SurveyName", 200)
    language = body["Language"]
    if language not in definitions.LANGUAGES:
        raise bad_request(f"Language is not a language code Qualtrics knows: {language}")
    category = body["ProjectCategory"]
    if category not in definitions.PROJECT_CATEGORIES:
        raise bad_request(f"ProjectCategory must be one of {', '.join(definitions.PROJECT_CATEGORIES)}")
    survey = definitions.blank(ids, name=name, owner_id=call.user.id, now=call.now, language=language,
                               category=category)
    call.brand.surveys[survey.id] = survey
    return {"SurveyID": survey.id, "DefaultBlockID": definitions.default_block_id(survey)}


@table.get("/survey-definitions/{surveyId}")
def get_definition(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    fmt = call.query.get("format")
    if fmt == "qsf":
        return qsf.export(call.brand, survey)
    if fmt:
        raise bad_request("format must be qsf")
    return definitions.definition(call.brand, survey)


@table.delete("/survey-definitions/{surveyId}")
def delete_definition(call: ApiCall) -> dict[str, Any]:
    del call.brand.surveys[_survey(call).id]
    return {"DeletedDate": dates.plain(call.now)}


@table.get("/survey-definitions/{surveyId}/metadata")
def get_metadata(call: ApiCall) -> dict[str, Any]:
    return definitions.metadata(call.brand, _survey(call))


@table.put("/survey-definitions/{surveyId}/metadata")
def update_metadata(call: ApiCall) -> None:
    survey = _survey(call)
    body = call.json()
    validation.keys(body, optional=("SurveyName", "SurveyDescription", "SurveyStatus", "SurveyStartDate",
                                    "SurveyExpirationDate"))
    if not body:
        raise bad_request("Give at least one of SurveyName, SurveyDescription, SurveyStatus, SurveyStartDate, "
                          "SurveyExpirationDate")
    name = validation.required_str(body, "SurveyName", 200) if "SurveyName" in body else None
    description = validation.optional_str(body, "SurveyDescription")
    status = body.get("SurveyStatus")
    if "SurveyStatus" in body and status not in ("Active", "Inactive"):
        raise bad_request("SurveyStatus must be Active or Inactive")
    moments = {}
    for key in ("SurveyStartDate", "SurveyExpirationDate"):
        if key in body:
            value = body[key]
            # This call takes MySQL DATETIME, not ISO 8601, unlike the rest of the API.
            if not isinstance(value, str) or not MYSQL_DATETIME.match(value):
                raise bad_request(f"{key} must be a MySQL DATETIME: YYYY-MM-DD HH:MM:SS")
            moments[key] = dates.parse(value)
            if moments[key] is None:
                raise bad_request(f"{key} is not a valid date: {value}")
    if name is not None:
        survey.name = name
    if "SurveyDescription" in body:
        survey.description = description
    if "SurveyStartDate" in moments:
        survey.expiration_start = moments["SurveyStartDate"]
    if "SurveyExpirationDate" in moments:
        survey.expiration_end = moments["SurveyExpirationDate"]
    _changed(call, survey)
    if status is not None:
        definitions.set_active(call.state, call.brand, survey, status == "Active", call.now)


# --- flow and options ----------------------------------------------------------------------------
def _check_flow(survey: Survey, flow: Any, where: str = "Flow") -> list[dict[str, Any]]:
    if not isinstance(flow, list):
        raise bad_request(f"{where} must be an array of flow elements")
    for index, element in enumerate(flow):
        place = f"{where}[{index}]"
        if not isinstance(element, dict):
            raise bad_request(f"{place} must be an object")
        if element.get("Type") not in definitions.FLOW_TYPES:
            raise bad_request(f"{place}.Type must be one of {', '.join(definitions.FLOW_TYPES)}")
        if not isinstance(element.get("FlowID"), str) or not FLOW_ID.match(element["FlowID"]):
            raise bad_request(f"{place}.FlowID must look like FL_2")
        if element["Type"] in definitions.BLOCK_FLOW_TYPES and element.get("ID") not in survey.blocks:
            raise bad_request(f"{place}.ID is not a block of this survey: {element.get('ID')}")
        if "Flow" in element:
            _check_flow(survey, element["Flow"], f"{place}.Flow")
    return flow


@table.get("/survey-definitions/{surveyId}/flow")
def get_flow(call: ApiCall) -> dict[str, Any]:
    return definitions.flow_definition(_survey(call))


@table.put("/survey-definitions/{surveyId}/flow")
def update_flow(call: ApiCall) -> None:
    survey = _survey(call)
    body = call.json()
    validation.keys(body, required=("Flow",), optional=("FlowID", "Type", "Properties"))
    if body.get("Type", "Root") != "Root":
        raise bad_request("Type of the flow's root must be Root")
    flow = _check_flow(survey, body["Flow"])
    survey.flow = copy.deepcopy(flow)
    count = (body.get("Properties") or {}).get("Count") if isinstance(body.get("Properties"), dict) else None
    highest = definitions.highest_flow_number(survey.flow)
    survey.flow_count = count if isinstance(count, int) and count >= highest else highest
    _changed(call, survey)


@table.put("/survey-definitions/{surveyId}/flow/{flowId}")
def update_flow_element(call: ApiCall) -> None:
    survey = _survey(call)
    body = call.json()
    target = next((e for e in definitions.walk(survey.flow) if e.get("FlowID") == call.params["flowId"]), None)
    if target is None:
        raise not_found("flow element", call.params["flowId"])
    checked = _check_flow(survey, [{**body, "FlowID": call.params["flowId"]}])[0]
    target.clear()
    target.update(copy.deepcopy(checked))
    _changed(call, survey)


@table.get("/survey-definitions/{surveyId}/options")
def get_options(call: ApiCall) -> dict[str, Any]:
    return definitions.options(call.brand, _survey(call))


@table.put("/survey-definitions/{surveyId}/options")
def update_options(call: ApiCall) -> None:
    survey = _survey(call)
    body = call.json()
    if not body:
        raise bad_request("Give the options to change")
    survey.options.update(copy.deepcopy(body))
    _changed(call, survey)


# --- blocks --------------------------------------------------------------------------------------
def _block_body(survey: Survey, body: dict[str, Any], block_id: str) -> dict[str, Any]:
    block_type = body.get("Type", "Standard")
    if block_type not in ("Standard", "Default"):
        raise bad_request("Type must be Standard or Default")
    description = validation.required_str(body, "Description", BLOCK_DESCRIPTION_MAX)
    elements = body.get("BlockElements") or []
    if not isinstance(elements, list):
        raise bad_request("BlockElements must be an array")
    for element in elements:
        if not isinstance(element, dict) or element.get("Type") not in ("Question", "Page Break"):
            raise bad_request("Each of BlockElements must be a Question or a Page Break")
        if element["Type"] == "Question" and element.get("QuestionID") not in survey.questions:
            raise bad_request(f"BlockElements names a question this survey does not have: {element.get('QuestionID')}")
    block = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("ID", "Type", "Description", "BlockElements")}
    block.update({"Type": block_type, "SubType": body.get("SubType", ""), "Description": description,
                  "ID": block_id, "BlockElements": copy.deepcopy(elements)})
    block.setdefault("Options", {"BlockLocking": "false", "RandomizeQuestions": "false",
                                 "BlockVisibility": "Collapsed"})
    return block


def _block(call: ApiCall, survey: Survey) -> dict[str, Any]:
    found = survey.blocks.get(call.params["blockId"])
    if found is None:
        raise not_found("block", call.params["blockId"])
    return found


@table.post("/survey-definitions/{surveyId}/blocks")
def create_block(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    block_id = call.state.ids.make("BL")
    block = _block_body(survey, call.json(), block_id)
    if block["Type"] == "Default" and definitions.default_block_id(survey) in survey.blocks:
        block["Type"] = "Standard"
    survey.blocks[block_id] = block
    flow_id = definitions.next_flow_id(survey)
    survey.flow.append({"ID": block_id, "Type": "Standard", "FlowID": flow_id})
    _changed(call, survey)
    return {"BlockID": block_id, "FlowID": flow_id}


@table.get("/survey-definitions/{surveyId}/blocks/{blockId}")
def get_block(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    return copy.deepcopy(_block(call, survey))


@table.put("/survey-definitions/{surveyId}/blocks/{blockId}")
def update_block(call: ApiCall) -> None:
    survey = _survey(call)
    current = _block(call, survey)
    body = dict(call.json())
    if current.get("Type") in ("Default", "Trash"):
        body["Type"] = "Standard" if current["Type"] == "Trash" else current["Type"]
    updated = _block_body(survey, body, current["ID"])
    if current.get("Type") == "Trash":
        updated["Type"] = "Trash"
    survey.blocks[current["ID"]] = updated
    _changed(call, survey)


@table.delete("/survey-definitions/{surveyId}/blocks/{blockId}")
def delete_block(call: ApiCall) -> None:
    survey = _survey(call)
    block = _block(call, survey)
    if block.get("Type") in ("Default", "Trash"):
        raise bad_request(f"The {block['Type'].lower()} block cannot be deleted")
    trash = next((b for b in survey.blocks.values() if b.get("Type") == "Trash"), None)
    if trash is not None:
        trash.setdefault("BlockElements", []).extend(
            {"Type": "Question", "QuestionID": qid} for qid in definitions.block_questions(block))
    del survey.blocks[block["ID"]]
    survey.flow = definitions.remove_from_flow(survey.flow, block["ID"])
    _changed(call, survey)


# --- questions -----------------------------------------------------------------------------------
def _question_body(body: dict[str, Any], qid: str, tag: str) -> dict[str, Any]:
    qtype = body.get("QuestionType")
    if qtype is None:
        raise missing_param("QuestionType")
    if qtype not in questions.QUESTION_TYPES:
        raise bad_request(f"QuestionType must be one of {', '.join(questions.QUESTION_TYPES)}")
    if not isinstance(body.get("Selector"), str):
        raise missing_param("Selector")
    validation.optional_str(body, "QuestionText", QUESTION_TEXT_MAX)
    needs = {"MC": ("Choices",), "Matrix": ("Choices", "Answers"), "Slider": ("Choices",)}.get(qtype, ())
    for key in needs:
        items = body.get(key)
        if not isinstance(items, dict) or not items:
            raise bad_request(f"{key} must be an object of choice IDs to {{\"Display\": text}}")
        for choice_id, choice in items.items():
            if not isinstance(choice, dict) or not isinstance(choice.get("Display"), str):
                raise bad_request(f"{key}.{choice_id} must be an object with a Display text")
    question = copy.deepcopy(body)
    question["QuestionID"] = qid
    question.setdefault("QuestionText", "")
    question.setdefault("DataExportTag", tag)
    question.setdefault("Configuration", {"QuestionDescriptionOption": "UseText"})
    question.setdefault("QuestionDescription", question["QuestionText"])
    question.setdefault("Validation", {"Settings": {"ForceResponse": "OFF", "ForceResponseType": "ON",
                                                    "Type": "None"}})
    question.setdefault("Language", [])
    if "Choices" in question:
        question.setdefault("ChoiceOrder", list(question["Choices"]))
    if "Answers" in question:
        question.setdefault("AnswerOrder", list(question["Answers"]))
    return question


def _question(call: ApiCall, survey: Survey) -> dict[str, Any]:
    found = survey.questions.get(call.params["questionId"])
    if found is None:
        raise not_found("question", call.params["questionId"])
    return found


@table.get("/survey-definitions/{surveyId}/questions")
def list_questions(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    ordered = definitions.question_order(survey)
    rest = [qid for qid in survey.questions if qid not in ordered]
    return {"elements": [copy.deepcopy(survey.questions[qid]) for qid in ordered + rest]}


@table.post("/survey-definitions/{surveyId}/questions")
def create_question(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    block_id = call.query.get("blockId") or definitions.default_block_id(survey)
    block = survey.blocks.get(block_id or "")
    if block is None:
        raise not_found("block", block_id)
    qid = definitions.next_question_id(survey)
    question = _question_body(call.json(), qid, f"Q{len(survey.questions) + 1}")
    survey.questions[qid] = question
    block.setdefault("BlockElements", []).append({"Type": "Question", "QuestionID": qid})
    _changed(call, survey)
    return {"QuestionID": qid}


@table.get("/survey-definitions/{surveyId}/questions/{questionId}")
def get_question(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    return copy.deepcopy(_question(call, survey))


@table.put("/survey-definitions/{surveyId}/questions/{questionId}")
def update_question(call: ApiCall) -> None:
    survey = _survey(call)
    current = _question(call, survey)
    qid = call.params["questionId"]
    survey.questions[qid] = _question_body(call.json(), qid, questions.export_tag(current, qid))
    _changed(call, survey)


@table.delete("/survey-definitions/{surveyId}/questions/{questionId}")
def delete_question(call: ApiCall) -> None:
    survey = _survey(call)
    _question(call, survey)
    definitions.remove_question(survey, call.params["questionId"])
    _changed(call, survey)


# --- quotas --------------------------------------------------------------------------------------
@table.get("/survey-definitions/{surveyId}/quotas")
def list_quota_definitions(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    return paging.skip_page(call, list(survey.quotas.values()),
                            lambda quota: definitions.quota_definition(survey, quota), default=50, cap=50)


@table.get("/survey-definitions/{surveyId}/quotas/{quotaId}")
def get_quota_definition(call: ApiCall) -> dict[str, Any]:
    survey = _survey(call)
    quota = survey.quotas.get(call.params["quotaId"])
    if quota is None:
        raise not_found("quota", call.params["quotaId"])
    return definitions.quota_definition(survey, quota)
