"""Single responses (get, create, delete, update embedded data) and response imports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import multipart, response_imports, responses, validation
from ..envelope import bad_request, missing_param, not_found
from ..records import Response, Survey
from ..routing import ApiCall, RouteTable
from . import lookups

table = RouteTable()

CSV_TYPES = {"text/csv": "csv", "text/tsv": "tsv", "text/tab-separated-values": "tsv", "csv": "csv", "tsv": "tsv"}


def _response(call: ApiCall, survey: Survey) -> Response:
    found = survey.responses.get(call.params["responseId"])
    if found is None:
        raise not_found("response", call.params["responseId"])
    return found


@table.get("/surveys/{surveyId}/responses/{responseId}", limit="response_get")
def get_response(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    return responses.as_api(survey, _response(call, survey))


@table.delete("/surveys/{surveyId}/responses/{responseId}", limit="response_delete")
def delete_response(call: ApiCall) -> None:
    survey = lookups.survey(call)
    responses.delete(survey, _response(call, survey), decrement_quotas=call.flag("decrementQuotas"))


@table.post("/surveys/{surveyId}/responses", limit="response_create")
def create_response(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    body = call.json()
    validation.keys(body, required=("values",))
    values = validation.obj(body, "values", required=True) or {}
    response = responses.from_values(survey, call.state.ids, values, call.now, source="api")
    responses.store(survey, response)
    responses.announce(call.state, call.brand, survey, response, "api")
    key = call.config["create_response_result_key"]
    if key == "both":
        return {"responseId": response.id, "id": response.id}
    return {key: response.id}


@table.put("/responses/{responseId}")
def update_response(call: ApiCall) -> None:
    """Change a recorded response's embedded data (`{"surveyId", "embeddedData", "resetRecordedDate"}`)."""
    body = call.json()
    survey_required = call.config["response_update_survey_id"] == "required"
    validation.keys(body, required=("surveyId",) if survey_required else (),
                    optional=("surveyId", "embeddedData", "resetRecordedDate"))
    response_id = call.params["responseId"]
    survey_id = validation.optional_str(body, "surveyId")
    if survey_id is not None:
        survey = lookups.survey(call, survey_id)
    else:
        survey = next((s for s in call.brand.surveys.values() if response_id in s.responses), None)
        if survey is None:
            raise not_found("response", response_id)
    response = _response(call, survey)
    embedded = validation.obj(body, "embeddedData") or {}
    for name, value in embedded.items():
        if isinstance(value, (dict, list)) or value is None:
            raise bad_request(f"embeddedData.{name} must be a string")
    reset = bool(validation.optional_bool(body, "resetRecordedDate"))
    if not embedded and not reset:
        raise bad_request("Give embeddedData to change, or resetRecordedDate")
    response.embedded.update({name: str(value) for name, value in embedded.items()})
    responses.touch(survey, response, call.now, reset_recorded_date=reset)


# --- imports -------------------------------------------------------------------------------------
def _format_of(content_type: str) -> str | None:
    return CSV_TYPES.get(content_type.split(";")[0].strip().lower())


def _charset(content_type: str, call: ApiCall) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return call.header("charset")


@table.post("/surveys/{surveyId}/import-responses", raw=True)
def start_import(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    content_type = call.header("Content-Type") or ""
    media = content_type.split(";")[0].strip().lower()
    key = call.header("Idempotency-Key")
    if media == "application/json" or (not media and isinstance(call.body, dict)):
        body = call.json()
        validation.keys(body, required=("fileUrl",), optional=("format", "charset"))
        url = validation.required_str(body, "fileUrl")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request("fileUrl must be a public http(s) URL")
        fmt = _format_of(str(body.get("format") or "csv"))
        if fmt is None:
            raise bad_request("format must be csv or tsv")
        job = response_imports.start(call.state, survey, fmt=fmt, url=url, idempotency_key=key)
    else:
        if media == "multipart/form-data":
            upload = multipart.parse(content_type, call.raw_body).get("file")
            if upload is None:
                raise missing_param("file")
            data, file_type = upload.data, upload.content_type
            fmt = _format_of(file_type) or ("tsv" if (upload.filename or "").lower().endswith(".tsv") else "csv")
        else:
            fmt = _format_of(media)
            if fmt is None:
                raise bad_request("Send the file as text/csv or text/tsv, as multipart/form-data, or give its "
                                  "fileUrl in a JSON body")
            data, file_type = call.raw_body, content_type
        if not data.strip():
            raise bad_request("The file is empty")
        if len(data) > response_imports.MAX_FILE_BYTES:
            raise bad_request("The file is larger than 5 MB")
        text = response_imports.decode(data, _charset(file_type, call) or _charset(content_type, call))
        job = response_imports.start(call.state, survey, fmt=fmt, text=text, idempotency_key=key)
    call.state.catch_up(call.brand)
    percent, status = response_imports.progress(call.state, job)
    return {"progressId": job.id, "percentComplete": percent, "status": status}


@table.get("/surveys/{surveyId}/import-responses/{progressId}")
def import_progress(call: ApiCall) -> dict[str, Any]:
    survey = lookups.survey(call)
    job = survey.imports.get(call.params["progressId"])
    if job is None:
        raise not_found("response import", call.params["progressId"])
    call.state.catch_up(call.brand)
    percent, status = response_imports.progress(call.state, job)
    return {"progressId": job.id, "percentComplete": percent, "status": status}
