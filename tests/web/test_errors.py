"""The one error path: how an error is explained, shown on a form, and answered when it escapes a view."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from connections.crypto import TokenDecryptionError
from qualtrics.errors import NotFoundError, PermissionDeniedError
from web.errors import (
    ExplainableError,
    ExplainErrorsMiddleware,
    error_response,
    error_text,
    explain,
    explained,
    handles_errors,
)
from web.forms import PortalForm, add_service_error

HTMX = {"HTTP_HX_REQUEST": "true"}


def denied():
    return PermissionDeniedError("Not allowed", status=403, code="AUTH_1", request_id="req-7")


class NameForm(PortalForm):
    name = forms.CharField()


def request(**headers):
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    made = RequestFactory().get("/somewhere/", **headers)
    made.htmx = HtmxDetails(made)
    made.user = AnonymousUser()
    return made


class TestExplain:
    def test_a_qualtrics_error_names_what_failed_and_what_qualtrics_said(self):
        error = explain(denied())
        assert error["title"] == "The connection's Qualtrics user may not do this"
        assert (error["message"], error["source"], error["code"], error["request_id"], error["status"]) == (
            "Not allowed", "Qualtrics", "AUTH_1", "req-7", 403)
        assert error_text(error) == (
            "The connection's Qualtrics user may not do this. Qualtrics said: “Not allowed” (AUTH_1) · request id req-7"
        )

    def test_the_portals_own_errors_give_their_title_and_hint_and_are_not_put_in_qualtrics_mouth(self):
        class Refused(ExplainableError):
            title = "The portal refused"
            hint = "Try something else."

        error = explain(Refused("Because of a rule"))
        assert (error["title"], error["hint"], error["message"], error["source"]) == (
            "The portal refused", "Try something else.", "Because of a rule", "")
        assert error_text(error) == "The portal refused. Because of a rule"
        assert explain(TokenDecryptionError("no key fits"))["title"] == "The saved API token cannot be read"


class TestExplained:
    def test_it_hands_back_the_value_or_the_explanation(self):
        assert explained(lambda a, b=0: a + b, 2, b=3) == (5, None)

        def fails():
            raise NotFoundError("gone", status=404)

        value, error = explained(fails)
        assert value is None and error["title"] == "Qualtrics could not find it"
        value, error = explained(fails, explain=lambda exc: {"title": "mine"})
        assert error == {"title": "mine"}

    def test_other_errors_are_not_its_business(self):
        with pytest.raises(ZeroDivisionError):
            explained(lambda: 1 / 0)


class TestServiceErrorsOnForms:
    def test_field_errors_go_on_their_fields_and_the_rest_above_the_form(self):
        form = NameForm({"name": "Ann"})
        assert form.is_valid()
        add_service_error(form, ValidationError({"name": "Taken.", "elsewhere": "Not a field here."}))
        assert form.errors["name"] == ["Taken."] and form.non_field_errors() == ["Not a field here."]
        assert "is-invalid" in form.fields["name"].widget.attrs["class"]
        assert form.fields["name"].widget.attrs["aria-invalid"] == "true"

    def test_a_message_for_no_field_and_an_explainable_error_go_above_the_form(self):
        form = NameForm({"name": "Ann"})
        assert form.is_valid()
        add_service_error(form, ValidationError("No."))
        add_service_error(form, denied())
        add_service_error(form, denied(), explain=lambda exc: {"title": "Not an administrator", "message": ""})
        assert form.non_field_errors() == [
            "No.",
            error_text(explain(denied())),
            "Not an administrator",
        ]


class TestResponses:
    def test_a_page_of_its_own_or_for_htmx_a_toast_or_the_alert_in_place(self, db):
        page = error_response(request(), explain(denied()), context={"back_url": "/back/", "back_label": "Back"})
        html = page.content.decode()
        assert page.status_code == 502 and "<html" in html and 'data-testid="qualtrics-error"' in html
        assert 'href="/back/"' in html and "request id" in html

        toast = error_response(request(**HTMX), explain(denied()))
        assert toast.status_code == 200 and "<html" not in toast.content.decode()
        assert (toast["HX-Retarget"], toast["HX-Reswap"]) == ("#toasts", "beforeend")

        in_place = error_response(request(**HTMX), {**explain(denied()), "kind": "not-admin", "tone": "warning"},
                                  in_place=True)
        assert "HX-Retarget" not in in_place
        assert 'data-testid="not-admin"' in in_place.content.decode() and "alert-warning" in in_place.content.decode()

    def test_the_middleware_answers_what_escapes_a_view_and_leaves_other_errors(self, db):
        middleware = ExplainErrorsMiddleware(lambda r: None)
        assert middleware.process_exception(request(), ZeroDivisionError()) is None
        assert middleware.process_exception(request(), denied()).status_code == 502
        assert middleware.process_exception(request(**HTMX), denied())["HX-Retarget"] == "#toasts"

    def test_a_function_view_may_answer_its_own_errors(self):
        @handles_errors(lambda req, exc, **kwargs: (type(exc).__name__, kwargs))
        def view(req, *, item_id):
            raise denied()

        assert view(request(), item_id="7") == ("PermissionDeniedError", {"item_id": "7"})
