"""What each client method sends, and what it gives back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qualtrics import SMS_READ_TIMEOUT, QualtricsClient, format_datetime

from .fakes import BASE_URL, envelope, make_client, raw

D = "POOL_123456789012345"
ML = "CG_123456789012345"
CID = "CID_123456789012345"
SV = "SV_123456789012345"
EMD = "EMD_123456789012345"
SEND = datetime(2030, 5, 1, 9, 30, tzinfo=UTC)
HEADER = {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme", "replyToEmail": "x@acme.test", "subject": "Hi"}
MESSAGE = {"libraryId": "UR_123456789012345", "messageId": "MS_123456789012345"}

# (call, method, path, query parameters, JSON body)
CASES = [
    (lambda c: c.whoami(), "GET", "/whoami", {}, None),
    (lambda c: c.directories.list(), "GET", "/directories", {}, None),
    (
        lambda c: c.contacts.get(D, CID),
        "GET",
        f"/directories/{D}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.contacts.create(
            D,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            phone="+15550100",
            ext_ref="emp-1",
            language="en",
            unsubscribed=False,
            embedded_data={"Dept": "R&D"},
        ),
        "POST",
        f"/directories/{D}/contacts",
        {},
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "phone": "+15550100",
            "extRef": "emp-1",
            "language": "en",
            "unsubscribed": False,
            "embeddedData": {"Dept": "R&D"},
        },
    ),
    (
        lambda c: c.contacts.update(D, CID, email="new@example.com", extra={"customKey": 1}),
        "PUT",
        f"/directories/{D}/contacts/{CID}",
        {},
        {"email": "new@example.com", "customKey": 1},
    ),
    (lambda c: c.contacts.delete(D, CID), "DELETE", f"/directories/{D}/contacts/{CID}", {}, None),
    (
        lambda c: c.mailing_lists.get(D, ML, include_count=True),
        "GET",
        f"/directories/{D}/mailinglists/{ML}",
        {"includeCount": "true"},
        None,
    ),
    (
        lambda c: c.mailing_lists.create(D, name="Panel", owner_id="GR_123456789012345"),
        "POST",
        f"/directories/{D}/mailinglists",
        {},
        {"name": "Panel", "ownerId": "GR_123456789012345"},
    ),
    (
        lambda c: c.mailing_lists.update(D, ML, name="Renamed"),
        "PUT",
        f"/directories/{D}/mailinglists/{ML}",
        {},
        {"name": "Renamed"},
    ),
    (lambda c: c.mailing_lists.delete(D, ML), "DELETE", f"/directories/{D}/mailinglists/{ML}", {}, None),
    (
        lambda c: c.mailing_lists.members.get(D, ML, CID),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.mailing_lists.members.create(
            D, ML, first_name="Ada", email="ada@example.com", private_embedded_data={"salary": "1"}
        ),
        "POST",
        f"/directories/{D}/mailinglists/{ML}/contacts",
        {},
        {"firstName": "Ada", "email": "ada@example.com", "privateEmbeddedData": {"salary": "1"}},
    ),
    (
        lambda c: c.mailing_lists.members.update(D, ML, CID, unsubscribed=True),
        "PUT",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        {"unsubscribed": True},
    ),
    (
        lambda c: c.mailing_lists.members.delete(D, ML, CID),
        "DELETE",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.mailing_lists.members.list_opted_out(D, ML, since=datetime(2024, 1, 2, tzinfo=UTC)),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/optedOutContacts",
        {"pageSize": "50", "since": "2024-01-02T00:00:00Z"},
        None,
    ),
    (
        lambda c: c.contact_imports.start(
            D,
            ML,
            contacts=[{"email": "a@example.com", "transactionData": {"store": "12"}}],
            transaction_meta={"batchId": "BT_123456789012345", "fields": ["store"]},
        ),
        "POST",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts",
        {},
        {
            "contacts": [{"email": "a@example.com", "transactionData": {"store": "12"}}],
            "transactionMeta": {"batchId": "BT_123456789012345", "fields": ["store"]},
        },
    ),
    (
        lambda c: c.contact_imports.get(D, ML, "PGR_1"),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts/PGR_1",
        {},
        None,
    ),
    (
        lambda c: c.contact_imports.get_summary(D, ML, "PGR_1"),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts/PGR_1/summary",
        {},
        None,
    ),
    (
        lambda c: c.contacts.list(D, page_size=25, include_embedded=True),
        "GET",
        f"/directories/{D}/contacts",
        {"pageSize": "25", "useNewPaginationScheme": "true", "includeEmbedded": "true"},
        None,
    ),
    (
        lambda c: c.contacts.search(
            D,
            filter={"filterType": "email", "comparison": "eq", "value": "ada@example.com"},
            page_size=10,
            skip_token="NQ==",
            include_segments=True,
        ),
        "POST",
        f"/directories/{D}/contacts/search",
        {"pageSize": "10", "skipToken": "NQ==", "includeSegments": "true"},
        {"filter": {"filterType": "email", "comparison": "eq", "value": "ada@example.com"}},
    ),
    (lambda c: c.users.get("UR_1"), "GET", "/users/UR_1", {}, None),
    (
        lambda c: c.users.create(
            username="ada#acme",
            first_name="Ada",
            last_name="L",
            user_type="UT_123456789012345",
            email="ada@example.com",
            password="Secret-pass-1",
        ),
        "POST",
        "/users",
        {},
        {
            "username": "ada#acme",
            "firstName": "Ada",
            "lastName": "L",
            "userType": "UT_123456789012345",
            "email": "ada@example.com",
            "password": "Secret-pass-1",
            "language": "en",
        },
    ),
    (
        lambda c: c.users.update("UR_1", status="disabled", time_zone="Europe/Paris"),
        "PUT",
        "/users/UR_1",
        {},
        {"status": "disabled", "timeZone": "Europe/Paris"},
    ),
    (lambda c: c.users.delete("UR_1"), "DELETE", "/users/UR_1", {}, None),
    (lambda c: c.users.list(page_size=7), "GET", "/users", {"pageSize": "7"}, None),
    (lambda c: c.users.create_api_token("UR_1"), "POST", "/users/UR_1/apitoken", {}, None),
    (lambda c: c.groups.get("GR_1"), "GET", "/groups/GR_1", {}, None),
    (
        lambda c: c.groups.create(group_type="GT_123456789012345", name="Ops", division_id="DV_1"),
        "POST",
        "/groups",
        {},
        {"type": "GT_123456789012345", "name": "Ops", "divisionId": "DV_1"},
    ),
    (lambda c: c.groups.update("GR_1", name="Ops 2"), "PUT", "/groups/GR_1", {}, {"name": "Ops 2"}),
    (lambda c: c.groups.delete("GR_1"), "DELETE", "/groups/GR_1", {}, None),
    (lambda c: c.divisions.get("DV_1"), "GET", "/divisions/DV_1", {}, None),
    (lambda c: c.divisions.create(name="Research"), "POST", "/divisions", {}, {"name": "Research"}),
    (lambda c: c.divisions.update("DV_1", name="R&D"), "PUT", "/divisions/DV_1", {}, {"name": "R&D"}),
    (lambda c: c.groups.members.list("GR_1"), "GET", "/groups/GR_1/members", {}, None),
    (
        lambda c: c.groups.members.add("GR_1", user_id="UR_1"),
        "POST",
        "/groups/GR_1/members",
        {},
        {"userId": "UR_1"},
    ),
    (lambda c: c.groups.members.remove("GR_1", "UR_1"), "DELETE", "/groups/GR_1/members/UR_1", {}, None),
    (lambda c: c.libraries.list(), "GET", "/libraries", {}, None),
    (
        lambda c: c.libraries.messages.list("UR_1", category="invite"),
        "GET",
        "/libraries/UR_1/messages",
        {"category": "invite"},
        None,
    ),
    (lambda c: c.libraries.messages.get("UR_1", "MS_1"), "GET", "/libraries/UR_1/messages/MS_1", {}, None),
    (lambda c: c.surveys.list(), "GET", "/surveys", {}, None),
    (lambda c: c.surveys.get(SV), "GET", f"/surveys/{SV}", {}, None),
    (
        lambda c: c.request("PUT", f"/surveys/{SV}", json={"isActive": False}),
        "PUT",
        f"/surveys/{SV}",
        {},
        {"isActive": False},
    ),
    (
        lambda c: c.distributions.create(
            message=MESSAGE,
            recipients={"mailingListId": ML},
            header=HEADER,
            survey_link={"surveyId": SV, "type": "Individual"},
            send_date=SEND,
            embedded_data={"wave": "1"},
        ),
        "POST",
        "/distributions",
        {},
        {
            "message": MESSAGE,
            "recipients": {"mailingListId": ML},
            "header": HEADER,
            "surveyLink": {"surveyId": SV, "type": "Individual"},
            "sendDate": "2030-05-01T09:30:00Z",
            "embeddedData": {"wave": "1"},
        },
    ),
    (
        lambda c: c.distributions.list(
            survey_id=SV,
            mailing_list_id=ML,
            send_start_date=datetime(2030, 5, 1, tzinfo=UTC),
            send_end_date="2030-06-01T00:00:00Z",
            page_size=20,
        ),
        "GET",
        "/distributions",
        {
            "surveyId": SV,
            "mailingListId": ML,
            "sendStartDate": "2030-05-01T00:00:00Z",
            "sendEndDate": "2030-06-01T00:00:00Z",
            "pageSize": "20",
            "useNewPaginationScheme": "true",
        },
        None,
    ),
    (
        lambda c: c.distributions.list(survey_id=SV, distribution_request_type="Invite"),
        "GET",
        "/distributions",
        {"surveyId": SV, "distributionRequestType": "Invite", "pageSize": "100", "useNewPaginationScheme": "true"},
        None,
    ),
    (lambda c: c.distributions.get(EMD, survey_id=SV), "GET", f"/distributions/{EMD}", {"surveyId": SV}, None),
    (lambda c: c.request("DELETE", f"/distributions/{EMD}"), "DELETE", f"/distributions/{EMD}", {}, None),
    (lambda c: c.distributions.list_history(EMD), "GET", f"/distributions/{EMD}/history", {}, None),
    (
        lambda c: c.distributions.list_history(EMD, page_size=300),
        "GET",
        f"/distributions/{EMD}/history",
        {"pageSize": "100"},
        None,
    ),
    (
        lambda c: c.distributions.create_reminder(
            EMD, header=HEADER, message=MESSAGE, send_date="2030-05-08T09:30:00Z"
        ),
        "POST",
        f"/distributions/{EMD}/reminders",
        {},
        {"header": HEADER, "message": MESSAGE, "sendDate": "2030-05-08T09:30:00Z"},
    ),
    (
        lambda c: c.distributions.create_thank_you(EMD, header=HEADER, message=MESSAGE, send_date=SEND),
        "POST",
        f"/distributions/{EMD}/thankyous",
        {},
        {"header": HEADER, "message": MESSAGE, "sendDate": "2030-05-01T09:30:00Z"},
    ),
    (
        lambda c: c.sms_distributions.create(
            survey_id=SV,
            name="SMS wave",
            send_date=SEND,
            method="Invite",
            recipients={"mailingListId": ML},
            message={"messageText": "Take our survey ${l://SurveyURL}"},
        ),
        "POST",
        "/distributions/sms",
        {},
        {
            "surveyId": SV,
            "name": "SMS wave",
            "sendDate": "2030-05-01T09:30:00Z",
            "method": "Invite",
            "recipients": {"mailingListId": ML},
            "message": {"messageText": "Take our survey ${l://SurveyURL}"},
        },
    ),
    (
        lambda c: c.sms_distributions.create(
            survey_id=SV,
            name="SMS reminder",
            send_date=SEND,
            method="Reminder",
            message=MESSAGE,
            parent_distribution_id="SMSD_123456789012345",
        ),
        "POST",
        "/distributions/sms",
        {},
        {
            "surveyId": SV,
            "name": "SMS reminder",
            "sendDate": "2030-05-01T09:30:00Z",
            "method": "Reminder",
            "message": MESSAGE,
            "parentDistributionId": "SMSD_123456789012345",
        },
    ),
    (
        lambda c: c.sms_distributions.list(survey_id=SV),
        "GET",
        "/distributions/sms",
        {"surveyId": SV, "pageSize": "100"},
        None,
    ),
    (
        lambda c: c.sms_distributions.get("SMSD_1", survey_id=SV),
        "GET",
        "/distributions/sms/SMSD_1",
        {"surveyId": SV},
        None,
    ),
    (
        lambda c: c.sms_distributions.list(survey_id=SV, page_size=10),
        "GET",
        "/distributions/sms",
        {"surveyId": SV, "pageSize": "10"},
        None,
    ),
    (
        lambda c: c.request("GET", "eventsubscriptions", params={"pageSize": 5, "skip": None}),
        "GET",
        "/eventsubscriptions",
        {"pageSize": "5"},
        None,
    ),
    (
        lambda c: c.users.create(
            username="ada#acme",
            first_name="Ada",
            last_name="L",
            user_type="UT_123456789012345",
            email="ada@example.com",
            password="Secret-pass-1",
            language="fr",
            time_zone="Europe/Paris",
            division_id="DV_1",
            account_expiration_date=datetime(2031, 1, 1, tzinfo=UTC),
            extra={"permissions": {"controlPanel": {}}},
        ),
        "POST",
        "/users",
        {},
        {
            "username": "ada#acme",
            "firstName": "Ada",
            "lastName": "L",
            "userType": "UT_123456789012345",
            "email": "ada@example.com",
            "password": "Secret-pass-1",
            "language": "fr",
            "timeZone": "Europe/Paris",
            "divisionId": "DV_1",
            "accountExpirationDate": "2031-01-01T00:00:00Z",
            "permissions": {"controlPanel": {}},
        },
    ),
    (
        lambda c: c.groups.list(page_size=20),
        "GET",
        "/groups",
        {"pageSize": "20"},
        None,
    ),
    (
        lambda c: c.mailing_lists.list(D, owner_id="GR_1", include_count=True),
        "GET",
        f"/directories/{D}/mailinglists",
        {"pageSize": "100", "useNewPaginationScheme": "true", "ownerId": "GR_1", "includeCount": "true"},
        None,
    ),
    (
        lambda c: c.mailing_lists.members.list(D, ML, include_embedded=True),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/contacts",
        {"pageSize": "50", "useNewPaginationScheme": "true", "includeEmbedded": "true"},
        None,
    ),
    (
        lambda c: c.mailing_lists.members.list_bounced(D, ML, since="2024-01-02T00:00:00Z"),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/bouncedContacts",
        {"pageSize": "50", "since": "2024-01-02T00:00:00Z"},
        None,
    ),
    (
        lambda c: c.transaction_batches.list(D, page_size=20),
        "GET",
        f"/directories/{D}/transactionbatches",
        {"pageSize": "20"},
        None,
    ),
    (
        lambda c: c.transaction_batches.create(D, transaction_ids=["CTR_1"], creation_date=SEND),
        "POST",
        f"/directories/{D}/transactionbatches",
        {},
        {"transactionIds": ["CTR_1"], "creationDate": "2030-05-01T09:30:00Z"},
    ),
    (lambda c: c.transaction_batches.get(D, "BT_1"), "GET", f"/directories/{D}/transactionbatches/BT_1", {}, None),
    (lambda c: c.transaction_batches.delete(D, "BT_1"), "DELETE", f"/directories/{D}/transactionbatches/BT_1", {},
     None),
    (
        lambda c: c.transaction_batches.list_transactions(D, "BT_1"),
        "GET",
        f"/directories/{D}/transactionbatches/BT_1/transactions",
        {},
        None,
    ),
    (
        lambda c: c.transaction_batches.add_transactions(D, "BT_1", ["CTR_1", "CTR_2"]),
        "POST",
        f"/directories/{D}/transactionbatches/BT_1/transactions",
        {},
        {"transactionIds": ["CTR_1", "CTR_2"]},
    ),
    (
        lambda c: c.transactions.list_for_contact(D, CID, page_size=25),
        "GET",
        f"/directories/{D}/contacts/{CID}/transactions",
        {"pageSize": "25"},
        None,
    ),
    (
        lambda c: c.transactions.create(D, {"k1": {"contactId": CID, "mailingListId": ML,
                                                   "transactionDate": "2030-05-01 09:30:00", "data": {"a": "1"}}}),
        "POST",
        f"/directories/{D}/transactions",
        {},
        {"k1": {"contactId": CID, "mailingListId": ML, "transactionDate": "2030-05-01 09:30:00", "data": {"a": "1"}}},
    ),
    (
        lambda c: c.mailing_lists.members.add_existing(D, ML, contacts=[{"email": "a@example.com"}]),
        "POST",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts",
        {},
        {"contacts": [{"email": "a@example.com"}]},
    ),
    (lambda c: c.samples.list(D), "GET", f"/directories/{D}/samples", {}, None),
    (
        lambda c: c.request("POST", "/directories/POOL_1/transactions", json={"t1": {"contactId": CID}}),
        "POST",
        "/directories/POOL_1/transactions",
        {},
        {"t1": {"contactId": CID}},
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), CASES)
def test_each_method_sends_the_documented_request(client, transport, call, method, path, query, body):
    transport.on(method, path, envelope({"ok": True, "elements": [], "nextPage": None}))
    call(client)
    (sent,) = transport.sent
    assert (sent.method, sent.path) == (method, path)
    assert {name: values[0] for name, values in sent.query.items()} == query
    assert sent.body == body
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == "qualtrics-portal"
    assert sent.timeout is not None


class TestResults:
    def test_methods_return_the_result_object(self, client, transport):
        transport.on("POST", f"/directories/{D}/contacts", envelope({"id": CID}))
        assert client.contacts.create(D, email="a@example.com") == {"id": CID}

    def test_writes_answered_with_meta_only_return_none(self, client, transport):
        transport.on("PUT", f"/directories/{D}/mailinglists/{ML}", envelope())
        assert client.mailing_lists.update(D, ML, name="x") is None
        assert client.last_meta["httpStatus"] == "200 - OK"

    @pytest.mark.parametrize(
        ("result", "expected"),
        [
            ({"distributionId": "EMD_2"}, {"distributionId": "EMD_2", "id": "EMD_2"}),
            ({"id": "EMD_3"}, {"id": "EMD_3"}),
            ({"id": "EMD_4", "distributionId": "EMD_4"}, {"id": "EMD_4", "distributionId": "EMD_4"}),
        ],
    )
    def test_reminders_and_thank_yous_always_have_an_id(self, client, transport, result, expected):
        transport.on("POST", f"/distributions/{EMD}/reminders", envelope(result))
        transport.on("POST", f"/distributions/{EMD}/thankyous", envelope(result))
        assert client.distributions.create_reminder(EMD, header=HEADER, message=MESSAGE, send_date=SEND) == expected
        assert client.distributions.create_thank_you(EMD, header=HEADER, message=MESSAGE, send_date=SEND) == expected

    def test_a_copy_with_other_options_calls_through_the_copy(self, transport):
        original, copied = [], []
        client = make_client(transport, hooks=[original.append])
        quick = client.with_options(hooks=[copied.append], timeout=(1.0, 2.0))
        transport.on("GET", "/users/{id}", envelope({"id": "UR_1"}))
        transport.on("GET", f"/directories/{D}/mailinglists/{ML}/contacts", envelope({"elements": []}))
        quick.users.get("UR_1")
        quick.mailing_lists.members.list(D, ML)
        client.users.get("UR_1")
        assert [r.path for r in copied] == ["/users/UR_1", f"/directories/{D}/mailinglists/{ML}/contacts"]
        assert [r.path for r in original] == ["/users/UR_1"]
        assert [sent.timeout for sent in transport.sent] == [(1.0, 2.0), (1.0, 2.0), (5.0, 30.0)]

    def test_a_file_body_is_not_taken_for_a_result(self, client, transport):
        from qualtrics import InvalidResponseError

        zipped = b"PK\x03\x04 not json at all \xff\xfe"
        transport.on("GET", f"/surveys/{SV}/export-responses/F_1/file", raw(200, zipped, "application/zip"))
        with pytest.raises(InvalidResponseError):
            client.request("GET", f"/surveys/{SV}/export-responses/F_1/file")
        assert transport.sent[0].headers["Accept"] == "application/json"

    def test_a_failed_download_is_still_a_typed_error(self, client, transport):
        from qualtrics import NotFoundError

        transport.on("GET", f"/surveys/{SV}/export-responses/F_1/file", envelope(status=404, error_message="No file"))
        with pytest.raises(NotFoundError):
            client.request("GET", f"/surveys/{SV}/export-responses/F_1/file")


class TestNotices:
    PROXIED = "Request proxied. For faster response times, use this host instead: sjc1.qualtrics.com"

    def test_a_proxied_notice_suggests_the_right_datacenter(self, transport):
        records = []
        client = make_client(transport, hooks=[records.append])
        transport.on("GET", "/whoami", envelope({"datacenter": "az1"}, notice=self.PROXIED))
        client.whoami()
        assert client.last_notice == self.PROXIED
        assert client.suggested_datacenter == "sjc1"
        assert client.last_meta["notice"] == self.PROXIED
        assert records[0].notice == self.PROXIED

    def test_the_suggestion_survives_calls_without_a_notice(self, client, transport):
        transport.on("GET", "/whoami", envelope({"a": 1}, notice=self.PROXIED), envelope({"a": 2}))
        client.whoami()
        client.whoami()
        assert client.last_notice is None
        assert client.suggested_datacenter == "sjc1"

    @pytest.mark.parametrize(
        ("notice", "expected"),
        [
            ("Request proxied. For faster response times, use this host instead: fra1.qualtrics.com", "fra1"),
            ("Request proxied. Use this host instead: https://acme.syd1.qualtrics.com/", "syd1"),
            ("This endpoint is deprecated.", None),
        ],
    )
    def test_it_reads_the_host_out_of_the_notice(self, client, transport, notice, expected):
        transport.on("GET", "/whoami", envelope({"a": 1}, notice=notice))
        client.whoami()
        assert client.suggested_datacenter == expected

    def test_the_notice_of_an_error_is_kept(self, client, transport):
        from qualtrics import BadRequestError

        transport.on(
            "POST",
            f"/surveys/{SV}/export-responses",
            envelope(status=400, error_message="Wrong datacenter", notice=self.PROXIED),
        )
        with pytest.raises(BadRequestError) as caught:
            client.request("POST", f"/surveys/{SV}/export-responses", json={"format": "csv"})
        assert caught.value.notice == self.PROXIED
        assert client.suggested_datacenter == "sjc1"


class TestTimeouts:
    def test_every_call_carries_connect_and_read_timeouts(self, client, transport):
        transport.on("GET", "/whoami", envelope({}))
        client.whoami()
        assert transport.sent[0].timeout == (5.0, 30.0)

    def test_sms_routes_get_a_longer_read_timeout(self, transport):
        client = make_client(transport, timeout=(2.0, 8.0))
        transport.on("GET", "/distributions/sms", envelope({"elements": [], "nextPage": None}))
        transport.on("POST", "/distributions/sms", envelope({"id": "SMSD_1"}))
        transport.on("GET", "/distributions", envelope({"elements": [], "nextPage": None}))
        client.sms_distributions.list(survey_id=SV)
        client.sms_distributions.create(survey_id=SV, name="x", send_date=SEND, method="Invite")
        client.distributions.list(survey_id=SV)
        assert [sent.timeout for sent in transport.sent] == [
            (2.0, SMS_READ_TIMEOUT),
            (2.0, SMS_READ_TIMEOUT),
            (2.0, 8.0),
        ]

    def test_a_per_call_timeout_wins(self, client, transport):
        transport.on("GET", "/whoami", envelope({}))
        client.request("GET", "/whoami", timeout=1.5)
        client.with_options(timeout=(1.0, 2.0)).whoami()
        assert [sent.timeout for sent in transport.sent] == [(1.5, 1.5), (1.0, 2.0)]


def test_dates_are_sent_in_utc_with_a_z():
    paris = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2030, 5, 1, 11, 30, tzinfo=paris)) == "2030-05-01T09:30:00Z"
    assert format_datetime(datetime(2030, 5, 1, 9, 30)) == "2030-05-01T09:30:00Z"
    assert format_datetime("2030-05-01 09:30:00") == "2030-05-01 09:30:00"


def test_the_base_url_may_end_with_a_slash(transport):
    client = make_client(transport, base_url=BASE_URL + "/")
    transport.on("GET", "/whoami", envelope({}))
    client.whoami()
    assert transport.sent[0].url == f"{BASE_URL}/whoami"
    assert isinstance(client, QualtricsClient)
