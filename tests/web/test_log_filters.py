"""Refused requests are logged on one line; server errors keep their traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from django.urls import reverse

from web.log_filters import RefusalsOnOneLine

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_role_too_low_is_logged_on_one_line_without_a_traceback(personas, login, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = login(personas.viewer).get(reverse("connections:connection_edit", args=[personas.connection.pk]))
    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.exc_info is None and "Forbidden" in record.getMessage()
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failure = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", (),
                                    sys.exc_info())
    failure.status_code = 500
    assert RefusalsOnOneLine().filter(failure) and failure.exc_info is not None
