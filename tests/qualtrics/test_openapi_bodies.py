"""Our request bodies against the request schemas of the shared Qualtrics spec files.

Bodies for routes the client has no method for are checked, then sent to the sandbox over HTTP.
"""

from __future__ import annotations

import jsonschema
import pytest

from .fakes import envelope
from .spec import openapi3_request_schema, strict, swagger2_request_schema, validate

D = "POOL_123456789012345"
ML = "CG_123456789012345"
SV = "SV_123456789012345"

SCHEMAS = [openapi3_request_schema, swagger2_request_schema]


def sent_body(client, transport, method, path, call):
    transport.on(method, path, envelope({"id": "X_1"}))
    call(client)
    return transport.sent[-1].body


@pytest.mark.parametrize("load", SCHEMAS)
class TestAgainstTheSpec:
    def test_link_generation(self, http, acme, load):
        schema = load("POST", "/distributions")
        body = {
            "action": "CreateDistribution",
            "surveyId": acme["surveys"][0]["id"],
            "linkType": "Individual",
            "description": "Wave 1",
            "expirationDate": "2031-01-21 00:00:00",
            "mailingListId": acme["mailingLists"][0]["id"],
        }
        validate(strict(schema), body)
        assert body["action"] == schema["properties"]["action"]["default"]
        assert http.ok("POST", "/distributions", body)["id"].startswith("EMD_")

    def test_email_distribution(self, client, transport, load):
        body = sent_body(
            client,
            transport,
            "POST",
            "/distributions",
            lambda c: c.distributions.create(
                message={"libraryId": "UR_1", "messageId": "MS_1"},
                recipients={"mailingListId": ML},
                header={"fromEmail": "a@b.c", "fromName": "A", "subject": "S"},
                survey_link={"surveyId": SV, "type": "Individual"},
                send_date="2031-01-01T00:00:00Z",
            ),
        )
        validate(load("POST", "/distributions"), body)

    def test_contact_in_mailing_list(self, client, transport, load):
        schema = load("POST", "/directories/{d}/mailinglists/{m}/contacts")
        path = f"/directories/{D}/mailinglists/{ML}/contacts"
        named_only = sent_body(
            client,
            transport,
            "POST",
            path,
            lambda c: c.mailing_lists.members.create(
                D, ML, first_name="Ada", last_name="Lovelace", email="ada@example.com", unsubscribed=False
            ),
        )
        validate(strict(schema), named_only)
        full = sent_body(
            client,
            transport,
            "POST",
            path,
            lambda c: c.mailing_lists.members.create(
                D, ML, first_name="Ada", email="ada@example.com", ext_ref="e1", embedded_data={"k": "v"}
            ),
        )
        validate(schema, full)

    def test_event_subscription(self, http, acme, load):
        schema = load("POST", "/eventsubscriptions")
        body = {
            "topics": f"surveyengine.completedResponse.{acme['surveys'][0]['id']}",
            "publicationUrl": "https://hooks.acme.test/q",
            "encrypt": False,
        }
        validate(strict(schema), body)
        with_key = {
            "topics": "surveyengine.completedResponse.*",
            "publicationUrl": "https://h.acme.test",
            "encrypt": False,
            "sharedKey": "s3cret",
        }
        validate(schema, with_key)
        for sent in (body, with_key):
            assert http.ok("POST", "/eventsubscriptions", sent)["id"].startswith("SUB_")

    def test_the_check_is_not_vacuous(self, load):
        schema = load("POST", "/directories/{d}/mailinglists/{m}/contacts")
        with pytest.raises(jsonschema.ValidationError):
            validate(schema, {"unsubscribed": "no"})
        with pytest.raises(jsonschema.ValidationError):
            validate(strict(schema), {"FirstName": "Ada"})
