"""A survey's responses: exports (start, follow, download the file as a stream), one response (read, change its
embedded data, delete), and response imports from a CSV or TSV file in the export layout.

Exports run in Qualtrics: ``start`` gives a progress ID, ``progress`` says when the file is ready (its
``fileId``, and the ``continuationToken`` of an export that allowed continuation), ``download`` streams the
file. The per-route budgets (qualtrics/ratelimit.py) count these calls like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..errors import error_from_envelope
from ..http import Timeout
from .base import Resource, path, segment
from .surveys import survey_path

EXPORT_FORMATS = ("csv", "tsv", "json", "ndjson", "spss", "xml")
# Options Qualtrics refuses for JSON and NDJSON exports (they hold the single-response API's shape).
NOT_FOR_JSON = frozenset({"useLabels", "timeZone", "newlineReplacement", "breakoutSets", "includeDisplayOrder",
                          "formatDecimalAsComma", "seenUnansweredRecode", "multiselectSeenUnansweredRecode"})
# An error answer to a download is a small JSON envelope; more than this is not read.
ERROR_BODY_LIMIT = 64 * 1024


def export_path(survey_id: str, *rest: str) -> str:
    return survey_path(survey_id, "export-responses", *rest)


class ResponseExports(Resource):
    def start(self, survey_id: str, *, format: str, options: Mapping[str, Any] | None = None,
              timeout: Timeout | None = None) -> dict[str, Any]:
        """Start an export. ``options`` are the body's other keys as Qualtrics spells them (``startDate``,
        ``limit``, ``useLabels``, ``continuationToken``…). Result ``{progressId, percentComplete, status}``.
        ``timeout`` overrides the client's for this call."""
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
        body = {"format": format, **{k: v for k, v in (options or {}).items() if v is not None}}
        if format in ("json", "ndjson"):
            refused = sorted(NOT_FOR_JSON.intersection(body))
            if refused:
                raise ValueError(f"{', '.join(refused)} cannot be used with a {format} export")
        return self._client._send("POST", export_path(survey_id), json=body, timeout=timeout)

    def progress(self, survey_id: str, progress_id: str) -> dict[str, Any]:
        """``{percentComplete, status ("inProgress" | "complete" | "failed"), fileId?, continuationToken?}``."""
        return self._client._send("GET", export_path(survey_id, segment(progress_id, "export progress ID")))

    @contextmanager
    def download(self, survey_id: str, file_id: str) -> Iterator[Iterator[bytes]]:
        """The export file as chunks of bytes, never held whole (``with ... as chunks: for chunk in chunks``).

        One attempt, through the shared rate budget; an error answer raises the typed error.
        """
        target = export_path(survey_id, segment(file_id, "export file ID"), "file")
        answer = self._client.relay("GET", target)
        try:
            if answer.status != 200:
                raise _download_error(answer, target)
            yield answer.body
        finally:
            answer.close()


def _download_error(answer, target: str):
    read = bytearray()
    for chunk in answer.body:
        read.extend(chunk)
        if len(read) > ERROR_BODY_LIMIT:
            break
    text = bytes(read[:ERROR_BODY_LIMIT]).decode("utf-8", errors="replace")
    try:
        envelope = json.loads(text)
    except ValueError:
        envelope = None
    return error_from_envelope(answer.status, envelope if isinstance(envelope, dict) else None, method="GET",
                               path=target, reason=answer.reason,
                               body_excerpt="" if isinstance(envelope, dict) else text[:300],
                               retry_after=answer.retry_after)


class Responses(Resource):
    def get(self, survey_id: str, response_id: str) -> dict[str, Any]:
        """``{responseId, values{startDate, endDate, status, progress, duration, finished, recordedDate, QID…,
        embedded data}, labels{…}, displayedFields, displayedValues}``."""
        return self._client._send("GET", survey_path(survey_id, "responses", segment(response_id, "response ID")))

    def update_embedded_data(self, survey_id: str, response_id: str, embedded_data: Mapping[str, str]) -> None:
        """Set embedded-data fields of a recorded response (``PUT /responses/{id}``)."""
        body = {"surveyId": survey_id, "embeddedData": {str(k): str(v) for k, v in embedded_data.items()}}
        self._client._send("PUT", path("responses", segment(response_id, "response ID")), json=body)

    def delete(self, survey_id: str, response_id: str) -> None:
        self._client._send("DELETE", survey_path(survey_id, "responses", segment(response_id, "response ID")))

    def import_file(self, survey_id: str, *, content: bytes, format: str = "csv",
                    idempotency_key: str | None = None) -> dict[str, Any]:
        """Start importing responses from a CSV or TSV file in the export layout (sent as multipart).
        Result ``{progressId, percentComplete, status}``."""
        if format not in ("csv", "tsv"):
            raise ValueError("format must be csv or tsv")
        media = "text/csv" if format == "csv" else "text/tab-separated-values"
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        files = {"file": (f"responses.{format}", content, f"{media}; charset=UTF-8")}
        return self._client._send("POST", survey_path(survey_id, "import-responses"), files=files, headers=headers)

    def import_progress(self, survey_id: str, progress_id: str) -> dict[str, Any]:
        """``{progressId, percentComplete, status ("inProgress" | "complete" | "failed")}``."""
        target = survey_path(survey_id, "import-responses", segment(progress_id, "import progress ID"))
        return self._client._send("GET", target)

