"""Surveys (list, get, update, delete, copy, QSF import), quotas, saved filters and response exports."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from .. import dates, definitions, exports, jobs, multipart, paging, qsf, validation
from ..envelope import PROXIED_EXPORT, ApiError, bad_request, missing_param, not_found
from ..records import Continuation, ExportJob, Quota, SavedFilter, Survey
from ..routing import ApiCall, FileReply, RouteTable
from . import lookups

table = RouteTable()

EXPORT_OPTIONS = (
    "compress", "startDate", "endDate", "limit", "useLabels", "questionIds", "embeddedDataIds",
    "surveyMetadataIds", "filterId", "timeZone", "exportResponsesInProgress", "allowContinuation",
    "continuationToken", "breakoutSets", "seenUnansweredRecode", "multiselectSeenUnansweredRecode",
    "includeDisplayOrder", "formatDecimalAsComma", "newlineReplacement", "includeLabelColumns",
    "sortByLastModifiedDate",
)
CONTINUATION_LIFETIME = timedelta(days=7)
SURVEY_FILE_TYPES = ("application/vnd.qualtrics.survey.qsf", "application/json", "application/octet-stream",
                     "text/plain")


def survey_summary(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "name": survey.name,
        "ownerId": survey.owner_id,
        "lastModified": dates.iso(survey.modified),
        "creationDate": dates.iso(survey.created),
        "isActive": survey.is_active,
    }


def _refuse_proxied_export(call: ApiCall) -> None:
    if call.proxied and call.config["proxied_exports_fail"]:
        raise ApiError(
            400, f"Exports must be requested from the brand's datacenter: {call.brand.datacenter}.qualtrics.com",
            PROXIED_EXPORT,
        )


@table.get("/surveys")
def list_surveys(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(call.brand.surveys.values()), survey_summary)


@table.post("/surveys", raw=True)
def create_survey(call: ApiCall) -> dict[str, Any]:
    """Copy a survey (X-COPY-SOURCE header, `projectName` body) or import a .qsf file (multipart)."""
    source = (call.header("X-COPY-SOURCE") or "").strip()
    if source:
        return _copy(call, source)
    content_type = call.header("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        return _import_qsf(call, content_type)
    raise bad_request("To copy a survey send the X-COPY-SOURCE header; to import one send a multipart/form-data "
                      "body with name and file")


def _copy(call: ApiCall, source_id: str) -> dict[str, Any]:
    original = lookups.survey(call, source_id)
    body = call.json()
    validation.keys(body, required=("projectName",))
    name = validation.required_str(body, "projectName", 200)
    owner_id = (call.header("X-COPY-DESTINATION-OWNER") or "").strip() or call.user.id
    if owner_id not in call.brand.users:
        raise bad_request(f"X-COPY-DESTINATION-OWNER is not a user of this brand: {owner_id}")
    clone = definitions.copy_of(original, call.state.ids, name=name, owner_id=owner_id, now=call.now)
    call.brand.surveys[clone.id] = clone
    return {"id": clone.id}


def _import_qsf(call: ApiCall, content_type: str) -> dict[str, Any]:
    parts = multipart.parse(content_type, call.raw_body)
    if "name" not in parts:
        raise missing_param("name")
    if "file" not in parts:
        raise missing_param("file")
    name = parts["name"].data.decode("utf-8", "replace").strip()
    if not name:
        raise bad_request("name must not be empty")
    upload = parts["file"]
    if upload.content_type in ("application/vnd.qualtrics.survey.txt", "application/vnd.qualtrics.survey.doc"):
        raise bad_request("This sandbox imports .qsf files only (application/vnd.qualtrics.survey.qsf)")
    if upload.content_type not in SURVEY_FILE_TYPES:
        raise bad_request(f"Unsupported survey file type: {upload.content_type}")
    try:
        document = json.loads(upload.data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The file is not a Qualtrics survey (.qsf): it is not JSON") from None
    survey = qsf.load(document, call.state.ids, owner_id=call.user.id, now=call.now, name=name)
    call.brand.surveys[survey.id] = survey
    return {"id": survey.id}


@table.get("/surveys/{surveyId}")
def get_survey(call: ApiCall) -> dict[str, Any]:
    return definitions.legacy_detail(call.brand, lookups.survey(call))


@table.put("/surveys/{surveyId}")
def update_survey(call: ApiCall) -> None:
    survey = lookups.survey(call)
    body = call.json()
    validation.keys(body, optional=("name", "isActive", "expiration", "ownerId"))
    if not body:
        raise bad_request("Give at least one of name, isActive, expiration, ownerId")
    name = validation.required_str(body, "name", 200) if "name" in body else None
    active = None
    if "isActive" in body:
        active = validation.optional_bool(body, "isActive")
        if active is None:
            raise bad_request("isActive must be true or false")
    window = None
    if "expiration" in body:
        window = validation.obj(body, "expiration") or {}
        validation.keys(window, optional=("startDate", "endDate"))
    owner = lookups.user(call, validation.required_str(body, "ownerId")).id if "ownerId" in body else None
    if name is not None:
        survey.name = name
    if window is not None:
        survey.expiration_start = validation.date(window, "startDate")
        survey.expiration_end = validation.date(window, "endDate")
    if owner is not None:
        survey.owner_id = owner
    survey.modified = call.now
    if active is not None:
        definitions.set_active(call.state, call.brand, survey, active, call.now)


@table.delete("/surveys/{surveyId}")
def delete_survey(call: ApiCall) -> None:
    del call.brand.surveys[lookups.survey(call).id]


# --- quotas and saved filters --------------------------------------------------------------------
def quota_row(quota: Quota) -> dict[str, Any]:
    return {
        "id": quota.id,
        "name": quota.name,
        "count": quota.count,
        "quota": quota.occurrences,
        "logicType": quota.logic_type,
        "combinations": [{"description": c.description, "count": c.count, "quota": c.occurrences}
                         for c in quota.combinations],
    }


def filter_row(saved: SavedFilter) -> dict[str, Any]:
    return {"filterId": saved.id, "name": saved.name}


@table.get("/surveys/{surveyId}/quotas")
def list_quotas(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(lookups.survey(call).quotas.values()), quota_row)


@table.get("/surveys/{surveyId}/filters")
def list_filters(call: ApiCall) -> dict[str, Any]:
    return paging.offset_page(call, list(lookups.survey(call).filters.values()), filter_row)


# --- response exports ----------------------------------------------------------------------------
def _whole_number(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"{key} must be a whole number")
    return value


def _id_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"{key} must be an array of strings")
    return value


def export_options(call: ApiCall, survey: Survey, body: dict[str, Any]) -> tuple[exports.Options, bool]:
    """Check an export request; returns the options and whether to issue a continuation token."""
    validation.keys(body, required=("format",), optional=EXPORT_OPTIONS)
    fmt = body["format"]
    if fmt not in exports.FORMATS:
        raise bad_request(f"format must be one of {', '.join(exports.FORMATS)}")
    if fmt in ("json", "ndjson"):
        for key in exports.NOT_FOR_JSON:
            if key in body:
                raise bad_request(f"{key} cannot be used when exporting as {fmt}")
    flags = {key: validation.optional_bool(body, key) for key in (
        "compress", "useLabels", "exportResponsesInProgress", "allowContinuation", "breakoutSets",
        "includeDisplayOrder", "formatDecimalAsComma", "includeLabelColumns", "sortByLastModifiedDate")}
    limit = _whole_number(body, "limit")
    if limit is not None and limit < 1:
        raise bad_request("limit must be a positive whole number")
    options = exports.Options(
        fmt=fmt,
        compress=flags["compress"] is not False,
        start=validation.date(body, "startDate"),
        end=validation.date(body, "endDate"),
        limit=limit,
        use_labels=bool(flags["useLabels"]),
        question_ids=_id_list(body, "questionIds"),
        embedded_ids=_id_list(body, "embeddedDataIds"),
        metadata_ids=_id_list(body, "surveyMetadataIds"),
        in_progress=bool(flags["exportResponsesInProgress"]),
        breakout=flags["breakoutSets"] is not False,
        seen_recode=_whole_number(body, "seenUnansweredRecode"),
        multi_recode=_whole_number(body, "multiselectSeenUnansweredRecode"),
        display_order=bool(flags["includeDisplayOrder"]),
        decimal_comma=bool(flags["formatDecimalAsComma"]),
        newline=validation.optional_str(body, "newlineReplacement"),
        label_columns=bool(flags["includeLabelColumns"]),
        by_modified=bool(flags["sortByLastModifiedDate"]),
        multiselect_value=call.config["multiselect_export_value"],
        label_names=call.config["label_column_names"],
    )
    if options.label_columns and options.use_labels:
        raise bad_request("includeLabelColumns cannot be used with useLabels")
    unknown = [qid for qid in options.question_ids or () if qid not in survey.questions]
    if unknown:
        raise bad_request(f"Invalid questionIds: {', '.join(unknown)}")
    unknown = [name for name in options.metadata_ids or () if name not in exports.METADATA_IDS]
    if unknown:
        raise bad_request(f"Invalid surveyMetadataIds: {', '.join(unknown)}")
    zone_name = validation.optional_str(body, "timeZone")
    if zone_name is not None:
        options.zone = dates.zone(zone_name)
        if options.zone is None:
            raise bad_request(f"Invalid timeZone: {zone_name}")
        options.zone_name = zone_name
    filter_id = validation.optional_str(body, "filterId")
    if filter_id is not None:
        if flags["allowContinuation"] or "continuationToken" in body:
            raise bad_request("filterId cannot be used with continuation")
        if options.by_modified:
            raise bad_request("filterId cannot be used with sortByLastModifiedDate")
        options.saved_filter = survey.filters.get(filter_id)
        if options.saved_filter is None:
            raise bad_request(f"Invalid filterId: {filter_id}")
    token = validation.optional_str(body, "continuationToken")
    if token is not None:
        if "allowContinuation" in body:
            raise bad_request("continuationToken implies allowContinuation: do not send both")
        continuation = survey.continuations.get(token)
        if continuation is None or call.now - continuation.created > CONTINUATION_LIFETIME:
            raise bad_request("Invalid or expired continuationToken")
        options.since = continuation.sequence
    return options, token is not None or bool(flags["allowContinuation"])


@table.post("/surveys/{surveyId}/export-responses", limit="export_responses_start")
def start_export(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    _refuse_proxied_export(call)
    options, continues = export_options(call, survey, call.json())
    filename, content, content_type = exports.build(survey, options, call.now)
    ids = call.state.ids
    job = ExportJob(
        id=ids.make("ES"), survey_id=survey.id, started=call.now, file_id=f"{ids.uuid()}-def",
        filename=filename, content=content, content_type=content_type,
    )
    if continues:
        token = ids.chars(56)
        survey.continuations[token] = Continuation(token, call.now, survey.sequence)
        job.continuation_token = token
    call.brand.exports[job.id] = job
    percent, done = jobs.progress(call.state, job.started)
    return {"progressId": job.id, "percentComplete": percent, "status": "complete" if done else "inProgress"}


@table.get("/surveys/{surveyId}/export-responses/{exportProgressId}", limit="export_responses_progress")
def export_progress(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    _refuse_proxied_export(call)
    job = call.brand.exports.get(call.params["exportProgressId"])
    if job is None or job.survey_id != survey.id:
        raise not_found("export", call.params["exportProgressId"])
    percent, done = jobs.progress(call.state, job.started)
    result: dict[str, Any] = {"percentComplete": percent, "status": "complete" if done else "inProgress"}
    if done:
        result["fileId"] = job.file_id
        if job.continuation_token:
            result["continuationToken"] = job.continuation_token
    return result


@table.get("/surveys/{surveyId}/export-responses/{fileId}/file", limit="export_responses_file")
def export_file(call: ApiCall) -> FileReply:
    survey = lookups.survey(call)
    _refuse_proxied_export(call)
    for job in call.brand.exports.values():
        ready = jobs.progress(call.state, job.started)[1]
        if job.file_id == call.params["fileId"] and job.survey_id == survey.id and ready:
            return FileReply(job.content, job.content_type, job.filename)
    raise not_found("export file", call.params["fileId"])
