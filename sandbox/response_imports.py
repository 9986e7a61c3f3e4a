"""Response imports: a CSV or TSV file (sent in the request or fetched from `fileUrl`) becomes responses.

The file is read the way exports are written: a header row of column names, optionally a row of question texts,
and optionally the row of `{"ImportId": ...}` objects, which then decides what each column holds. Without that
row, columns are matched by their export names (`Q1`, `Q4_2`, `StartDate`, ...). Unknown columns become embedded
data. Like other jobs, an import completes after `job_seconds` of sandbox time; its responses appear then, all
at once, or none if a row is invalid (the job then reports `failed`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from . import dates, definitions, jobs, questions, responses
from .envelope import ApiError
from .records import Brand, Response, ResponseImportJob, Survey

if TYPE_CHECKING:
    from .state import State

MAX_FILE_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10.0
# ImportIds of the metadata columns exports write, and the export column names that stand for them.
METADATA_NAMES = {
    "StartDate": "startDate", "EndDate": "endDate", "Status": "status", "IPAddress": "ipAddress",
    "Progress": "progress", "Duration (in seconds)": "duration", "Finished": "finished",
    "RecordedDate": "recordedDate", "ResponseId": "_recordId", "RecipientLastName": "recipientLastName",
    "RecipientFirstName": "recipientFirstName", "RecipientEmail": "recipientEmail",
    "ExternalReference": "externalDataReference", "LocationLatitude": "locationLatitude",
    "LocationLongitude": "locationLongitude", "DistributionChannel": "distributionChannel",
    "UserLanguage": "userLanguage",
}
METADATA_TEXTS = {
    "StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type", "IPAddress": "IP Address",
    "Progress": "Progress", "Duration (in seconds)": "Duration (in seconds)", "Finished": "Finished",
    "RecordedDate": "Recorded Date", "ResponseId": "Response ID",
}
IGNORED = ("_recordId", "LastModifiedDate", "lastModifiedDate")


class ImportProblem(Exception):
    """The file cannot be imported; the job fails with this message."""


def decode(data: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().lower().replace("_", "-")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        name = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf") or name == "utf-8":
        name = "utf-8-sig"
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        raise ApiError(400, f"The file could not be read as {charset or 'UTF-8'} text") from None


def start(state: State, survey: Survey, *, fmt: str, text: str | None = None, url: str | None = None,
          idempotency_key: str | None = None) -> ResponseImportJob:
    digest = hashlib.sha256((text if text is not None else f"url:{url}").encode()).hexdigest()
    if idempotency_key:
        for job in survey.imports.values():
            if job.idempotency_key == idempotency_key and job.digest == digest:
                return job
    job = ResponseImportJob(id=state.ids.make("RI"), survey_id=survey.id, started=state.now(), format=fmt,
                            text=text, url=url, idempotency_key=idempotency_key, digest=digest)
    survey.imports[job.id] = job
    if url is not None:
        threading.Thread(target=_fetch, args=(state, job), name="response-import-fetch", daemon=True).start()
    return job


def _fetch(state: State, job: ResponseImportJob) -> None:
    """Fetch `fileUrl` outside the state's lock: the URL may well be served by a client of this sandbox."""
    text: str | None = None
    error: str | None = None
    try:
        request = urllib.request.Request(  # noqa: S310 - the route accepts only http(s) URLs
            job.url or "", headers={"User-Agent": "Qualtrics-Sandbox"})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as reply:  # noqa: S310 - http(s) checked
            data = reply.read(MAX_FILE_BYTES + 1)
            charset = reply.headers.get_content_charset()
        if len(data) > MAX_FILE_BYTES:
            error = "The file at fileUrl is larger than 5 MB"
        else:
            text = decode(data, charset)
    except ApiError as problem:
        error = problem.message
    except (OSError, ValueError) as problem:
        error = f"fileUrl could not be fetched: {problem}"
    with state.lock:
        job.text, job.error = text, error


def progress(state: State, job: ResponseImportJob) -> tuple[float, str]:
    if job.error is not None:
        return 100.0, "failed"
    percent, done = jobs.progress(state, job.started)
    if job.text is None:
        return min(percent, 50.0), "inProgress"
    if not done:
        return percent, "inProgress"
    return 100.0, "complete"


def apply_due(state: State, brand: Brand) -> None:
    for survey in list(brand.surveys.values()):
        for job in list(survey.imports.values()):
            if not job.applied and job.error is None and job.text is not None and progress(state, job)[1] == "complete":
                apply(state, brand, survey, job)


def apply(state: State, brand: Brand, survey: Survey, job: ResponseImportJob) -> None:
    job.applied = True
    try:
        made = read(state, survey, job.text or "", job.format)
    except (ImportProblem, ApiError) as problem:
        job.error = problem.message if isinstance(problem, ApiError) else str(problem)
        return
    for response in made:
        responses.store(survey, response)
        job.response_ids.append(response.id)
    for response in made:
        responses.announce(state, brand, survey, response, "import")


