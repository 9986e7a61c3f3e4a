"""Our request bodies against the request schemas in ``schemas/`` (written from docs/qualtrics-api.md).

The bodies come from the client, and for distributions and contact imports from the product code that
builds them, so a misspelt key, a missing one or a forbidden combination fails here before Qualtrics
refuses it with RP_9 or RP_10.
"""

from __future__ import annotations

import datetime

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from qualtrics import InvalidResponseError

from .fakes import envelope
from .spec import request_schema, schema_names, validate

D = "POOL_123456789012345"
ML = "CG_123456789012345"
SV = "SV_123456789012345"

# Valid bodies, each spoilt one way in TestTheSchemas.
LIBRARY_MESSAGE = {"libraryId": "UR_123456789012345", "messageId": "MS_123456789012345"}
HEADER = {"fromEmail": "survey@acme.test", "fromName": "Acme", "subject": "Tell us"}
EMAIL = {"message": LIBRARY_MESSAGE, "recipients": {"mailingListId": ML}, "header": HEADER,
         "surveyLink": {"surveyId": SV, "type": "Individual"}, "sendDate": "2031-01-01T00:00:00Z"}
LINKS = {"action": "CreateDistribution", "surveyId": SV, "linkType": "Individual", "description": "Wave 1",
         "mailingListId": ML}
FOLLOW_UP = {"header": HEADER, "message": LIBRARY_MESSAGE, "sendDate": "2031-01-01T00:00:00Z"}
SMS_INVITE = {"surveyId": SV, "name": "Spring", "sendDate": "2031-01-01T00:00:00Z", "method": "Invite",
              "message": {"messageText": "Hi"}, "recipients": {"mailingListId": ML}}
SMS_REMINDER = {"surveyId": SV, "name": "Spring", "sendDate": "2031-01-01T00:00:00Z", "method": "Reminder",
                "message": LIBRARY_MESSAGE, "parentDistributionId": "SMSD_123456789012345"}


def sent_body(client, transport, method, path, call):
    transport.on(method, path, envelope({"id": "X_1"}))
    call(client)
    return transport.sent[-1].body


class TestClientBodies:
    def test_link_generation(self, http, acme):
        # No product code generates links yet: the body a client would send is checked, then sent.
        body = {
            "action": "CreateDistribution",
            "surveyId": acme["surveys"][0]["id"],
            "linkType": "Individual",
            "description": "Wave 1",
            "expirationDate": "2031-01-21 00:00:00",
            "mailingListId": acme["mailingLists"][0]["id"],
        }
        validate(request_schema("distribution_links"), body)
        assert http.ok("POST", "/distributions", body)["id"].startswith("EMD_")

    def test_email_distribution(self, client, transport):
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
        validate(request_schema("email_distribution"), body)

    def test_contact_in_mailing_list(self, client, transport):
        schema = request_schema("mailing_list_contact")
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
        validate(schema, named_only)
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

    def test_event_subscription(self, http, acme):
        schema = request_schema("event_subscription")
        body = {
            "topics": f"surveyengine.completedResponse.{acme['surveys'][0]['id']}",
            "publicationUrl": "https://hooks.acme.test/q",
            "encrypt": False,
        }
        with_key = {**body, "topics": "surveyengine.completedResponse.*", "sharedKey": "s3cret"}
        for sent in (body, with_key):
            validate(schema, sent)
            assert http.ok("POST", "/eventsubscriptions", sent)["id"].startswith("SUB_")

    def test_the_check_is_not_vacuous(self):
        schema = request_schema("mailing_list_contact")
        with pytest.raises(jsonschema.ValidationError):
            validate(schema, {"unsubscribed": "no"})
        with pytest.raises(jsonschema.ValidationError):
            validate(schema, {"FirstName": "Ada"})

    def test_directory_contact_and_search(self, client, transport):
        body = sent_body(
            client,
            transport,
            "POST",
            f"/directories/{D}/contacts",
            lambda c: c.contacts.create(
                D, first_name="Ada", email="ada@example.com", ext_ref="e1", embedded_data={"Plan": "gold"}
            ),
        )
        validate(request_schema("directory_contact"), body)
        transport.on("POST", f"/directories/{D}/contacts/search", envelope({"elements": [], "skipToken": None}))
        client.contacts.search(D, filter={"filterType": "extRef", "comparison": "eq", "value": "e1"})
        validate(request_schema("contact_search"), transport.sent[-1].body)

    def test_mailing_list(self, client, transport):
        body = sent_body(
            client,
            transport,
            "POST",
            f"/directories/{D}/mailinglists",
            lambda c: c.mailing_lists.create(D, name="Panel", owner_id="GR_123456789012345"),
        )
        validate(request_schema("mailing_list"), body)

    def test_user_group_and_member(self, client, transport):
        user = sent_body(
            client,
            transport,
            "POST",
            "/users",
            lambda c: c.users.create(
                username="ada#acme", first_name="Ada", last_name="Lovelace", user_type="UT_123456789012345",
                email="ada@example.com", password="s3cret-Pass", time_zone="Europe/London",
            ),
        )
        validate(request_schema("user"), user)
        group = sent_body(
            client, transport, "POST", "/groups", lambda c: c.groups.create(group_type="GT_1", name="Analysts")
        )
        validate(request_schema("group"), group)
        member = sent_body(
            client,
            transport,
            "POST",
            "/groups/{g}/members",
            lambda c: c.groups.members.add("GR_123456789012345", user_id="UR_123456789012345"),
        )
        validate(request_schema("group_member"), member)


