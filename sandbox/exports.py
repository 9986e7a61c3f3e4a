"""Response export files as Qualtrics writes them, for every format and option of `POST …/export-responses`.

CSV and TSV have three header rows (column names, question texts, `{"ImportId": ...}`); SPSS is a .sav file with
variable and value labels; XML is one `<Response>` per response with the CSV's columns as elements; JSON and NDJSON
hold the single-response API's shape. Files are zipped unless `compress` is false.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from xml.sax.saxutils import escape

from . import dates, definitions, logic, questions, responses, spss
from .records import Response, SavedFilter, Survey

FORMATS = ("csv", "tsv", "json", "ndjson", "spss", "xml")
# Options Qualtrics refuses for JSON and NDJSON exports.
NOT_FOR_JSON = ("includeDisplayOrder", "useLabels", "formatDecimalAsComma", "seenUnansweredRecode",
                "multiselectSeenUnansweredRecode", "timeZone", "newlineReplacement", "breakoutSets")
# (column name, key in `values`, header text, surveyMetadataIds names)
METADATA: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("StartDate", "startDate", "Start Date", ("startDate",)),
    ("EndDate", "endDate", "End Date", ("endDate",)),
    ("Status", "status", "Response Type", ("status",)),
    ("IPAddress", "ipAddress", "IP Address", ("ipAddress",)),
    ("Progress", "progress", "Progress", ("progress",)),
    ("Duration (in seconds)", "duration", "Duration (in seconds)", ("duration",)),
    ("Finished", "finished", "Finished", ("finished",)),
    ("RecordedDate", "recordedDate", "Recorded Date", ("recordedDate",)),
    ("ResponseId", "_recordId", "Response ID", ("_recordId", "responseId")),
    ("RecipientLastName", "recipientLastName", "Recipient Last Name", ("recipientLastName",)),
    ("RecipientFirstName", "recipientFirstName", "Recipient First Name", ("recipientFirstName",)),
    ("RecipientEmail", "recipientEmail", "Recipient Email", ("recipientEmail",)),
    ("ExternalReference", "externalDataReference", "External Data Reference",
     ("externalReference", "externalDataReference")),
    ("LocationLatitude", "locationLatitude", "Location Latitude", ("locationLatitude",)),
    ("LocationLongitude", "locationLongitude", "Location Longitude", ("locationLongitude",)),
    ("DistributionChannel", "distributionChannel", "Distribution Channel", ("distributionChannel",)),
    ("UserLanguage", "userLanguage", "User Language", ("userLanguage",)),
)
METADATA_IDS = {name for *_, names in METADATA for name in names}
DATE_KEYS = ("startDate", "endDate", "recordedDate")
DECIMAL_KEYS = ("locationLatitude", "locationLongitude")


@dataclass
class Options:
    fmt: str
    compress: bool = True
    start: datetime | None = None
    end: datetime | None = None
    limit: int | None = None
    use_labels: bool = False
    question_ids: list[str] | None = None
    embedded_ids: list[str] | None = None
    metadata_ids: list[str] | None = None
    saved_filter: SavedFilter | None = None
    zone: tzinfo | None = None
    zone_name: str | None = None
    in_progress: bool = False
    breakout: bool = True
    seen_recode: int | None = None
    multi_recode: int | None = None
    display_order: bool = False
    decimal_comma: bool = False
    newline: str | None = None
    label_columns: bool = False
    by_modified: bool = False
    since: int | None = None  # a continuation: only what changed after this survey sequence number
    multiselect_value: str = "one"  # what a breakout column holds for a selected choice: "one" | "recode"
    label_names: str = "same"  # label columns named like their value column ("same") or "<name>_labels"


@dataclass
class Column:
    name: str
    text: str
    import_id: dict[str, Any]
    cell: Callable[[Response], Any]
    kind: str = "string"  # for SPSS: "numeric" | "string" | "datetime"
    value_labels: dict[float, str] = field(default_factory=dict)


# --- which responses -----------------------------------------------------------------------------
def select(survey: Survey, options: Options) -> list[Response]:
    pool = list((survey.in_progress if options.in_progress else survey.responses).values())
    if options.since is not None:
        def changed(r: Response) -> int:
            return max(r.sequence, r.modified_sequence) if options.by_modified else r.sequence

        pool = [r for r in pool if changed(r) > options.since]

    def moment(r: Response) -> datetime:
        return r.last_modified if options.by_modified else r.recorded

    chosen = sorted(pool, key=moment)
    if options.start is not None:
        chosen = [r for r in chosen if moment(r) >= options.start]
    if options.end is not None:
        chosen = [r for r in chosen if moment(r) < options.end]
    if options.saved_filter is not None:
        chosen = [r for r in chosen if logic.all_hold(options.saved_filter.conditions, r)]
    if options.limit is not None:
        chosen = chosen[: options.limit]
    return chosen


# --- which columns -------------------------------------------------------------------------------
def embedded_names(survey: Survey) -> list[str]:
    names = definitions.embedded_fields(survey)
    for response in [*survey.responses.values(), *survey.in_progress.values()]:
        for name in response.embedded:
            if name not in names:
                names.append(name)
    return names


def _metadata_cell(key: str, options: Options) -> Callable[[Response], Any]:
    def cell(response: Response) -> Any:
        value = response.values.get(key)
        if value is None:
            return ""
        if key in DATE_KEYS:
            moment = dates.parse(value)
            return moment if options.fmt == "spss" else dates.local(moment, options.zone)
        if options.use_labels and key in ("status", "finished"):
            return response.labels.get(key, value)
        if options.decimal_comma and key in DECIMAL_KEYS:
            return str(value).replace(".", ",")
        return value

    return cell


def _answer_cell(column: questions.Column, options: Options, labels: bool) -> Callable[[Response], Any]:
    seen_key = questions.seen_key(column)
    multi_recode = options.multi_recode if options.multi_recode is not None else options.seen_recode

    def cell(response: Response) -> Any:
        seen = seen_key in response.displayed
        if column.kind == "multi":
            picked = response.values.get(column.qid) or []
            if column.choice in picked:
                if labels:
                    return response.labels.get(column.qid, [""])[picked.index(column.choice)]
                return column.choice if options.multiselect_value == "recode" else 1
            return multi_recode if seen and multi_recode is not None else ""
        if column.kind == "joined":
            picked = response.values.get(column.qid)
            if picked:
                shown = response.labels.get(column.qid, picked) if labels else picked
                return ",".join(str(item) for item in shown)
            return options.seen_recode if seen and options.seen_recode is not None else ""
        value = response.values.get(column.key)
        if value is None or value == "":
            return options.seen_recode if seen and options.seen_recode is not None else ""
        if labels and column.has_labels:
            return response.labels.get(column.key, value)
        if options.decimal_comma and isinstance(value, float):
            return str(value).replace(".", ",")
        return value

    return cell


def _value_labels(survey: Survey, column: questions.Column) -> dict[float, str]:
    question = survey.questions[column.qid]
    if column.kind == "group":
        return {float(k): v for k, v in questions.NPS_GROUPS.items()}
    if column.kind != "choice":
        return {}
    scale = questions.kind(question) == "matrix"
    shown = {}
    for choice in questions.choice_ids(question, scale):
        code = questions.recode(question, choice, scale)
        if isinstance(code, int):
            shown[float(code)] = questions.choice_text(question, choice, scale)
    return shown


def plan(survey: Survey, options: Options) -> list[Column]:
    chosen_meta = None if options.metadata_ids is None else set(options.metadata_ids)
    planned: list[Column] = []
    for name, key, text, ids in METADATA:
        if chosen_meta is not None and not chosen_meta.intersection(ids):
            continue
        import_id: dict[str, Any] = {"ImportId": key}
        kind = "string"
        if key in DATE_KEYS:
            kind = "datetime"
            if options.zone_name:
                import_id["timeZone"] = options.zone_name
        elif key in ("status", "progress", "duration", "finished") and not options.use_labels:
            kind = "numeric"
        planned.append(Column(name, text, import_id, _metadata_cell(key, options), kind))
    if options.by_modified:
        def modified(response: Response) -> Any:
            return response.last_modified if options.fmt == "spss" else dates.local(response.last_modified,
                                                                                    options.zone)

        import_id = {"ImportId": "lastModifiedDate"}
        if options.zone_name:
            import_id["timeZone"] = options.zone_name
        planned.append(Column("LastModifiedDate", "Last Modified Date", import_id, modified, "datetime"))

    order = definitions.question_order(survey)
    wanted = order if options.question_ids is None else [qid for qid in order if qid in options.question_ids]
    for qid in wanted:
        for column in questions.columns(qid, survey.questions[qid], breakout=options.breakout):
            numeric = column.kind == "number" or (column.kind != "text" and not options.use_labels)
            planned.append(Column(column.name, column.text, {"ImportId": column.import_id},
                                  _answer_cell(column, options, options.use_labels),
                                  "numeric" if numeric else "string",
                                  _value_labels(survey, column) if numeric else {}))
            if options.label_columns and column.has_labels:
                label_name = column.name if options.label_names == "same" else f"{column.name}_labels"
                planned.append(Column(label_name, column.text, {"ImportId": column.import_id, "IsLabelsColumn": True},
                                      _answer_cell(column, options, True)))

    names = embedded_names(survey) if options.embedded_ids is None else list(options.embedded_ids)
    for name in names:
        planned.append(Column(name, name, {"ImportId": name},
                              lambda response, name=name: response.embedded.get(name, "")))

    if options.display_order:
        for qid in wanted:
            question = survey.questions[qid]
            if question.get("Randomization"):
                tag = questions.export_tag(question, qid)
                planned.append(Column(f"{tag}_DO", f"{question.get('QuestionText', '')} - Display Order",
                                      {"ImportId": f"{qid}_DO"},
                                      lambda response, qid=qid: "|".join(response.display_order.get(qid, []))))
        for element in definitions.walk(survey.flow):
            if element.get("Type") == "BlockRandomizer":
                flow_id = str(element.get("FlowID"))
                planned.append(Column(f"{flow_id}_DO", f"{flow_id} - Block Randomizer - Display Order",
                                      {"ImportId": f"{flow_id}_DO"},
                                      lambda response, flow_id=flow_id: "|".join(
                                          response.display_order.get(flow_id, []))))
    return planned


# --- writing the file ----------------------------------------------------------------------------
def _text(value: Any, options: Options) -> str:
    text = "" if value is None else str(value)
    if options.newline is not None:
        text = text.replace("\r\n", options.newline).replace("\n", options.newline).replace("\r", options.newline)
    return text


def _delimited(columns: list[Column], chosen: list[Response], options: Options, delimiter: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    writer.writerow([column.text for column in columns])
    writer.writerow([json.dumps(column.import_id, separators=(",", ":")) for column in columns])
    for response in chosen:
        writer.writerow([_text(column.cell(response), options) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _element_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return clean if re.match(r"^[A-Za-z_]", clean) else f"_{clean}"


def _xml(columns: list[Column], chosen: list[Response], options: Options) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<Responses>"]
    for response in chosen:
        parts.append("<Response>")
        for column in columns:
            tag = _element_name(column.name)
            parts.append(f"<{tag}>{escape(_text(column.cell(response), options))}</{tag}>")
        parts.append("</Response>")
    parts.append("</Responses>")
    return "".join(parts).encode("utf-8")


def _spss(survey: Survey, columns: list[Column], chosen: list[Response], options: Options,
          now: datetime) -> bytes:
    taken: set[str] = set()
    variables = []
    table = [[column.cell(response) for column in columns] for response in chosen]
    for index, column in enumerate(columns):
        name = spss.valid_name(column.name + ("_labels" if column.import_id.get("IsLabelsColumn") else ""), taken)
        cells = [row[index] for row in table]
        kind = column.kind
        if kind == "numeric" and not all(_is_number(cell) for cell in cells):
            kind = "string"
        if kind == "datetime":
            local = [dates.parse(c) if isinstance(c, str) else c for c in cells]
            cells = [c.astimezone(options.zone) if isinstance(c, datetime) and options.zone else c for c in local]
            for row, cell in zip(table, cells, strict=True):
                row[index] = cell
            variables.append(spss.Variable(name, column.text, "datetime"))
            continue
        if kind == "numeric":
            for row in table:
                row[index] = None if row[index] in ("", None) else float(row[index])
            decimals = 4 if any(isinstance(c, float) and not float(c).is_integer() for c in cells) else 0
            variables.append(spss.Variable(name, column.text, "numeric", decimals=decimals,
                                           value_labels=column.value_labels))
            continue
        texts = [_text(cell, options) for cell in cells]
        for row, text in zip(table, texts, strict=True):
            row[index] = text
        width = max([len(t.encode("utf-8")) for t in texts] + [1])
        variables.append(spss.Variable(name, column.text, "string", width=min(width, spss.MAX_STRING)))
    return spss.write(variables, table, file_label=survey.name, created=now)


def _is_number(value: Any) -> bool:
    if value in ("", None):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _json_rows(survey: Survey, chosen: list[Response], options: Options) -> list[dict[str, Any]]:
    keep_questions = None if options.question_ids is None else set(options.question_ids)
    keep_meta = None if options.metadata_ids is None else {
        key for _, key, _, ids in METADATA if set(ids) & set(options.metadata_ids)}
    keep_embedded = None if options.embedded_ids is None else set(options.embedded_ids)
    all_meta = {key for _, key, _, _ in METADATA}
    rows = []
    for response in chosen:
        shown = responses.as_api(survey, response)
        for part in ("values", "labels"):
            kept = {}
            for key, value in shown[part].items():
                qid = key.partition("_")[0]
                if qid in survey.questions:
                    if keep_questions is not None and qid not in keep_questions:
                        continue
                elif key in all_meta:
                    if keep_meta is not None and key not in keep_meta:
                        continue
                elif key in response.embedded and keep_embedded is not None and key not in keep_embedded:
                    continue
                kept[key] = value
            shown[part] = kept
        rows.append(shown)
    return rows


def build(survey: Survey, options: Options, now: datetime) -> tuple[str, bytes, str]:
    """Return (file name, bytes, content type) of the export file."""
    chosen = select(survey, options)
    base = re.sub(r"[^A-Za-z0-9 _().-]", "_", survey.name).strip() or survey.id
    fmt = options.fmt
    extension = "sav" if fmt == "spss" else fmt
    if fmt in ("json", "ndjson"):
        rows = _json_rows(survey, chosen, options)
        if fmt == "json":
            data = json.dumps({"responses": rows}, indent=1).encode()
        else:
            data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    else:
        columns = plan(survey, options)
        if fmt in ("csv", "tsv"):
            data = _delimited(columns, chosen, options, "," if fmt == "csv" else "\t")
        elif fmt == "xml":
            data = _xml(columns, chosen, options)
        else:
            data = _spss(survey, columns, chosen, options, now)
    filename = f"{base}.{extension}"
    if options.compress:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(filename, data)
        return f"{base}.zip", buffer.getvalue(), "application/zip"
    content_type = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
                    "ndjson": "application/x-ndjson", "xml": "application/xml",
                    "spss": "application/x-spss-sav"}[fmt]
    return filename, data, content_type
