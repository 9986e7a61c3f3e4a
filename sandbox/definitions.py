"""Survey definitions: new and copied surveys, their flow and blocks, and the shapes the APIs show them in.

Two APIs describe a survey: the survey-definitions API (`SurveyID`, `Questions`, `Blocks`, `SurveyFlow`, ... in
Qualtrics' own capitalised shape) and the older `GET /surveys/{id}` (`questions`, `blocks`, `flow`,
`exportColumnMap`, ...). Both are rendered from the same stored definition.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import dates, logic, questions
from .records import Brand, Quota, Survey

if TYPE_CHECKING:
    from .ids import IdFactory
    from .state import State

LANGUAGES = ("AR", "ASM", "AZ-AZ", "BEL", "BG", "BN", "BS", "CA", "CEB", "CH", "CS", "CY", "DA", "DE", "EL", "EN_GB",
             "EN-US", "EN", "EO", "ES-ES", "ES", "ET", "FA", "FI", "FR-CA", "FR", "GU", "HE", "HE-ZA", "HI", "HIL",
             "HR", "HU", "HYE", "ID", "ISL", "IT", "JA", "KAN", "KAT", "KAZ", "KM", "KO", "LT", "LV", "MAL", "MAR",
             "MK", "MN", "MS", "MY", "NL", "NO", "ORI", "PA-IN", "PL", "PT-BR", "PT", "RO", "RU", "SIN", "SK", "SL",
             "SQI", "SR-ME", "SR", "SV", "SW", "TA", "TEL", "TGL", "TH", "TR", "UK", "UR", "VI", "ZH-S", "ZH-T")
PROJECT_CATEGORIES = ("CORE", "CX", "EX", "BX", "PX")
FLOW_TYPES = ("Authenticator", "Block", "BlockRandomizer", "Branch", "Conjoint", "EmbeddedData", "EndSurvey", "Group",
              "QuotaCheck", "ReferenceSurvey", "Root", "Standard", "SupplementalData", "TableOfContents", "WebService")
BLOCK_FLOW_TYPES = ("Block", "Standard")


# --- the flow ------------------------------------------------------------------------------------
def walk(flow: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every flow element, depth first, in order."""
    for element in flow:
        yield element
        inner = element.get("Flow")
        if isinstance(inner, list):
            yield from walk(inner)


def block_order(survey: Survey) -> list[str]:
    """Block IDs as the flow reaches them (each once)."""
    seen: list[str] = []
    for element in walk(survey.flow):
        block_id = element.get("ID")
        if element.get("Type") in BLOCK_FLOW_TYPES and block_id in survey.blocks and block_id not in seen:
            seen.append(block_id)
    return seen


def block_questions(block: dict[str, Any]) -> list[str]:
    elements = block.get("BlockElements") or []
    return [e["QuestionID"] for e in elements if isinstance(e, dict) and e.get("Type") == "Question"
            and e.get("QuestionID")]


def question_order(survey: Survey) -> list[str]:
    """Questions in the order the flow shows them; questions in no block of the flow are never shown."""
    order: list[str] = []
    for block_id in block_order(survey):
        for qid in block_questions(survey.blocks[block_id]):
            if qid in survey.questions and qid not in order:
                order.append(qid)
    return order


def embedded_fields(survey: Survey) -> list[str]:
    """Embedded data fields the flow sets, in order."""
    fields: list[str] = []
    for element in walk(survey.flow):
        if element.get("Type") != "EmbeddedData":
            continue
        for item in element.get("EmbeddedData") or []:
            name = item.get("Field") if isinstance(item, dict) else None
            if name and name not in fields:
                fields.append(str(name))
    return fields


def next_flow_id(survey: Survey) -> str:
    survey.flow_count += 1
    return f"FL_{survey.flow_count}"


def next_question_id(survey: Survey) -> str:
    numbers = [int(qid[3:]) for qid in survey.questions if qid[3:].isdigit()]
    return f"QID{max(numbers, default=0) + 1}"


def default_block_id(survey: Survey) -> str | None:
    for block_id, block in survey.blocks.items():
        if block.get("Type") == "Default":
            return block_id
    for block_id, block in survey.blocks.items():
        if block.get("Type") != "Trash":
            return block_id
    return None


