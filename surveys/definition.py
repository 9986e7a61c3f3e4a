"""A survey's definition (the survey-definitions API's shape) summarised for people: its blocks in the order
the flow shows them, each question's text, type and whether an answer is required, and the flow as an
outline. Plain functions over Qualtrics' dictionaries; nothing here calls Qualtrics.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

BLOCK_FLOW_TYPES = ("Block", "Standard")
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
MULTI_SELECTORS = ("MAVR", "MAHR", "MACOL", "MSB")
QUESTION_TYPES = {
    "TE": "Text entry",
    "Matrix": "Matrix table",
    "Slider": "Slider",
    "DB": "Descriptive text",
    "RO": "Rank order",
    "SBS": "Side by side",
    "CS": "Constant sum",
    "PGR": "Pick, group and rank",
    "HotSpot": "Hot spot",
    "HeatMap": "Heat map",
    "HL": "Highlight",
    "FileUpload": "File upload",
    "Draw": "Signature",
    "Timing": "Timing",
    "Meta": "Meta info",
    "Captcha": "Captcha",
    "SS": "Graphic slider",
    "GAP": "Gap analysis",
    "DD": "Drill down",
    "TreeSelect": "Tree select",
    "DynamicMatrix": "Dynamic matrix",
}
FLOW_LABELS = {
    "BlockRandomizer": "Randomizer",
    "Branch": "Branch",
    "EmbeddedData": "Embedded data",
    "EndSurvey": "End of survey",
    "Group": "Group",
    "QuotaCheck": "Quota check",
    "WebService": "Web service",
    "Authenticator": "Authenticator",
    "TableOfContents": "Table of contents",
    "ReferenceSurvey": "Survey from the library",
    "SupplementalData": "Supplemental data",
    "Conjoint": "Conjoint",
}


def plain_text(value: Any) -> str:
    """Question text as people read it: tags dropped, entities decoded, spaces collapsed."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", str(value or "")))).strip()


def question_type(question: dict[str, Any]) -> str:
    qtype, selector = question.get("QuestionType"), question.get("Selector")
    if qtype == "MC":
        if selector == "NPS":
            return "Net Promoter Score"
        if selector == "DL":
            return "Drop-down list"
        return "Multiple choice, several answers" if selector in MULTI_SELECTORS else "Multiple choice, one answer"
    if qtype == "TE" and selector == "ESTB":
        return "Text entry (essay box)"
    return QUESTION_TYPES.get(str(qtype), str(qtype or "Unknown"))


def is_required(question: dict[str, Any]) -> bool:
    settings = (question.get("Validation") or {}).get("Settings") or {}
    return settings.get("ForceResponse") == "ON"


@dataclass(frozen=True)
class Question:
    qid: str
    tag: str
    text: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    conditional: bool = False  # shown only when its display logic holds


@dataclass(frozen=True)
class Block:
    block_id: str
    description: str
    questions: tuple[Question, ...]
    in_flow: bool = True


@dataclass(frozen=True)
class FlowStep:
    label: str
    detail: str = ""
    children: tuple[FlowStep, ...] = ()


@dataclass
class Summary:
    blocks: list[Block] = field(default_factory=list)
    flow: list[FlowStep] = field(default_factory=list)
    question_count: int = 0
    required_count: int = 0
    base_url: str = ""  # the brand's survey host (BrandBaseURL), where the anonymous link points


def _question(qid: str, question: dict[str, Any]) -> Question:
    choices = question.get("Choices") or {}
    order = question.get("ChoiceOrder") or list(choices)
    labels = tuple(plain_text((choices.get(str(c)) or {}).get("Display")) for c in order if str(c) in choices)
    return Question(
        qid=qid,
        tag=str(question.get("DataExportTag") or qid),
        text=plain_text(question.get("QuestionText")) or "(no text)",
        kind=question_type(question),
        required=is_required(question),
        choices=labels,
        conditional=bool(question.get("DisplayLogic")),
    )


def _walk(flow: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in flow:
        if isinstance(element, dict):
            yield element
            if isinstance(element.get("Flow"), list):
                yield from _walk(element["Flow"])


def _step(element: dict[str, Any], blocks: dict[str, dict[str, Any]]) -> FlowStep:
    kind = element.get("Type")
    inner = tuple(_step(e, blocks) for e in element.get("Flow") or [] if isinstance(e, dict))
    if kind in BLOCK_FLOW_TYPES:
        block = blocks.get(str(element.get("ID"))) or {}
        return FlowStep("Block", block.get("Description") or str(element.get("ID") or ""))
    if kind == "BlockRandomizer":
        shown = element.get("SubSet")
        detail = f"shows {shown} of these {len(inner)} in random order" if shown else "in random order"
        if element.get("EvenPresentation"):
            detail += ", evenly"
        return FlowStep("Randomizer", detail, inner)
    if kind == "EmbeddedData":
        names = [str(item.get("Field")) for item in element.get("EmbeddedData") or []
                 if isinstance(item, dict) and item.get("Field")]
        return FlowStep("Embedded data", ", ".join(names), inner)
    if kind == "EndSurvey":
        return FlowStep("End of survey")
    return FlowStep(FLOW_LABELS.get(str(kind), str(kind or "Step")), str(element.get("Description") or ""), inner)


def summarise(definition: dict[str, Any]) -> Summary:
    """The summary of a definition from ``GET /survey-definitions/{id}``."""
    questions = definition.get("Questions") or {}
    blocks = {str(k): v for k, v in (definition.get("Blocks") or {}).items() if isinstance(v, dict)}
    flow = ((definition.get("SurveyFlow") or {}).get("Flow")) or []
    summary = Summary(base_url=str(definition.get("BrandBaseURL") or ""))
    in_flow: list[str] = []
    for element in _walk(flow):
        block_id = str(element.get("ID") or "")
        if element.get("Type") in BLOCK_FLOW_TYPES and block_id in blocks and block_id not in in_flow:
            in_flow.append(block_id)
    others = [b for b, block in blocks.items() if b not in in_flow and block.get("Type") != "Trash"]
    for block_id in in_flow + others:
        block = blocks[block_id]
        items = []
        for element in block.get("BlockElements") or []:
            if not isinstance(element, dict) or element.get("Type") != "Question":
                continue
            qid = element.get("QuestionID")
            if qid in questions and isinstance(questions[qid], dict):
                items.append(_question(qid, questions[qid]))
        summary.blocks.append(Block(block_id, block.get("Description") or block_id, tuple(items),
                                    in_flow=block_id in in_flow))
    summary.flow = [_step(e, blocks) for e in flow if isinstance(e, dict)]
    shown = [q for block in summary.blocks for q in block.questions]
    summary.question_count = len(shown)
    summary.required_count = sum(q.required for q in shown)
    return summary
