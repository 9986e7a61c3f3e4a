"""Survey responses: their values, labels and how they are recorded."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from . import dates
from .ids import IdFactory
from .records import Contact, Response, Survey

COMMENTS = (
    "Quick and friendly support.",
    "The new dashboard is much easier to use.",
    "Delivery took longer than promised.",
    "Great value for the price.",
    "Please add more export options.",
    "The onboarding call was really helpful.",
    "Billing was confusing this month.",
    "",
)


def build_values(
    survey: Survey,
    rng: random.Random,
    started: datetime,
    finished: datetime,
    contact: Contact | None,
    response_id: str,
    channel: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {
        "startDate": dates.iso(started),
        "endDate": dates.iso(finished),
        "status": 0,
        "ipAddress": f"203.0.113.{rng.randint(1, 254)}",
        "progress": 100,
        "duration": int((finished - started).total_seconds()),
        "finished": 1,
        "recordedDate": dates.iso(finished),
        "_recordId": response_id,
        "locationLatitude": f"{rng.uniform(25, 55):.4f}",
        "locationLongitude": f"{rng.uniform(-120, 20):.4f}",
        "distributionChannel": channel,
        "userLanguage": "EN",
    }
    labels: dict[str, Any] = {"status": "IP Address", "finished": "True"}
    if contact is not None:
        values.update(
            {
                "recipientFirstName": contact.get("firstName") or "",
                "recipientLastName": contact.get("lastName") or "",
                "recipientEmail": contact.get("email") or "",
                "externalDataReference": contact.get("extRef") or "",
            }
        )
    for qid, question in survey.questions.items():
        kind = question["questionType"]["type"]
        if kind == "TE":
            values[f"{qid}_TEXT"] = rng.choice(COMMENTS)
            continue
        choices = question["choices"]
        choice_id = rng.choice(list(choices))
        values[qid] = int(choices[choice_id]["recode"])
        labels[qid] = choices[choice_id]["description"]
    return values, labels


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
) -> Response:
    response_id = ids.make("R")
    started = finished - timedelta(seconds=rng.randint(60, 900))
    values, labels = build_values(survey, rng, started, finished, contact, response_id, channel)
    response = Response(
        id=response_id,
        survey_id=survey.id,
        recorded=finished,
        started=started,
        values=values,
        labels=labels,
        distribution_id=distribution_id,
        contact_id=contact.id if contact else None,
        lookup_id=lookup_id,
    )
    survey.responses[response.id] = response
    return response


def as_api(survey: Survey, response: Response) -> dict[str, Any]:
    displayed_values = {
        qid: [int(choice["recode"]) for choice in question["choices"].values()]
        for qid, question in survey.questions.items()
        if question["questionType"]["type"] != "TE"
    }
    return {
        "responseId": response.id,
        "values": dict(response.values),
        "labels": dict(response.labels),
        "displayedFields": list(survey.questions),
        "displayedValues": displayed_values,
    }
