"""Survey responses: how they are generated, created, counted against quotas, and shown by the API.

A response follows its survey's definition: the flow decides which blocks show and in what order (a block
randomizer's order is kept), display logic hides questions, optional questions may be left unanswered, and a
partial response stops part way. `displayed` (the API's `displayedFields`) is what the respondent saw; a field
seen but not answered is what exports recode with `seenUnansweredRecode`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import dates, definitions, logic, questions
from .envelope import bad_request
from .ids import IdFactory
from .records import Contact, Response, Survey

if TYPE_CHECKING:
    from .ids import IdFactory
    from .records import Brand
    from .state import State

COMMENTS = (
    "Quick and friendly support.",
    "The new dashboard is much easier to use.",
    "Delivery took longer than promised.",
    "Great value for the price.",
    "Please add more export options.",
    "The onboarding call was really helpful.",
    "Billing was confusing this month.\nThe invoice listed two plans.",
    "Keep the mobile app as simple as it is.",
)
REASONS = (
    "Support took three days to answer.",
    "Too expensive for what we use.",
    "Setup was harder than expected.",
    "Some reports are missing; we export to spreadsheets instead.",
    "It does the job, nothing more.",
)
EMBEDDED_POOLS = {
    "Region": ("NA", "EMEA", "APAC", "LATAM"),
    "CustomerTier": ("Gold", "Silver", "Bronze"),
    "Department": ("Sales", "Support", "Engineering", "Marketing", "Finance", "Operations"),
}
STATUS_LABELS = {0: "IP Address", 1: "Survey Preview", 2: "Survey Test", 4: "Imported", 8: "Spam", 16: "Offline"}
METADATA_KEYS = ("startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
                 "_recordId", "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage",
                 "recipientFirstName", "recipientLastName", "recipientEmail", "externalDataReference")
DATE_KEYS = ("startDate", "endDate", "recordedDate")


# --- generating answers --------------------------------------------------------------------------
class _Answering:
    """One respondent going through a survey; `mood` (0-1) keeps their scale answers consistent."""

    def __init__(self, survey: Survey, rng: random.Random, contact: Contact | None, complete: bool) -> None:
        self.survey = survey
        self.rng = rng
        self.contact = contact
        self.mood = rng.betavariate(4, 2)
        self.values: dict[str, Any] = {}
        self.labels: dict[str, Any] = {}
        self.embedded: dict[str, Any] = {}
        self.displayed: list[str] = []
        self.displayed_values: dict[str, list[Any]] = {}
        self.display_order: dict[str, list[str]] = {}
        total = len(definitions.question_order(survey))
        # A partial response is abandoned after some of the questions.
        self.remaining = total if complete or total < 2 else rng.randint(1, total - 1)
        self.shown = 0
        self.total = max(total, 1)

    def run(self, flow: list[dict[str, Any]]) -> bool:
        """Go through flow elements; False once the respondent has stopped."""
        for element in flow:
            kind = element.get("Type")
            if kind in definitions.BLOCK_FLOW_TYPES:
                block = self.survey.blocks.get(element.get("ID", ""))
                if block is not None and not self._block(block):
                    return False
            elif kind == "BlockRandomizer":
                inner = list(element.get("Flow") or [])
                self.rng.shuffle(inner)
                subset = element.get("SubSet")
                if isinstance(subset, int) and 0 < subset < len(inner):
                    inner = inner[:subset]
                names = [self.survey.blocks.get(e.get("ID", ""), {}).get("Description", e.get("ID", ""))
                         for e in inner]
                self.display_order[str(element.get("FlowID"))] = [str(name) for name in names]
                if not self.run(inner):
                    return False
            elif kind == "EmbeddedData":
                self._embedded(element)
            elif kind == "EndSurvey" or (isinstance(element.get("Flow"), list) and not self.run(element["Flow"])):
                return False
        return True

    def _embedded(self, element: dict[str, Any]) -> None:
        for item in element.get("EmbeddedData") or []:
            name = item.get("Field")
            if not name or name in self.embedded:
                continue
            given = self.contact.embedded.get(name) if self.contact is not None else None
            if given is None and item.get("Value"):
                given = item["Value"]
            if given is None and name in EMBEDDED_POOLS:
                given = self.rng.choice(EMBEDDED_POOLS[name])
            self.embedded[name] = "" if given is None else str(given)

    def _block(self, block: dict[str, Any]) -> bool:
        for qid in definitions.block_questions(block):
            question = self.survey.questions.get(qid)
            if question is None:
                continue
            if self.shown >= self.remaining:
                return False
            if not questions.shows(question, self.values):
                continue
            self.shown += 1
            self._question(qid, question)
        return True

    def _scale_index(self, size: int) -> int:
        index = round(self.mood * (size - 1) + self.rng.gauss(0, 0.7))
        return max(0, min(size - 1, index))

    def _answers(self, question: dict[str, Any]) -> bool:
        return questions.is_required(question) or self.rng.random() < 0.85

    def _question(self, qid: str, question: dict[str, Any]) -> None:
        shape = questions.kind(question)
        choice_ids = questions.choice_ids(question)
        if question.get("Randomization") and choice_ids:
            choice_ids = list(choice_ids)
            self.rng.shuffle(choice_ids)
            self.display_order[qid] = choice_ids
        if shape in ("single", "nps", "multi"):
            self.displayed.append(qid)
            self.displayed_values[qid] = [questions.recode(question, c) for c in choice_ids]
            if not self._answers(question):
                return
            if shape == "multi":
                picked = self.rng.sample(choice_ids, self.rng.randint(1, min(3, len(choice_ids))))
                ordered = [c for c in questions.choice_ids(question) if c in picked]
                self.values[qid] = [questions.recode(question, c) for c in ordered]
                self.labels[qid] = [questions.choice_text(question, c) for c in ordered]
                return
            scale = questions.choice_ids(question)
            choice = scale[self._scale_index(len(scale))]
            self.values[qid] = questions.recode(question, choice)
            self.labels[qid] = questions.choice_text(question, choice)
            if shape == "nps" and isinstance(self.values[qid], int):
                group = questions.nps_group(self.values[qid])
                self.values[f"{qid}_NPS_GROUP"] = group
                self.labels[f"{qid}_NPS_GROUP"] = questions.NPS_GROUPS[group]
        elif shape == "matrix":
            scale = questions.choice_ids(question, scale=True)
            for statement in questions.choice_ids(question):
                key = f"{qid}_{statement}"
                self.displayed.append(key)
                self.displayed_values[key] = [questions.recode(question, a, scale=True) for a in scale]
                if questions.is_required(question) or self.rng.random() < 0.92:
                    answer = scale[self._scale_index(len(scale))]
                    self.values[key] = questions.recode(question, answer, scale=True)
                    self.labels[key] = questions.choice_text(question, answer, scale=True)
        elif shape == "text":
            key = f"{qid}_TEXT"
            self.displayed.append(key)
            if self._answers(question):
                self.values[key] = self.rng.choice(REASONS if question.get("DisplayLogic") else COMMENTS)
        elif shape == "slider":
            for choice in questions.choice_ids(question):
                key = f"{qid}_{choice}"
                self.displayed.append(key)
                if self._answers(question):
                    self.values[key] = round(self.mood * 100)


def _metadata(rng: random.Random, response_id: str, started: datetime, ended: datetime, recorded: datetime | None,
              contact: Contact | None, channel: str, progress: int, finished: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "startDate": dates.iso(started),
        "endDate": dates.iso(ended),
        "status": 0,
        "ipAddress": f"203.0.113.{rng.randint(1, 254)}",
        "progress": progress,
        "duration": int((ended - started).total_seconds()),
        "finished": 1 if finished else 0,
        "recordedDate": dates.iso(recorded),
        "_recordId": response_id,
        "locationLatitude": f"{rng.uniform(25, 55):.4f}",
        "locationLongitude": f"{rng.uniform(-120, 20):.4f}",
        "distributionChannel": channel,
        "userLanguage": "EN",
    }
    if recorded is None:
        del values["recordedDate"]
    if contact is not None:
        values.update({
            "recipientFirstName": contact.get("firstName") or "",
            "recipientLastName": contact.get("lastName") or "",
            "recipientEmail": contact.get("email") or "",
            "externalDataReference": contact.get("extRef") or "",
        })
    return values


def generate(survey: Survey, ids: IdFactory, *, finished: datetime, rng: random.Random,
             contact: Contact | None = None, lookup_id: str | None = None, distribution_id: str | None = None,
             channel: str = "anonymous", complete: bool = True, in_progress: bool = False) -> Response:
    """A response following the survey's definition (not stored; see `store`)."""
    response_id = ids.make("R")
    started = finished - timedelta(seconds=rng.randint(60, 900))
    answering = _Answering(survey, rng, contact, complete and not in_progress)
    answering.run(survey.flow)
    done = complete and not in_progress
    progress = 100 if done else max(1, min(99, round(100 * answering.shown / answering.total)))
    values = _metadata(rng, response_id, started, finished, None if in_progress else finished, contact, channel,
                       progress, done)
    values.update(answering.values)
    labels = {"status": STATUS_LABELS[0], "finished": "True" if done else "False", **answering.labels}
    return Response(
        id=response_id, survey_id=survey.id, recorded=finished, started=started, values=values, labels=labels,
        distribution_id=distribution_id, contact_id=contact.id if contact else None, lookup_id=lookup_id,
        embedded=answering.embedded, displayed=answering.displayed, displayed_values=answering.displayed_values,
        display_order=answering.display_order,
    )


