"""Checking an uploaded file is a Qualtrics Survey Format (.qsf) document before anything reaches Qualtrics.

A .qsf file is one JSON object with ``SurveyEntry`` (the survey's metadata: name, language, dates…) and
``SurveyElements`` (one object per part: blocks, flow, options, one per question, quotas…); see
docs/qualtrics-api.md#surveys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class QsfFile:
    content: bytes
    filename: str
    survey_name: str  # SurveyEntry.SurveyName, "" when the file has none
    question_count: int


def _not_qsf(reason: str) -> ValidationError:
    return ValidationError(f"This is not a Qualtrics survey file (.qsf): {reason}", code="not_qsf")


def read(upload) -> QsfFile:
    """The upload as a checked .qsf document, or a ValidationError saying in plain words what is wrong.

    The size is checked before the file is read, so a huge upload is refused without loading it.
    """
    size = getattr(upload, "size", None)
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            f"The file is {size / 1024 / 1024:.0f} MB; a survey file may be at most {MAX_BYTES // 1024 // 1024} MB.",
            code="too_large",
        )
    upload.seek(0)
    content = upload.read(MAX_BYTES + 1)
    if not content:
        raise ValidationError("The file is empty.", code="empty")
    if len(content) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.", code="too_large")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_qsf("it is not text (a .qsf file is JSON in UTF-8).") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _not_qsf(f"it is not JSON ({getattr(exc, 'msg', exc)} at line {getattr(exc, 'lineno', '?')}).") \
            from None
    if not isinstance(document, dict) or "SurveyEntry" not in document or "SurveyElements" not in document:
        raise _not_qsf("it is JSON, but without the SurveyEntry and SurveyElements a survey file has.")
    entry, elements = document["SurveyEntry"], document["SurveyElements"]
    if not isinstance(entry, dict) or not isinstance(elements, list):
        raise _not_qsf("its SurveyEntry must be an object and its SurveyElements a list.")
    if not all(isinstance(element, dict) and isinstance(element.get("Element"), str) for element in elements):
        raise _not_qsf("every item of its SurveyElements must be an object naming its Element.")
    name = entry.get("SurveyName")
    return QsfFile(
        content=content,
        filename=getattr(upload, "name", "") or "survey.qsf",
        survey_name=name.strip() if isinstance(name, str) else "",
        question_count=sum(1 for element in elements if element["Element"] == "SQ"),
    )
