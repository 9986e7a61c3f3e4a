"""Surveys (list, get, update), response exports (start, poll, file) and single responses."""

from __future__ import annotations

from typing import Any

from .. import dates, exports, jobs, paging, responses, validation, webhooks
from ..envelope import PROXIED_EXPORT, ApiError, bad_request, not_found
from ..records import ExportJob, Survey
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


def survey_summary(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "name": survey.name,
        "ownerId": survey.owner_id,
        "lastModified": dates.iso(survey.modified),
        "creationDate": dates.iso(survey.created),
        "isActive": survey.is_active,
    }


def survey_detail(call: ApiCall, survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "name": survey.name,
        "ownerId": survey.owner_id,
        "organizationId": call.brand.id,
        "isActive": survey.is_active,
        "creationDate": dates.iso(survey.created),
        "lastModifiedDate": dates.iso(survey.modified),
        "expiration": {"startDate": dates.iso(survey.expiration_start), "endDate": dates.iso(survey.expiration_end)},
        "questions": {qid: dict(question) for qid, question in survey.questions.items()},
        "exportColumnMap": {},
        "blocks": {"BL_default": {"description": "Default Question Block",
                                  "elements": [{"type": "Question", "questionId": q} for q in survey.questions]}},
        "flow": [{"id": "BL_default", "type": "Block"}],
        "embeddedData": [],
        "comments": {},
        "loopAndMerge": {},
        "responseCounts": {"auditable": len(survey.responses), "generated": 0, "deleted": 0},
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


@table.get("/surveys/{surveyId}")
def get_survey(call: ApiCall) -> dict[str, Any]:
    return survey_detail(call, lookups.survey(call))


@table.put("/surveys/{surveyId}")
def update_survey(call: ApiCall) -> None:
    survey = lookups.survey(call)
    body = call.json()
    validation.keys(body, optional=("name", "isActive", "expiration", "ownerId"))
    if not body:
        raise bad_request("Give at least one of name, isActive, expiration, ownerId")
    if "name" in body:
        survey.name = validation.required_str(body, "name", 200)
    if "isActive" in body:
        active = validation.optional_bool(body, "isActive")
        if active is None:
            raise bad_request("isActive must be true or false")
        if active != survey.is_active:
            survey.is_active = active
            webhooks.survey_activation_changed(call.state, call.brand, survey)
    if "expiration" in body:
        window = validation.obj(body, "expiration") or {}
        validation.keys(window, optional=("startDate", "endDate"))
        survey.expiration_start = validation.date(window, "startDate")
        survey.expiration_end = validation.date(window, "endDate")
    if "ownerId" in body:
        survey.owner_id = lookups.user(call, validation.required_str(body, "ownerId")).id
    survey.modified = call.now


@table.post("/surveys/{surveyId}/export-responses", limit="export_responses_start")
def start_export(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    _refuse_proxied_export(call)
    body = call.json()
    validation.keys(body, required=("format",), optional=EXPORT_OPTIONS)
    fmt = body["format"]
    if fmt not in exports.FORMATS:
        raise bad_request(f"format must be one of {', '.join(exports.FORMATS)}")
    compress = validation.optional_bool(body, "compress")
    limit = body.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise bad_request("limit must be a positive whole number")
    options = {
        "compress": True if compress is None else compress,
        "startDate": validation.date(body, "startDate"),
        "endDate": validation.date(body, "endDate"),
        "limit": limit,
        "useLabels": validation.optional_bool(body, "useLabels") or False,
    }
    filename, content, content_type = exports.build(survey, fmt, options)
    ids = call.state.ids
    job = ExportJob(
        id=ids.make("ES"), survey_id=survey.id, started=call.now, file_id=f"{ids.uuid()}-def",
        filename=filename, content=content, content_type=content_type,
        continuation_token=ids.chars(32) if validation.optional_bool(body, "allowContinuation") else None,
    )
    call.brand.exports[job.id] = job
    percent, done = jobs.progress(call.state, job.started)
    result: dict[str, Any] = {"progressId": job.id, "percentComplete": percent,
                              "status": "complete" if done else "inProgress"}
    if job.continuation_token:
        result["continuationToken"] = job.continuation_token
    return result


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


@table.get("/surveys/{surveyId}/responses/{responseId}", limit="response_get")
def get_response(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    response = survey.responses.get(call.params["responseId"])
    if response is None:
        raise not_found("response", call.params["responseId"])
    return responses.as_api(survey, response)