def record(
    survey: Survey,
    ids: IdFactory,
    *,
    finished: datetime,
    rng: random.Random,
    contact: Contact | None = None,
    lookup_id: str | None = None,
    distribution_id: str | None = None,
    channel: str = "anonymous",
    complete: bool = True,
) -> Response:
    """Generate a response and record it."""
    response = generate(survey, ids, finished=finished, rng=rng, contact=contact, lookup_id=lookup_id,
                        distribution_id=distribution_id, channel=channel, complete=complete)
    store(survey, response)
    return response


def store(survey: Survey, response: Response) -> None:
    """Record a response: it joins the survey's responses, its quotas count it, and exports see it as new."""
    response.sequence = response.modified_sequence = survey.next_sequence()
    survey.in_progress.pop(response.id, None)
    survey.responses[response.id] = response
    count_quotas(survey, response)


def touch(survey: Survey, response: Response, now: datetime, reset_recorded_date: bool = False) -> None:
    """Mark a recorded response as changed (for `sortByLastModifiedDate` and continuation exports).

    With `reset_recorded_date` it also counts as recorded now, as Qualtrics' `resetRecordedDate` does.
    """
    response.modified = now
    response.modified_sequence = survey.next_sequence()
    if reset_recorded_date:
        response.recorded = now
        response.values["recordedDate"] = dates.iso(now)
        response.sequence = response.modified_sequence