# --- reading the file ----------------------------------------------------------------------------
def read(state: State, survey: Survey, text: str, fmt: str) -> list[Response]:
    table = [row for row in csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
             if any(cell.strip() for cell in row)]
    if not table:
        raise ImportProblem("The file is empty")
    header = table[0]
    plan: list[dict[str, Any] | None] | None = None
    first = 1
    for index in (1, 2):
        if index < len(table):
            plan = _plan_from_import_ids(survey, table[index])
            if plan is not None:
                first = index + 1
                break
    if plan is None:
        plan = [_plan_from_name(survey, name) for name in header]
        if len(table) > 1 and _is_text_row(survey, header, table[1]):
            first = 2
    made = []
    for number, row in enumerate(table[first:], start=first + 1):
        try:
            made.append(_response(state, survey, plan, row))
        except ApiError as problem:
            raise ImportProblem(f"Row {number}: {problem.message}") from None
    if not made:
        raise ImportProblem("The file has no responses")
    return made


def _column_plan(survey: Survey, import_id: str, zone: Any = None) -> dict[str, Any] | None:
    if import_id in IGNORED:
        return None
    if import_id in METADATA_NAMES.values() or import_id == "externalReference":
        return {"kind": "metadata", "key": import_id, "zone": zone}
    qid, _, rest = import_id.partition("_")
    question = survey.questions.get(qid)
    if question is not None:
        shape = questions.kind(question)
        if rest == "DO":
            return {"kind": "order", "key": qid}
        if rest == "NPS_GROUP":
            return None
        if shape == "multi":
            if rest in (question.get("Choices") or {}):
                return {"kind": "multi", "qid": qid, "recode": questions.recode(question, rest),
                        "label": questions.choice_text(question, rest)}
            if not rest:
                return {"kind": "joined", "qid": qid}
        return {"kind": "answer", "key": import_id}
    if import_id.startswith("FL_") and import_id.endswith("_DO"):
        return {"kind": "order", "key": import_id[:-3]}
    return {"kind": "embedded", "key": import_id}


def _plan_from_import_ids(survey: Survey, row: list[str]) -> list[dict[str, Any] | None] | None:
    cells = [cell.strip() for cell in row]
    if not cells or not cells[0].startswith("{"):
        return None
    plan: list[dict[str, Any] | None] = []
    for cell in cells:
        try:
            spec = json.loads(cell) if cell else {}
        except ValueError:
            return None
        if not isinstance(spec, dict):
            return None
        if not spec.get("ImportId") or spec.get("IsLabelsColumn"):
            plan.append(None)
            continue
        zone = None
        if spec.get("timeZone") not in (None, "", "Z", "UTC"):
            zone = dates.zone(str(spec["timeZone"]))
        plan.append(_column_plan(survey, str(spec["ImportId"]), zone))
    return plan


def _names(survey: Survey) -> dict[str, str]:
    names = dict(METADATA_NAMES)
    for qid in definitions.question_order(survey):
        question = survey.questions[qid]
        for breakout in (False, True):
            for column in questions.columns(qid, question, breakout=breakout):
                names.setdefault(column.name, column.import_id)
    return names


def _plan_from_name(survey: Survey, name: str) -> dict[str, Any] | None:
    clean = name.strip()
    if not clean:
        return None
    import_id = _names(survey).get(clean, clean)
    if clean.endswith("_DO"):
        for qid, question in survey.questions.items():
            if f"{questions.export_tag(question, qid)}_DO" == clean:
                import_id = f"{qid}_DO"
    return _column_plan(survey, import_id)


def _is_text_row(survey: Survey, header: list[str], row: list[str]) -> bool:
    """The second row of an export holds texts ("Start Date", question texts), not a response."""
    texts = dict(METADATA_TEXTS)
    for qid in definitions.question_order(survey):
        for breakout in (False, True):
            for column in questions.columns(qid, survey.questions[qid], breakout=breakout):
                texts.setdefault(column.name, column.text)
    return any(texts.get(name.strip()) == cell.strip() for name, cell in zip(header, row, strict=False))


def _response(state: State, survey: Survey, plan: list[dict[str, Any] | None], row: list[str]) -> Response:
    given: dict[str, Any] = {}
    chosen: dict[str, list[Any]] = {}
    orders: dict[str, list[str]] = {}
    zone = None
    for spec, cell in zip(plan, row, strict=False):
        value = cell.strip()
        if spec is None or value == "":
            continue
        kind = spec["kind"]
        if kind == "metadata":
            given[spec["key"]] = value
            zone = zone or spec.get("zone")
        elif kind == "order":
            orders[spec["key"]] = [part for part in value.split("|") if part]
        elif kind == "multi":
            chosen.setdefault(spec["qid"], [])
            if value in ("1", str(spec["recode"]), spec["label"]):
                chosen[spec["qid"]].append(spec["recode"])
        elif kind == "joined":
            chosen[spec["qid"]] = [part.strip() for part in value.split(",") if part.strip()]
        elif kind == "answer" and _seen_unanswered(survey, spec["key"], value):
            continue
        else:
            given[spec["key"]] = value
    for qid, picked in chosen.items():
        if picked:
            given[qid] = picked
    response = responses.from_values(survey, state.ids, given, state.now(), source="import", time_zone=zone)
    response.display_order = orders
    return response


def _seen_unanswered(survey: Survey, key: str, value: str) -> bool:
    """A negative number in a choice column is a `seenUnansweredRecode` written by an export."""
    qid = key.partition("_")[0]
    question = survey.questions.get(qid)
    if question is None or questions.kind(question) not in ("single", "nps", "matrix"):
        return False
    try:
        number = int(value)
    except ValueError:
        return False
    scale = questions.kind(question) == "matrix"
    return number < 0 and number not in questions.recodes(question, scale)
