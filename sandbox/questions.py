"""Questions as the survey-definitions API shows them, and what each kind of question puts in a response.

A question is kept in Qualtrics' own shape (`QuestionText`, `QuestionType`, `Selector`, `Choices`, ...). Its kind
decides the keys it fills in a response's `values` and the columns it gets in an export:

| kind    | QuestionType / Selector     | values                                   | export columns                |
|---------|-----------------------------|------------------------------------------|-------------------------------|
| nps     | MC / NPS                    | `QIDn` (0-10), `QIDn_NPS_GROUP` (1-3)    | `Qn`, `Qn_NPS_GROUP`          |
| single  | MC / SAVR, SAHR, DL, ...    | `QIDn` (the choice's recode)             | `Qn`                          |
| multi   | MC / MAVR, MAHR, MACOL, MSB | `QIDn` (a list of recodes)               | `Qn_<choice>` each, or `Qn`   |
| matrix  | Matrix                      | `QIDn_<statement>` (the scale's recode)  | `Qn_<statement>` each         |
| text    | TE                          | `QIDn_TEXT`                              | `Qn_TEXT`                     |
| slider  | Slider                      | `QIDn_<choice>` (a number)               | `Qn_<choice>` each            |
| none    | DB (descriptive text)       | nothing                                  | none                          |
| other   | anything else               | `QIDn`                                   | `Qn`                          |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .envelope import bad_request

QUESTION_TYPES = ("MC", "Matrix", "Captcha", "CS", "DB", "DD", "Draw", "DynamicMatrix", "FileUpload", "GAP",
                  "HeatMap", "HL", "HotSpot", "Meta", "PGR", "RO", "SBS", "Slider", "SS", "TE", "Timing",
                  "TreeSelect")
MULTI_SELECTORS = ("MAVR", "MAHR", "MACOL", "MSB")
NPS_GROUPS = {1: "Detractor", 2: "Passive", 3: "Promoter"}


def kind(question: dict[str, Any]) -> str:
    qtype = question.get("QuestionType")
    selector = question.get("Selector")
    if qtype == "MC":
        if selector == "NPS":
            return "nps"
        return "multi" if selector in MULTI_SELECTORS else "single"
    return {"Matrix": "matrix", "TE": "text", "Slider": "slider", "DB": "none"}.get(str(qtype), "other")


def nps_group(score: int) -> int:
    return 1 if score <= 6 else 2 if score <= 8 else 3


def _number(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def choice_ids(question: dict[str, Any], scale: bool = False) -> list[str]:
    """Choice (or, for a matrix's scale, answer) IDs in display order."""
    items = question.get("Answers" if scale else "Choices") or {}
    order = question.get("AnswerOrder" if scale else "ChoiceOrder") or list(items)
    return [str(choice) for choice in order if str(choice) in items]


def recode(question: dict[str, Any], choice_id: str, scale: bool = False) -> int | str:
    """The value exported for a choice: its recode if one is set, else its ID."""
    recodes = question.get("RecodeValues") or {}
    if question.get("QuestionType") == "Matrix" and not scale:
        return _number(choice_id)
    return _number(str(recodes.get(choice_id, choice_id)))


def choice_text(question: dict[str, Any], choice_id: str, scale: bool = False) -> str:
    items = question.get("Answers" if scale else "Choices") or {}
    return str((items.get(choice_id) or {}).get("Display", choice_id))


def recodes(question: dict[str, Any], scale: bool = False) -> dict[int | str, str]:
    """Recode → choice ID."""
    return {recode(question, choice, scale): choice for choice in choice_ids(question, scale)}


def is_required(question: dict[str, Any]) -> bool:
    settings = (question.get("Validation") or {}).get("Settings") or {}
    return settings.get("ForceResponse") == "ON"


def export_tag(question: dict[str, Any], qid: str) -> str:
    return str(question.get("DataExportTag") or qid)


# --- building definitions -------------------------------------------------------------------------
def _validation(required: bool) -> dict[str, Any]:
    return {"Settings": {"ForceResponse": "ON" if required else "OFF", "ForceResponseType": "ON", "Type": "None"}}


def _choices(labels: list[str] | tuple[str, ...], start: int = 1) -> tuple[dict[str, Any], list[str]]:
    choices = {str(start + i): {"Display": text} for i, text in enumerate(labels)}
    return choices, list(choices)


def _base(qid: str, tag: str, text: str, qtype: str, selector: str, required: bool) -> dict[str, Any]:
    return {
        "QuestionText": text,
        "DataExportTag": tag,
        "QuestionType": qtype,
        "Selector": selector,
        "Configuration": {"QuestionDescriptionOption": "UseText"},
        "QuestionDescription": text,
        "Validation": _validation(required),
        "Language": [],
        "DataVisibility": {"Private": False, "Hidden": False},
        "QuestionID": qid,
    }


def multiple_choice(qid: str, tag: str, text: str, labels: list[str] | tuple[str, ...], *, multi: bool = False,
                    required: bool = False, randomize: bool = False) -> dict[str, Any]:
    question = _base(qid, tag, text, "MC", "MAVR" if multi else "SAVR", required)
    question["SubSelector"] = "TX"
    question["Choices"], question["ChoiceOrder"] = _choices(labels)
    question["NextChoiceId"] = len(labels) + 1
    question["NextAnswerId"] = 1
    if randomize:
        question["Randomization"] = {"Advanced": None, "Type": "All", "TotalRandSubset": ""}
    return question


def net_promoter(qid: str, tag: str, text: str, *, required: bool = True) -> dict[str, Any]:
    question = _base(qid, tag, text, "MC", "NPS", required)
    question["Choices"], question["ChoiceOrder"] = _choices([str(n) for n in range(11)], start=0)
    question["ColumnLabels"] = []
    question["NextChoiceId"] = 11
    question["NextAnswerId"] = 1
    return question


def text_entry(qid: str, tag: str, text: str, *, selector: str = "ESTB", required: bool = False,
               shown_if_selected: tuple[str, list[str]] | None = None) -> dict[str, Any]:
    question = _base(qid, tag, text, "TE", selector, required)
    question["Configuration"]["AllowFreeResponse"] = "false"
    question["DefaultChoices"] = False
    question["NextChoiceId"] = 4
    question["NextAnswerId"] = 1
    if shown_if_selected is not None:
        question["DisplayLogic"] = display_logic(*shown_if_selected)
    return question


def matrix(qid: str, tag: str, text: str, statements: list[str] | tuple[str, ...],
           scale: list[str] | tuple[str, ...], *, required: bool = False) -> dict[str, Any]:
    question = _base(qid, tag, text, "Matrix", "Likert", required)
    question["SubSelector"] = "SingleAnswer"
    question["Configuration"].update({"TextPosition": "inline", "ChoiceColumnWidth": 25, "RepeatHeaders": "none",
                                      "WhiteSpace": "OFF", "MobileFirst": True})
    question["Choices"], question["ChoiceOrder"] = _choices(statements)
    question["Answers"], question["AnswerOrder"] = _choices(scale)
    question["ChoiceDataExportTags"] = False
    question["DefaultChoices"] = False
    question["GradingData"] = []
    question["NextChoiceId"] = len(statements) + 1
    question["NextAnswerId"] = len(scale) + 1
    return question


def display_logic(source_qid: str, choices: list[str]) -> dict[str, Any]:
    """Show the question when any of `choices` was selected in `source_qid` (Qualtrics' logic shape)."""
    group: dict[str, Any] = {}
    for index, choice in enumerate(choices):
        expression: dict[str, Any] = {
            "LogicType": "Question",
            "QuestionID": source_qid,
            "QuestionIsInLoop": "no",
            "ChoiceLocator": f"q://{source_qid}/SelectableChoice/{choice}",
            "Operator": "Selected",
            "QuestionIDFromLocator": source_qid,
            "LeftOperand": f"q://{source_qid}/SelectableChoice/{choice}",
            "Type": "Expression",
            "Description": f"If {source_qid} {choice} Is Selected",
        }
        if index:
            expression["Conjuction"] = "Or"
        group[str(index)] = expression
    group["Type"] = "If"
    return {"0": group, "Type": "BooleanExpression", "inPage": False}


def shows(question: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether display logic lets the question show, given the answers so far (`values` keys)."""
    logic = question.get("DisplayLogic")
    if not isinstance(logic, dict):
        return True
    outcome: bool | None = None
    for group_key, group in logic.items():
        if not group_key.isdigit() or not isinstance(group, dict):
            continue
        for key, expression in group.items():
            if not key.isdigit() or not isinstance(expression, dict):
                continue
            result = _expression_holds(expression, answers)
            if outcome is None:
                outcome = result
            elif expression.get("Conjuction") == "And":
                outcome = outcome and result
            else:
                outcome = outcome or result
    return True if outcome is None else outcome


def _expression_holds(expression: dict[str, Any], answers: dict[str, Any]) -> bool:
    locator = str(expression.get("ChoiceLocator") or "")
    parts = locator.split("/")
    if not locator.startswith("q://") or len(parts) < 5:
        return True
    source, choice = parts[2], parts[4]
    given = answers.get(source)
    selected = [str(v) for v in given] if isinstance(given, list) else [] if given is None else [str(given)]
    hit = choice in selected
    return not hit if expression.get("Operator") == "NotSelected" else hit


# --- the columns a question gets -----------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One export column of a question (metadata and embedded data columns are built by the exporter)."""

    key: str  # where the value is in `values`
    name: str  # header row 1
    text: str  # header row 2
    import_id: str  # header row 3
    qid: str
    kind: str  # "choice" | "group" | "text" | "number" | "multi" | "joined"
    choice: int | str | None = None  # for "multi": the recode this column stands for

    @property
    def has_labels(self) -> bool:
        return self.kind in ("choice", "group", "multi", "joined")


def columns(qid: str, question: dict[str, Any], breakout: bool = True) -> list[Column]:
    shape = kind(question)
    tag = export_tag(question, qid)
    text = str(question.get("QuestionText") or "")
    if shape == "none":
        return []
    if shape == "nps":
        return [Column(qid, tag, text, qid, qid, "choice"),
                Column(f"{qid}_NPS_GROUP", f"{tag}_NPS_GROUP", f"{text} - Group", f"{qid}_NPS_GROUP", qid, "group")]
    if shape == "text":
        return [Column(f"{qid}_TEXT", tag, text, f"{qid}_TEXT", qid, "text")]
    if shape == "multi":
        if not breakout:
            return [Column(qid, tag, f"{text} - Selected Choice", qid, qid, "joined")]
        return [
            Column(qid, f"{tag}_{choice}", f"{text} - Selected Choice - {choice_text(question, choice)}",
                   f"{qid}_{choice}", qid, "multi", recode(question, choice))
            for choice in choice_ids(question)
        ]
    if shape in ("matrix", "slider"):
        value_kind = "choice" if shape == "matrix" else "number"
        return [
            Column(f"{qid}_{choice}", f"{tag}_{choice}", f"{text} - {choice_text(question, choice)}",
                   f"{qid}_{choice}", qid, value_kind)
            for choice in choice_ids(question)
        ]
    return [Column(qid, tag, text, qid, qid, "choice" if shape == "single" else "number")]


def seen_key(column: Column) -> str:
    """The `displayedFields` entry telling whether the column's question was shown."""
    return column.qid if column.kind in ("group", "multi", "joined") else column.key


# --- checking answers given by a client ----------------------------------------------------------
def check_answer(survey_questions: dict[str, dict[str, Any]], key: str, value: Any) -> tuple[str, Any, Any] | None:
    """Validate one answer from a created or imported response.

    Returns (qid, value, label) for a question key, None when the key is not a question's (embedded data or
    metadata). Choice answers may be given as recodes or as choice texts.
    """
    qid, _, rest = key.partition("_")
    question = survey_questions.get(qid)
    if question is None:
        return None
    shape = kind(question)
    if shape == "text" and rest == "TEXT":
        if not isinstance(value, (str, int, float)):
            raise bad_request(f"{key} must be text")
        return qid, str(value), None
    if shape == "nps" and rest == "NPS_GROUP":
        return None
    if shape in ("single", "nps", "other") and not rest:
        if shape == "other":
            return qid, value, None
        return qid, *_choice_value(question, key, value, scale=False)
    if shape == "multi" and not rest:
        given = value if isinstance(value, list) else [value]
        pairs = [_choice_value(question, key, item, scale=False) for item in given]
        return qid, [v for v, _ in pairs], [label for _, label in pairs]
    if shape == "matrix" and rest in (question.get("Choices") or {}):
        return qid, *_choice_value(question, key, value, scale=True)
    if shape == "slider" and rest in (question.get("Choices") or {}):
        try:
            return qid, float(value), None
        except (TypeError, ValueError):
            raise bad_request(f"{key} must be a number") from None
    raise bad_request(f"{key} is not an answer field of question {qid}")


def _as_code(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else text
    return value if isinstance(value, int) else None


def _choice_value(question: dict[str, Any], key: str, value: Any, scale: bool) -> tuple[Any, str]:
    by_recode = recodes(question, scale)
    candidate = _as_code(value)
    if candidate in by_recode:
        return candidate, choice_text(question, by_recode[candidate], scale)
    for code, choice in by_recode.items():
        if choice_text(question, choice, scale) == str(value):
            return code, choice_text(question, choice, scale)
    allowed = ", ".join(str(code) for code in by_recode)
    raise bad_request(f"{key}: {value!r} is not one of the question's choices ({allowed})")
