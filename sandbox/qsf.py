"""Qualtrics Survey Format (.qsf): a survey's definition as one JSON document, for export and import.

`SurveyEntry` holds the metadata (dates as `YYYY-MM-DD HH:MM:SS`, never-set ones as `0000-00-00 00:00:00`);
`SurveyElements` holds one element per part: `BL` (blocks), `FL` (flow), `SO` (options), `SCO` (scoring),
`PROJ`, `STAT`, `QC` (question count), `SQ` (one per question), `RS` (response set) and `QO` (one per quota).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import dates, definitions, logic
from .envelope import bad_request
from .records import Brand, Quota, QuotaCombination, Survey

if TYPE_CHECKING:
    from .ids import IdFactory

NEVER = "0000-00-00 00:00:00"


def _mysql(moment: datetime | None) -> str:
    return dates.plain(moment) if moment is not None else NEVER


def export(brand: Brand, survey: Survey) -> dict[str, Any]:
    def element(kind: str, primary: str, payload: Any, secondary: str | None = None,
                tertiary: str | None = None) -> dict[str, Any]:
        return {"SurveyID": survey.id, "Element": kind, "PrimaryAttribute": primary,
                "SecondaryAttribute": secondary, "TertiaryAttribute": tertiary, "Payload": payload}

    elements = [
        element("BL", "Survey Blocks", copy.deepcopy(list(survey.blocks.values()))),
        element("FL", "Survey Flow", definitions.flow_definition(survey)),
        element("SO", "Survey Options", definitions.options(brand, survey)),
        element("SCO", "Scoring", definitions.scoring()),
        element("PROJ", survey.project_category, {"ProjectCategory": survey.project_category,
                                                  "SchemaVersion": "1.1.0"}, tertiary="1.1.0"),
        element("STAT", "Survey Statistics", {"MobileCompatible": True, "ID": "Survey Statistics"}),
        element("QC", "Survey Question Count", None, secondary=str(len(survey.questions))),
    ]
    for qid, question in survey.questions.items():
        elements.append(element("SQ", qid, copy.deepcopy(question),
                                secondary=str(question.get("QuestionText", ""))[:100]))
    elements.append(element("RS", survey.response_set_id, None, secondary="Default Response Set"))
    for quota in survey.quotas.values():
        elements.append(element("QO", quota.id, definitions.quota_definition(survey, quota), secondary=quota.name))
    return {
        "SurveyEntry": {
            "SurveyID": survey.id,
            "SurveyName": survey.name,
            "SurveyDescription": survey.description,
            "SurveyOwnerID": survey.owner_id,
            "SurveyBrandID": brand.id,
            "DivisionID": None,
            "SurveyLanguage": survey.language,
            "SurveyActiveResponseSet": survey.response_set_id,
            "SurveyStatus": definitions.status(survey),
            "SurveyStartDate": _mysql(survey.expiration_start),
            "SurveyExpirationDate": _mysql(survey.expiration_end),
            "SurveyCreationDate": _mysql(survey.created),
            "CreatorID": survey.creator_id or survey.owner_id,
            "LastModified": _mysql(survey.modified),
            "LastAccessed": NEVER,
            "LastActivated": _mysql(survey.last_activated),
            "Deleted": None,
        },
        "SurveyElements": elements,
    }


def is_qsf(document: Any) -> bool:
    return isinstance(document, dict) and "SurveyEntry" in document and "SurveyElements" in document


def load(document: Any, ids: IdFactory, *, owner_id: str, now: datetime, name: str | None = None) -> Survey:
    """A new, inactive survey from a QSF document (400 when it is not one)."""
    if not is_qsf(document) or not isinstance(document["SurveyElements"], list):
        raise bad_request("The file is not a Qualtrics survey (.qsf): SurveyEntry and SurveyElements are required")
    entry = document["SurveyEntry"] if isinstance(document["SurveyEntry"], dict) else {}
    title = name or entry.get("SurveyName")
    if not isinstance(title, str) or not title.strip():
        raise bad_request("The survey has no name: give one, or a SurveyEntry.SurveyName")
    survey = definitions.blank(ids, name=title, owner_id=owner_id, now=now,
                               language=str(entry.get("SurveyLanguage") or "EN"))
    survey.description = entry.get("SurveyDescription") if isinstance(entry.get("SurveyDescription"), str) else None
    found_blocks: dict[str, dict[str, Any]] = {}
    found_flow: list[dict[str, Any]] | None = None
    quota_payloads: list[dict[str, Any]] = []
    for element in document["SurveyElements"]:
        if not isinstance(element, dict):
            raise bad_request("Every item of SurveyElements must be an object")
        kind, payload = element.get("Element"), element.get("Payload")
        if kind == "BL":
            items = payload.values() if isinstance(payload, dict) else payload or []
            for block in items:
                if isinstance(block, dict) and isinstance(block.get("ID"), str):
                    found_blocks[block["ID"]] = copy.deepcopy(block)
        elif kind == "FL" and isinstance(payload, dict) and isinstance(payload.get("Flow"), list):
            found_flow = copy.deepcopy(payload["Flow"])
            count = (payload.get("Properties") or {}).get("Count")
            survey.flow_count = count if isinstance(count, int) else definitions.highest_flow_number(found_flow)
        elif kind == "SQ" and isinstance(payload, dict):
            qid = payload.get("QuestionID") or element.get("PrimaryAttribute")
            if not isinstance(qid, str) or not qid.startswith("QID"):
                raise bad_request("A survey question (SQ) has no QuestionID")
            question = copy.deepcopy(payload)
            question["QuestionID"] = qid
            survey.questions[qid] = question
        elif kind == "SO" and isinstance(payload, dict):
            survey.options = {k: v for k, v in payload.items()
                              if k not in ("ActiveResponseSet", "SurveyCreationDate", "SurveyLanguage")}
        elif kind == "PROJ" and isinstance(payload, dict) and payload.get("ProjectCategory") in \
                definitions.PROJECT_CATEGORIES:
            survey.project_category = payload["ProjectCategory"]
        elif kind == "QO" and isinstance(payload, dict):
            quota_payloads.append(payload)
    if found_blocks:
        survey.blocks = found_blocks
        if not any(block.get("Type") == "Trash" for block in found_blocks.values()):
            trash_id = ids.make("BL")
            survey.blocks[trash_id] = {"Type": "Trash", "Description": "Trash / Unused Questions", "ID": trash_id,
                                       "BlockElements": []}
    if found_flow is not None:
        survey.flow = found_flow
    elif found_blocks:
        survey.flow = [{"ID": block_id, "Type": "Block", "FlowID": f"FL_{number}"}
                       for number, (block_id, block) in enumerate(found_blocks.items(), start=2)
                       if block.get("Type") != "Trash"]
        survey.flow_count = len(survey.flow) + 1
    for payload in quota_payloads:
        survey.quotas.update(_quota(payload, survey, ids))
    return survey


def _quota(payload: dict[str, Any], survey: Survey, ids: IdFactory) -> dict[str, Quota]:
    occurrences = payload.get("Occurrences")
    quota = Quota(id=ids.make("QO"), name=str(payload.get("Name") or "Quota"),
                  occurrences=occurrences if isinstance(occurrences, int) else 100,
                  logic_type="Cross" if payload.get("LogicType") == "Cross" else "Simple",
                  action=str(payload.get("QuotaAction") or "EndCurrentSurvey"))
    if quota.logic_type == "Cross":
        for item in payload.get("CrossLogicDef") or []:
            if isinstance(item, dict):
                limit = item.get("Occurrences")
                quota.combinations.append(QuotaCombination(
                    str(item.get("Description") or ""), int(limit) if isinstance(limit, (int, float)) else 0,
                    logic.from_logic(item.get("Logic"), survey.questions)))
    else:
        quota.conditions = logic.from_logic(payload.get("Logic"), survey.questions)
    return {quota.id: quota}