def remove_question(survey: Survey, qid: str) -> None:
    survey.questions.pop(qid, None)
    for block in survey.blocks.values():
        elements = block.get("BlockElements")
        if isinstance(elements, list):
            block["BlockElements"] = [e for e in elements if not (isinstance(e, dict) and e.get("QuestionID") == qid)]


def remove_from_flow(flow: list[dict[str, Any]], block_id: str) -> list[dict[str, Any]]:
    kept = []
    for element in flow:
        if element.get("Type") in BLOCK_FLOW_TYPES and element.get("ID") == block_id:
            continue
        inner = element.get("Flow")
        if isinstance(inner, list):
            element = {**element, "Flow": remove_from_flow(inner, block_id)}
        kept.append(element)
    return kept


def highest_flow_number(flow: list[dict[str, Any]]) -> int:
    numbers = [int(str(e.get("FlowID", ""))[3:]) for e in walk(flow) if str(e.get("FlowID", ""))[3:].isdigit()]
    return max(numbers, default=1)


# --- making surveys ------------------------------------------------------------------------------
def blank(ids: IdFactory, *, name: str, owner_id: str, now: datetime, language: str = "EN",
          category: str = "CORE", survey_id: str | None = None) -> Survey:
    """A new survey as the survey editor makes it: an empty default block, the trash block, one flow element."""
    default_id, trash_id = ids.make("BL"), ids.make("BL")
    survey = Survey(
        id=survey_id or ids.make("SV"), name=name, owner_id=owner_id, is_active=False, created=now, modified=now,
        questions={}, language=language, project_category=category, creator_id=owner_id,
        response_set_id=ids.make("RS"),
    )
    survey.blocks = {
        default_id: {"Type": "Default", "SubType": "", "Description": "Default Question Block", "ID": default_id,
                     "BlockElements": [], "Options": {"BlockLocking": "false", "RandomizeQuestions": "false",
                                                      "BlockVisibility": "Expanded"}},
        trash_id: {"Type": "Trash", "Description": "Trash / Unused Questions", "ID": trash_id, "BlockElements": []},
    }
    survey.flow = [{"ID": default_id, "Type": "Block", "FlowID": "FL_2"}]
    survey.flow_count = 2
    return survey


def copy_of(survey: Survey, ids: IdFactory, *, name: str, owner_id: str, now: datetime) -> Survey:
    """A new, inactive survey with the same definition, quotas (at zero) and saved filters; no responses."""
    mapping = {block_id: ids.make("BL") for block_id in survey.blocks}
    blocks = {}
    for old_id, block in survey.blocks.items():
        new_block = copy.deepcopy(block)
        new_block["ID"] = mapping[old_id]
        blocks[mapping[old_id]] = new_block
    flow = copy.deepcopy(survey.flow)
    for element in walk(flow):
        if element.get("ID") in mapping:
            element["ID"] = mapping[element["ID"]]
    clone = Survey(
        id=ids.make("SV"), name=name, owner_id=owner_id, is_active=False, created=now, modified=now,
        questions=copy.deepcopy(survey.questions), blocks=blocks, flow=flow, flow_count=survey.flow_count,
        language=survey.language, project_category=survey.project_category, description=survey.description,
        creator_id=owner_id, response_set_id=ids.make("RS"), options=copy.deepcopy(survey.options),
    )
    for quota in survey.quotas.values():
        new_quota = copy.deepcopy(quota)
        new_quota.id = ids.make("QO")
        new_quota.count = 0
        for combination in new_quota.combinations:
            combination.count = 0
        clone.quotas[new_quota.id] = new_quota
    for saved in survey.filters.values():
        new_filter = copy.deepcopy(saved)
        new_filter.id = ids.uuid()
        new_filter.created = now
        clone.filters[new_filter.id] = new_filter
    return clone


# --- the survey-definitions API's shapes ---------------------------------------------------------
def status(survey: Survey) -> str:
    return "Active" if survey.is_active else "Inactive"


def base_url(brand: Brand) -> str:
    return f"https://{brand.id}.{brand.datacenter}.qualtrics.com"