def delete(survey: Survey, response: Response, decrement_quotas: bool) -> None:
    del survey.responses[response.id]
    survey.deleted_responses += 1
    if decrement_quotas:
        for quota_id in response.quota_ids:
            quota = survey.quotas.get(quota_id)
            if quota is not None:
                quota.count = max(0, quota.count - 1)
                for combination in quota.combinations:
                    if logic.all_hold(combination.conditions, response):
                        combination.count = max(0, combination.count - 1)


def count_quotas(survey: Survey, response: Response) -> None:
    if not response.finished:
        return
    for quota in survey.quotas.values():
        if quota.logic_type == "Cross":
            matched = [c for c in quota.combinations if logic.all_hold(c.conditions, response)]
            for combination in matched:
                combination.count += 1
            hit = bool(matched)
        else:
            hit = logic.all_hold(quota.conditions, response)
        if hit:
            quota.count += 1
            response.quota_ids.append(quota.id)


def announce(state: State, brand: Brand, survey: Survey, response: Response, source: str) -> None:
    """Tell the state's hooks that a response was recorded (see sandbox.hooks)."""
    state.hooks.recorded(brand, survey, response, source)


# --- the API's shape -----------------------------------------------------------------------------
def as_api(survey: Survey, response: Response) -> dict[str, Any]:
    values = dict(response.values)
    values.update(response.embedded)
    return {
        "responseId": response.id,
        "values": values,
        "labels": dict(response.labels),
        "displayedFields": list(response.displayed),
        "displayedValues": {key: list(shown) for key, shown in response.displayed_values.items()},
    }


