"""Fixtures for event subscriptions: the sandbox connection's personas, a survey of it, and posting events to the
receiver as Qualtrics does (form-encoded, HMAC-SHA512 signed)."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest
import requests
from django.urls import reverse

from connections.qualtrics_client import connection_client
from subscriptions import services
from subscriptions.models import Subscription, Topic


def signed_form(key: str, message: dict | str, topic: str, *, signature: str | None = None) -> bytes:
    text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
    form = {"Topic": topic, "MSG": text}
    form["HMAC"] = hmac.new(key.encode(), text.encode(), hashlib.sha512).hexdigest() if signature is None else signature
    if form["HMAC"] == "":
        del form["HMAC"]
    return urlencode(form).encode()


class Subs:
    """The sandbox connection's personas and helpers around its subscriptions."""

    def __init__(self, personas):
        self.personas = personas
        self.connection = personas.connection
        self.sandbox = personas.sandbox
        surveys = list(connection_client(self.connection, audit=False).surveys.list().iter_all())
        self.survey = next(s for s in surveys if s.get("isActive")) if any(s.get("isActive") for s in surveys) \
            else surveys[0]
        self.survey_id = self.survey["id"]

    def __getattr__(self, name):
        return getattr(self.personas, name)

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"subscriptions:{name}", kwargs={"connection_id": self.connection.pk, **kwargs})

    def create(self, kind: str = Topic.COMPLETED, fields: str = "QID1") -> Subscription:
        return services.subscription_create(connection=self.connection, actor=self.owner, kind=kind,
                                            survey_id=self.survey_id, survey_name=self.survey["name"],
                                            answer_fields=fields)

    def qualtrics_subscriptions(self) -> list[dict]:
        return list(connection_client(self.connection, audit=False).event_subscriptions.list().iter_all())

    def message(self, response_id: str = "R_abc123", status: str = "Complete") -> dict:
        return {"Status": status, "SurveyID": self.survey_id, "ResponseID": response_id,
                "CompletedDate": "2026-12-05 12:00:00", "BrandID": "acme"}

    def topic(self) -> str:
        return f"acme.surveyengine.completedResponse.{self.survey_id}"

    def post(self, client, subscription: Subscription, message=None, *, signature=None, topic=None, **extra):
        body = signed_form(services.shared_key(subscription), message or self.message(), topic or self.topic(),
                           signature=signature)
        return client.post(f"/hooks/qualtrics/{subscription.receiver_id}/", data=body,
                           content_type="application/x-www-form-urlencoded", **extra)

    def record_response(self, *, finished: bool = True) -> dict:
        answer = requests.post(f"{self.sandbox.root_url}/_sandbox/responses",
                               json={"surveyId": self.survey_id, "finished": finished}, timeout=30)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture
def subs(sandbox_personas) -> Subs:
    return Subs(sandbox_personas)