def options(brand: Brand, survey: Survey) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "BackButton": "false", "SaveAndContinue": "true", "SurveyProtection": "PublicSurvey",
        "BallotBoxStuffingPrevention": "false", "NoIndex": "Yes", "SecureResponseFiles": "true",
        "SurveyExpiration": "None", "SurveyTermination": "DefaultMessage", "Header": "", "Footer": "",
        "ProgressBarDisplay": "None", "PartialData": "+1 week", "ValidationMessage": "", "PreviousButton": " ← ",
        "NextButton": " → ", "SkinLibrary": brand.id, "SkinType": "templated",
        "Skin": {"brandingId": None, "templateId": "*base", "overrides": None}, "NewScoring": 1,
        "SurveyLanguage": survey.language, "ActiveResponseSet": survey.response_set_id,
        "SurveyStartDate": dates.iso(survey.expiration_start), "SurveyExpirationDate": dates.iso(survey.expiration_end),
        "SurveyCreationDate": dates.iso(survey.created), "AvailableLanguages": {survey.language: []},
    }
    shown.update(copy.deepcopy(survey.options))
    return shown


def flow_definition(survey: Survey) -> dict[str, Any]:
    return {"FlowID": "FL_1", "Type": "Root", "Flow": copy.deepcopy(survey.flow),
            "Properties": {"Count": survey.flow_count}}


def scoring() -> dict[str, Any]:
    return {"ScoringCategories": [], "ScoringCategoryGroups": [], "ScoringSummaryCategory": None,
            "ScoringSummaryAfterQuestions": 0, "ScoringSummaryAfterSurvey": 0, "DefaultScoringCategory": None,
            "AutoScoringCategory": None}


def project_info(survey: Survey) -> dict[str, Any]:
    return {"SurveyID": survey.id, "ProjectCategory": survey.project_category, "ProjectType": None,
            "CompositionType": None, "ContentBundle": None, "SchemaVersion": "1.1.0"}


def definition(brand: Brand, survey: Survey) -> dict[str, Any]:
    return {
        "QuestionCount": str(len(survey.questions)),
        "SurveyOptions": options(brand, survey),
        "SurveyID": survey.id,
        "SurveyName": survey.name,
        "SurveyStatus": status(survey),
        "LastModified": dates.iso(survey.modified),
        "BrandID": brand.id,
        "OwnerID": survey.owner_id,
        "DivisionID": None,
        "LastAccessed": None,
        "CreatorID": survey.creator_id or survey.owner_id,
        "LastActivated": dates.iso(survey.last_activated),
        "Questions": copy.deepcopy(survey.questions),
        "Blocks": copy.deepcopy(survey.blocks),
        "ResponseSets": {survey.response_set_id: "Default Response Set"},
        "SurveyFlow": flow_definition(survey),
        "Scoring": scoring(),
        "ProjectInfo": project_info(survey),
        "BrandBaseURL": base_url(brand),
    }


def metadata(brand: Brand, survey: Survey) -> dict[str, Any]:
    return {
        "SurveyID": survey.id,
        "SurveyName": survey.name,
        "SurveyDescription": survey.description,
        "SurveyOwnerID": survey.owner_id,
        "SurveyBrandID": brand.id,
        "DivisionID": None,
        "SurveyLanguage": survey.language,
        "SurveyActiveResponseSet": survey.response_set_id,
        "SurveyStatus": status(survey),
        "SurveyStartDate": dates.iso(survey.expiration_start),
        "SurveyExpirationDate": dates.iso(survey.expiration_end),
        "SurveyCreationDate": dates.iso(survey.created),
        "CreatorID": survey.creator_id or survey.owner_id,
        "LastModified": dates.iso(survey.modified),
        "LastAccessed": None,
        "LastActivated": dates.iso(survey.last_activated),
        "Deleted": None,
    }


def quota_definition(survey: Survey, quota: Quota) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "Name": quota.name, "Occurrences": quota.occurrences, "Count": quota.count, "LogicType": quota.logic_type,
        "QuotaAction": quota.action,
        "ActionInfo": {"0": {"0": {"ActionType": quota.action, "Type": "Expression", "LogicType": "QuotaAction"},
                             "Type": "If"}, "Type": "BooleanExpression"},
        "ID": quota.id, "QuotaRealm": "Survey", "QuotaSchedule": None,
        "EndSurveyOptions": {"EndingType": "Default", "ResponseFlag": "QuotaMet",
                             "SurveyTermination": "DefaultMessage"},
    }
    if quota.logic_type == "Cross":
        shown["Logic"] = []
        shown["CrossLogicDef"] = [
            {"ID": index, "Description": c.description, "Occurrences": c.occurrences, "Count": c.count,
             "Logic": logic.to_logic(c.conditions, survey.questions)}
            for index, c in enumerate(quota.combinations)
        ]
    else:
        shown["Logic"] = logic.to_logic(quota.conditions, survey.questions)
    return shown