class TestProductBodies:
    """What the portal really sends: the bodies its own builders make, through the client."""

    SEND_DATE = datetime.datetime(2031, 1, 1, 9, 30, tzinfo=datetime.UTC)

    @staticmethod
    def composed(channel, kind):
        from distributions.models import Channel, Distribution, Kind

        fields = {"name": "Spring wave", "survey_id": SV, "library_id": "UR_123456789012345",
                  "message_id": "MS_123456789012345", "embedded_data": {"Wave": "spring"}}
        if channel == Channel.EMAIL:
            fields.update(from_email="survey@acme.test", from_name="Acme", subject="Tell us")
        if kind in (Kind.INVITE, Kind.INTERACTIVE):
            fields.update(mailing_list_id=ML, contact_lookup_id="CGC_123456789012345",
                          link_expires_at=datetime.datetime(2031, 2, 1, tzinfo=datetime.UTC))
            if channel == Channel.EMAIL:
                fields["link_type"] = "Individual"
        else:
            parent_id = "SMSD_123456789012345" if channel == Channel.SMS else "EMD_123456789012345"
            fields["parent"] = Distribution(channel=channel, kind=Kind.INVITE, qualtrics_id=parent_id)
        if kind == Kind.INTERACTIVE:
            fields.update(library_id="", message_id="")
        return Distribution(channel=channel, kind=kind, **fields)

    @pytest.mark.parametrize(
        ("channel", "kind", "path", "schema"),
        [
            ("email", "invite", "/distributions", "email_distribution"),
            ("email", "reminder", "/distributions/{p}/reminders", "follow_up_distribution"),
            ("email", "thankyou", "/distributions/{p}/thankyous", "follow_up_distribution"),
            ("sms", "invite", "/distributions/sms", "sms_distribution"),
            ("sms", "interactive", "/distributions/sms", "sms_distribution"),
            ("sms", "reminder", "/distributions/sms", "sms_distribution"),
            ("sms", "thankyou", "/distributions/sms", "sms_distribution"),
        ],
    )
    def test_distribution(self, client, transport, channel, kind, path, schema):
        from distributions import payloads

        d = self.composed(channel, kind)
        body = sent_body(client, transport, "POST", path,
                         lambda c: payloads.create_in_qualtrics(c, d, self.SEND_DATE))
        validate(request_schema(schema), body)
        assert body["sendDate"] == "2031-01-01T09:30:00Z"

    def test_contact_import(self, client, transport):
        from contacts import csvimport

        checker = csvimport.RowChecker(
            ["Email", "First name", "External reference", "Plan"],
            ["email", "firstName", "extRef", csvimport.EMBEDDED],
            phone_region="GB",
        )
        contacts = [checker.check(2, ["ada@example.com", "Ada", "e1", "gold"]).contact,
                    checker.check(3, ["alan@example.com", "Alan", "e2", ""]).contact]
        body = sent_body(client, transport, "POST", f"/directories/{D}/mailinglists/{ML}/transactioncontacts",
                         lambda c: c.contact_imports.start(D, ML, contacts=contacts))
        validate(request_schema("transaction_contacts_import"), body)
        assert body["contacts"][0]["embeddedData"] == {"Plan": "gold"}


    def test_contact_transaction(self, client, transport):
        from contacts.transaction_forms import TransactionForm

        form = TransactionForm({"mailing_list_id": ML, "date": "2031-01-01T10:30", "data": "OrderId = ORD-1"},
                               mailing_lists=[(ML, "List")], batches=[])
        assert form.is_valid(), form.errors
        transport.on("POST", f"/directories/{D}/transactions",
                     envelope({"createdTransactions": {}, "unprocessedTransactions": {}}))
        with pytest.raises(InvalidResponseError):  # an answer that names neither a created nor a refused one
            client.transactions.create_one(D, contact_id="CID_123456789012345", mailing_list_id=ML,
                                           date=form.cleaned_data["date"], data=form.cleaned_data["data"])
        body = transport.sent[-1].body
        validate(request_schema("transactions"), body)
        [entry] = body.values()
        assert entry["transactionDate"] == "2031-01-01 10:30:00" and entry["data"] == {"OrderId": "ORD-1"}

    def test_existing_contacts_onto_a_list(self, client, transport):
        from contacts.services.memberships import _identity

        payload, reason = _identity({"contactId": "CID_1", "email": "ada@example.com", "firstName": "Ada"},
                                    ["email"])
        assert reason == ""
        body = sent_body(client, transport, "POST", f"/directories/{D}/mailinglists/{ML}/transactioncontacts",
                         lambda c: c.mailing_lists.members.add_existing(D, ML, contacts=[payload]))
        validate(request_schema("transaction_contacts_import"), body)
        assert body == {"contacts": [{"email": "ada@example.com"}]}


