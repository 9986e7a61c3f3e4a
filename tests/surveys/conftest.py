"""Fixtures for the survey screens: personas around the sandbox's acme connection and its demo surveys."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connections.qualtrics_client import connection_client


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Demo:
    """The acme brand's demo surveys, by role in the tests."""

    csat: dict  # active, with quotas, filters and 25 recorded responses
    onboarding: dict  # active, owned by another user
    archived: dict  # inactive

    @property
    def all(self) -> list[dict]:
        return [self.csat, self.onboarding, self.archived]


@pytest.fixture
def team(sandbox_personas):
    """Personas around the sandbox's acme connection (brand-admin token); `team.sandbox` is the sandbox."""
    return sandbox_personas


@pytest.fixture
def qualtrics(team):
    """A client on the sandbox's acme brand (no audit), for arranging and checking what Qualtrics holds."""
    return connection_client(team.connection, audit=False)


@pytest.fixture
def demo(qualtrics) -> Demo:
    by_name = {s["name"]: s for s in qualtrics.surveys.list().iter_all()}
    return Demo(by_name["Customer Satisfaction 2025"], by_name["Onboarding Pulse"],
                by_name["Product Feedback (archived)"])


def url(name: str, connection, **kwargs) -> str:
    return reverse(f"surveys:{name}", kwargs={"connection_id": connection.pk, **kwargs})


def qsf_document(qualtrics, survey_id: str) -> dict:
    return qualtrics.survey_definitions.export_qsf(survey_id)


def qsf_upload(document, name: str = "survey.qsf", content_type: str = "application/octet-stream"):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, data, content_type=content_type)


def writes(sandbox) -> list[dict]:
    """Every write the sandbox received."""
    return [c for c in sandbox.calls() if c["method"] in ("POST", "PUT", "DELETE")]


__all__ = ["Demo", "qsf_document", "qsf_upload", "url", "writes"]