# --- the older GET /surveys/{id} -----------------------------------------------------------------
def _legacy_choice(question: dict[str, Any], choice: str, scale: bool = False) -> dict[str, Any]:
    text = questions.choice_text(question, choice, scale)
    return {"recode": str(questions.recode(question, choice, scale)), "description": text, "choiceText": text,
            "imageDescription": None, "variableName": None, "analyze": True}


def legacy_question(qid: str, question: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "questionType": {"type": question.get("QuestionType"), "selector": question.get("Selector"),
                         "subSelector": question.get("SubSelector")},
        "questionText": question.get("QuestionText", ""),
        "questionLabel": None,
        "questionName": questions.export_tag(question, qid),
        "validation": {"doesForceResponse": questions.is_required(question)},
    }
    shape = questions.kind(question)
    if shape == "matrix":
        shown["subQuestions"] = {c: _legacy_choice(question, c) for c in questions.choice_ids(question)}
        shown["choices"] = {c: _legacy_choice(question, c, True) for c in questions.choice_ids(question, True)}
    elif shape in ("single", "multi", "nps", "slider"):
        shown["choices"] = {c: _legacy_choice(question, c) for c in questions.choice_ids(question)}
    return shown


def _legacy_flow(flow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for element in flow:
        kind = element.get("Type")
        if kind in BLOCK_FLOW_TYPES:
            shown.append({"id": element.get("ID"), "type": "Block"})
        elif isinstance(element.get("Flow"), list):
            shown.append({"type": kind, "flow": _legacy_flow(element["Flow"])})
        else:
            shown.append({"type": kind})
    return shown


def legacy_detail(brand: Brand, survey: Survey) -> dict[str, Any]:
    column_map: dict[str, Any] = {}
    for qid in question_order(survey):
        question = survey.questions[qid]
        for column in questions.columns(qid, question):
            entry: dict[str, Any] = {"question": qid}
            if column.kind == "multi":
                entry["choice"] = f"{qid}.choices.{column.import_id.rsplit('_', 1)[1]}"
            elif column.key.startswith(f"{qid}_") and column.kind in ("choice", "number"):
                entry["subQuestion"] = f"{qid}.subQuestions.{column.key.rsplit('_', 1)[1]}"
            column_map[column.name] = entry
    return {
        "id": survey.id,
        "name": survey.name,
        "ownerId": survey.owner_id,
        "organizationId": brand.id,
        "isActive": survey.is_active,
        "creationDate": dates.iso(survey.created),
        "lastModifiedDate": dates.iso(survey.modified),
        "expiration": {"startDate": dates.iso(survey.expiration_start), "endDate": dates.iso(survey.expiration_end)},
        "questions": {qid: legacy_question(qid, q) for qid, q in survey.questions.items()},
        "exportColumnMap": column_map,
        "blocks": {
            block_id: {"description": block.get("Description", ""),
                       "elements": [{"type": "Question", "questionId": qid} for qid in block_questions(block)]}
            for block_id, block in survey.blocks.items() if block.get("Type") != "Trash"
        },
        "flow": _legacy_flow(survey.flow),
        "embeddedData": [{"name": name, "defaultValue": ""} for name in embedded_fields(survey)],
        "comments": {},
        "loopAndMerge": {},
        "responseCounts": {"auditable": len(survey.responses), "generated": 0, "deleted": survey.deleted_responses},
    }


def set_active(state: State, brand: Brand, survey: Survey, active: bool, now: datetime) -> None:
    """Activate or deactivate; the hooks hear of a change (a repeat of the current status is no change)."""
    if survey.is_active == active:
        return
    survey.is_active = active
    if active:
        survey.last_activated = now
    state.hooks.status_changed(brand, survey, active, "api")
