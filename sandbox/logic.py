"""Conditions on responses (quotas, saved filters) and their form in Qualtrics' logic objects."""

from __future__ import annotations

from typing import Any

from . import questions
from .records import Condition, Response

OPERATOR_TEXT = {"Selected": "Is Selected", "NotSelected": "Is Not Selected", "EqualTo": "Is Equal to",
                 "GreaterThanOrEqual": "Is Greater Than or Equal to", "LessThanOrEqual": "Is Less Than or Equal to"}


def _value_of(condition: Condition, response: Response) -> Any:
    if condition.source == "embedded":
        return response.embedded.get(condition.field)
    return response.values.get(condition.field)


def holds(condition: Condition, response: Response) -> bool:
    value = _value_of(condition, response)
    operator = condition.operator
    if operator in ("Selected", "NotSelected"):
        chosen = value if isinstance(value, list) else [] if value is None else [value]
        hit = condition.value in chosen
        return hit if operator == "Selected" else not hit
    if value is None or value == "":
        return False
    if operator == "EqualTo":
        return str(value) == str(condition.value)
    try:
        number, bound = float(value), float(condition.value)
    except (TypeError, ValueError):
        return False
    return number >= bound if operator == "GreaterThanOrEqual" else number <= bound


def all_hold(conditions: list[Condition], response: Response) -> bool:
    return all(holds(condition, response) for condition in conditions)


def to_logic(conditions: list[Condition], survey_questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Conditions joined by And, as a Qualtrics `BooleanExpression`."""
    group: dict[str, Any] = {}
    for index, condition in enumerate(conditions):
        expression = _expression(condition, survey_questions)
        if index:
            expression["Conjuction"] = "And"
        group[str(index)] = expression
    group["Type"] = "If"
    return {"0": group, "Type": "BooleanExpression"}


def _expression(condition: Condition, survey_questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    operator_text = OPERATOR_TEXT.get(condition.operator, condition.operator)
    if condition.source == "question" and condition.operator in ("Selected", "NotSelected"):
        question = survey_questions.get(condition.field) or {}
        choice = questions.recodes(question).get(condition.value, str(condition.value))
        locator = f"q://{condition.field}/SelectableChoice/{choice}"
        text = questions.choice_text(question, choice) if question else str(condition.value)
        return {
            "LogicType": "Question", "QuestionID": condition.field, "QuestionIsInLoop": "no",
            "ChoiceLocator": locator, "Operator": condition.operator, "QuestionIDFromLocator": condition.field,
            "LeftOperand": locator, "Type": "Expression",
            "Description": f"If {question.get('QuestionText', condition.field)} {text} {operator_text}",
        }
    logic_type = "EmbeddedField" if condition.source == "embedded" else "Metadata"
    return {
        "LogicType": logic_type, "LeftOperand": condition.field, "Operator": condition.operator,
        "RightOperand": str(condition.value), "Type": "Expression",
        "Description": f"If {condition.field} {operator_text} {condition.value}",
    }


def from_logic(logic: Any, survey_questions: dict[str, dict[str, Any]]) -> list[Condition]:
    """The conditions of a logic object this sandbox can evaluate (others are left out)."""
    found: list[Condition] = []
    if not isinstance(logic, dict):
        return found
    for group_key, group in logic.items():
        if not str(group_key).isdigit() or not isinstance(group, dict):
            continue
        for key, expression in group.items():
            if not str(key).isdigit() or not isinstance(expression, dict):
                continue
            condition = _condition(expression, survey_questions)
            if condition is not None:
                found.append(condition)
    return found


def _condition(expression: dict[str, Any], survey_questions: dict[str, dict[str, Any]]) -> Condition | None:
    operator = expression.get("Operator")
    if expression.get("LogicType") == "Question" and operator in ("Selected", "NotSelected"):
        parts = str(expression.get("ChoiceLocator") or "").split("/")
        if len(parts) < 5:
            return None
        qid, choice = parts[2], parts[4]
        question = survey_questions.get(qid)
        if question is None:
            return None
        return Condition(qid, str(operator), questions.recode(question, choice))
    if expression.get("LogicType") in ("EmbeddedField", "Metadata") and operator in OPERATOR_TEXT:
        source = "embedded" if expression["LogicType"] == "EmbeddedField" else "metadata"
        return Condition(str(expression.get("LeftOperand")), str(operator), expression.get("RightOperand"), source)
    return None