class TestSurveyBodies:
    """The bodies the surveys app's services build, through the client, to the schemas."""

    def test_each_change_of_a_survey(self, client, transport):
        import datetime as dt

        path = f"/surveys/{SV}"
        start, end = dt.datetime(2031, 1, 1, 9, tzinfo=dt.UTC), dt.datetime(2031, 2, 1, 9, tzinfo=dt.UTC)
        for call in (lambda c: c.surveys.update(SV, is_active=False),
                     lambda c: c.surveys.update(SV, name="Spring 2031"),
                     lambda c: c.surveys.update(SV, expiration=(start, end)),
                     lambda c: c.surveys.update(SV, expiration=(None, end)),
                     lambda c: c.surveys.update(SV, expiration=(None, None))):
            validate(request_schema("survey_update"), sent_body(client, transport, "PUT", path, call))

    def test_a_copy(self, client, transport):
        body = sent_body(client, transport, "POST", "/surveys",
                         lambda c: c.surveys.copy(SV, name="Spring (copy)", owner_id="UR_123456789012345"))
        validate(request_schema("survey_copy"), body)


class TestTheSchemas:
    @pytest.mark.parametrize("name", schema_names())
    def test_each_is_a_valid_schema_tied_to_the_documentation(self, name):
        schema = request_schema(name)
        Draft202012Validator.check_schema(schema)
        assert "docs/qualtrics-api.md#" in schema["description"]

    @pytest.mark.parametrize(
        ("schema", "valid", "change"),
        [
            pytest.param("email_distribution", EMAIL, {"message": {**LIBRARY_MESSAGE, "messageText": "Hi"}},
                         id="a library message and inline text together"),
            pytest.param("email_distribution", EMAIL, {"recipients": {"mailingListId": ML, "contactId": "CID_1"}},
                         id="a directory contact ID where the lookup ID belongs"),
            pytest.param("email_distribution", EMAIL,
                         {"recipients": {"mailingListId": ML, "contactId": "CGC_1", "sampleId": "SG_1"}},
                         id="a mailing list narrowed twice"),
            pytest.param("email_distribution", EMAIL,
                         {"recipients": {"transactionBatchId": "BT_1", "contactId": "CGC_1"}},
                         id="a transaction batch narrowed to a contact"),
            pytest.param("email_distribution", EMAIL, {"sendDate": "2031-01-01 00:00:00"},
                         id="a send date without a zone"),
            pytest.param("email_distribution", EMAIL, {"linkType": "Individual"},
                         id="a key of the links form in the e-mail form"),
            pytest.param("distribution_links", LINKS, {"sendDate": "2031-01-01T00:00:00Z"},
                         id="a key of the e-mail form in the links form"),
            pytest.param("distribution_links", LINKS, {"transactionBatchId": "BT_1"},
                         id="links for a list and a batch at once"),
            pytest.param("follow_up_distribution", FOLLOW_UP, {"recipients": {"mailingListId": ML}},
                         id="recipients on a reminder"),
            pytest.param("sms_distribution", SMS_REMINDER, {"recipients": {"mailingListId": ML}},
                         id="recipients on an SMS reminder"),
            pytest.param("sms_distribution", SMS_REMINDER, {"parentDistributionId": None},
                         id="an SMS reminder without its parent"),
            pytest.param("sms_distribution", SMS_INVITE, {"method": "Interactive"},
                         id="a message on a two-way SMS"),
            pytest.param("sms_distribution", SMS_INVITE, {"name": "N" * 101},
                         id="an SMS name over 100 characters"),
            pytest.param("sms_distribution", SMS_INVITE, {"parentDistributionId": "SMSD_1"},
                         id="a parent on an SMS invite"),
            pytest.param("survey_update", {"isActive": True}, {"expiration": {"endDate": "2031-01-01T00:00:00Z"}},
                         id="a window without its start (null, not left out)"),
            pytest.param("survey_update", {"isActive": True}, {"name": "N" * 201},
                         id="a survey name over 200 characters"),
            pytest.param("survey_copy", {"projectName": "Copy"}, {"surveyId": SV},
                         id="the source survey in the copy's body"),
            pytest.param("group_member", {"userId": "UR_123456789012345"}, {"role": "admin"},
                         id="a key besides userId"),
            pytest.param("transactions", {"k": {"contactId": "CID_1", "mailingListId": ML,
                                                "transactionDate": "2031-01-01 10:30:00"}},
                         {"k": {"contactId": "CID_1", "mailingListId": ML, "transactionDate": "2031-01-01T10:30:00Z"}},
                         id="a transaction date in the distributions' form"),
            pytest.param("transactions", {"k": {"contactId": "CID_1", "mailingListId": ML,
                                                "transactionDate": "2031-01-01 10:30:00", "data": {"a": "1"}}},
                         {"k": {"contactId": "CID_1", "mailingListId": ML, "transactionDate": "2031-01-01 10:30:00",
                                "data": {"a": {"b": 1}}}},
                         id="transaction data that is not names and values"),
        ],
    )
    def test_it_refuses(self, schema, valid, change):
        validate(request_schema(schema), valid)
        changed = {key: value for key, value in {**valid, **change}.items() if value is not None}
        with pytest.raises(jsonschema.ValidationError):
            validate(request_schema(schema), changed)
