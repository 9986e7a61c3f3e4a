"""A survey's definition in Qualtrics' own shape (the survey-definitions API): its questions, blocks and
flow, and the whole survey as a Qualtrics Survey Format (.qsf) document."""

from __future__ import annotations

from typing import Any

from .base import Resource, path, segment


def definition_path(survey_id: str, *rest: str) -> str:
    return path("survey-definitions", segment(survey_id, "survey ID"), *rest)


class SurveyDefinitions(Resource):
    def get(self, survey_id: str) -> dict[str, Any]:
        """``SurveyName``, ``SurveyStatus``, ``Questions`` (by QID), ``Blocks`` (by block ID),
        ``SurveyFlow``, ``SurveyOptions``, ``BrandBaseURL``…"""
        return self._client._send("GET", definition_path(survey_id))

    def export_qsf(self, survey_id: str) -> dict[str, Any]:
        """The survey as a .qsf document (``SurveyEntry`` and ``SurveyElements``), ready to save as a file
        that Qualtrics (or ``surveys.import_qsf``) imports again."""
        return self._client._send("GET", definition_path(survey_id), params={"format": "qsf"})