# --- responses given by a client (create, import) ------------------------------------------------
def from_values(survey: Survey, ids: IdFactory, given: dict[str, Any], now: datetime, *, source: str,
                time_zone: Any = None) -> Response:
    """A response from the values a client sends (POST …/responses, or one row of an import).

    Question answers may be recodes or choice texts; metadata dates may be ISO 8601 or `YYYY-MM-DD HH:MM:SS`
    (read in `time_zone` when given); any other key becomes embedded data.
    """
    response_id = ids.make("R")
    values: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    embedded: dict[str, Any] = {}
    answered: set[str] = set()
    for key, value in given.items():
        if value is None or value == "" or key in ("_recordId", "responseId", "ResponseId"):
            continue
        if key in METADATA_KEYS or key == "externalReference":
            values["externalDataReference" if key == "externalReference" else key] = _metadata_value(
                key, value, time_zone)
            continue
        checked = questions.check_answer(survey.questions, key, value)
        if checked is None:
            if key.endswith("_NPS_GROUP") and key[: -len("_NPS_GROUP")] in survey.questions:
                continue
            if isinstance(value, (dict, list)):
                raise bad_request(f"Embedded data field {key} must be a string")
            embedded[key] = str(value)
            continue
        qid, answer, label = checked
        values[key] = answer
        if label is not None:
            labels[key] = label
        answered.add(qid)
        question = survey.questions[qid]
        if questions.kind(question) == "nps" and isinstance(answer, int):
            group = questions.nps_group(answer)
            values[f"{qid}_NPS_GROUP"] = group
            labels[f"{qid}_NPS_GROUP"] = questions.NPS_GROUPS[group]
    finished = bool(values.get("finished", 1))
    start = dates.parse(values.get("startDate")) or now
    end = dates.parse(values.get("endDate")) or now
    recorded = dates.parse(values.get("recordedDate")) or end
    values.setdefault("status", 4 if source == "import" else 0)
    values.setdefault("progress", 100 if finished else 0)
    values["finished"] = 1 if finished else 0
    values.setdefault("duration", max(0, int((end - start).total_seconds())))
    values.setdefault("distributionChannel", "imported" if source == "import" else "anonymous")
    values.setdefault("userLanguage", survey.language)
    values.update({"startDate": dates.iso(start), "endDate": dates.iso(end), "recordedDate": dates.iso(recorded),
                   "_recordId": response_id})
    labels["status"] = STATUS_LABELS.get(values["status"], str(values["status"]))
    labels["finished"] = "True" if finished else "False"
    displayed: list[str] = []
    displayed_values: dict[str, list[Any]] = {}
    for qid in definitions.question_order(survey):
        if qid not in answered:
            continue
        question = survey.questions[qid]
        for column in questions.columns(qid, question):
            key = questions.seen_key(column)
            if key not in displayed and column.kind != "group":
                displayed.append(key)
        if questions.kind(question) in ("single", "nps", "multi"):
            displayed_values[qid] = [questions.recode(question, c) for c in questions.choice_ids(question)]
    return Response(
        id=response_id, survey_id=survey.id, recorded=recorded, started=start, values=values, labels=labels,
        embedded=embedded, displayed=displayed, displayed_values=displayed_values,
    )


def _metadata_value(key: str, value: Any, time_zone: Any) -> Any:
    if key in DATE_KEYS:
        moment = dates.parse(value) if time_zone is None else dates.parse_in_zone(value, time_zone)
        if moment is None:
            raise bad_request(f"{key} is not a valid date: {value!r}")
        return dates.iso(moment)
    if key in ("status", "progress", "duration", "finished"):
        if key == "status" and value in STATUS_LABELS.values():
            return next(code for code, label in STATUS_LABELS.items() if label == value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return int(value.strip().lower() == "true")
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise bad_request(f"{key} must be a number") from None
    return str(value)
