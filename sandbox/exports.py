"""Response export files: Qualtrics-style CSV/TSV (three header rows), JSON, NDJSON or XML, zipped."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from . import responses
from .envelope import bad_request
from .records import Response, Survey

FORMATS = ("csv", "tsv", "json", "ndjson", "xml", "spss")
METADATA_COLUMNS = (
    ("StartDate", "startDate", "Start Date"),
    ("EndDate", "endDate", "End Date"),
    ("Status", "status", "Response Type"),
    ("IPAddress", "ipAddress", "IP Address"),
    ("Progress", "progress", "Progress"),
    ("Duration (in seconds)", "duration", "Duration (in seconds)"),
    ("Finished", "finished", "Finished"),
    ("RecordedDate", "recordedDate", "Recorded Date"),
    ("ResponseId", "_recordId", "Response ID"),
    ("RecipientLastName", "recipientLastName", "Recipient Last Name"),
    ("RecipientFirstName", "recipientFirstName", "Recipient First Name"),
    ("RecipientEmail", "recipientEmail", "Recipient Email"),
    ("ExternalReference", "externalDataReference", "External Data Reference"),
    ("DistributionChannel", "distributionChannel", "Distribution Channel"),
    ("UserLanguage", "userLanguage", "User Language"),
)


def select(survey: Survey, options: dict[str, Any]) -> list[Response]:
    chosen = sorted(survey.responses.values(), key=lambda r: r.recorded)
    start: datetime | None = options.get("startDate")
    end: datetime | None = options.get("endDate")
    if start is not None:
        chosen = [r for r in chosen if r.recorded >= start]
    if end is not None:
        chosen = [r for r in chosen if r.recorded < end]
    if options.get("limit") is not None:
        chosen = chosen[: options["limit"]]
    return chosen


def build(survey: Survey, fmt: str, options: dict[str, Any]) -> tuple[str, bytes, str]:
    """Return (file name, bytes, content type) of the export file."""
    if fmt == "spss":
        raise bad_request("format spss is not produced by this sandbox; use csv, tsv, json, ndjson or xml")
    chosen = select(survey, options)
    use_labels = bool(options.get("useLabels"))
    base = re.sub(r"[^A-Za-z0-9 _().-]", "_", survey.name).strip() or survey.id
    if fmt in ("csv", "tsv"):
        data = _delimited(survey, chosen, "," if fmt == "csv" else "\t", use_labels)
    elif fmt == "json":
        data = json.dumps({"responses": [responses.as_api(survey, r) for r in chosen]}, indent=1).encode()
    elif fmt == "ndjson":
        data = "".join(json.dumps(responses.as_api(survey, r)) + "\n" for r in chosen).encode()
    else:
        data = _xml(chosen).encode()
    filename = f"{base}.{fmt}"
    if options.get("compress", True):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(filename, data)
        return f"{base}.zip", buffer.getvalue(), "application/zip"
    content_type = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
                    "ndjson": "application/x-ndjson", "xml": "application/xml"}[fmt]
    return filename, data, content_type


def _question_columns(survey: Survey) -> list[tuple[str, str, str]]:
    columns = []
    for number, (qid, question) in enumerate(survey.questions.items(), start=1):
        if question["questionType"]["type"] == "TE":
            columns.append((f"Q{number}", f"{qid}_TEXT", question["questionText"]))
        else:
            columns.append((f"Q{number}", qid, question["questionText"]))
    return columns


def _delimited(survey: Survey, chosen: list[Response], delimiter: str, use_labels: bool) -> bytes:
    columns = list(METADATA_COLUMNS) + _question_columns(survey)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in columns])
    writer.writerow([text for _, _, text in columns])
    writer.writerow([json.dumps({"ImportId": key}) for _, key, _ in columns])
    for response in chosen:
        row = []
        for _, key, _ in columns:
            value = response.labels.get(key) if use_labels and key in response.labels else response.values.get(key)
            row.append("" if value is None else value)
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def _xml(chosen: list[Response]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<Responses>"]
    for response in chosen:
        parts.append("<Response>")
        for key, value in response.values.items():
            tag = re.sub(r"[^A-Za-z0-9_]", "_", key).lstrip("_") or "field"
            parts.append(f"<{tag}>{escape(str(value))}</{tag}>")
        parts.append("</Response>")
    parts.append("</Responses>")
    return "".join(parts)
