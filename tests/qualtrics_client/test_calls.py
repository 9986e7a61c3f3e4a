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
    (lambda c: c.list_directories(), "GET", "/directories", {}, None),
    (
        lambda c: c.get_directory_contact(D, CID),
        "GET",
        f"/directories/{D}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.create_directory_contact(
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
        lambda c: c.update_directory_contact(D, CID, email="new@example.com", extra={"customKey": 1}),
        "PUT",
        f"/directories/{D}/contacts/{CID}",
        {},
        {"email": "new@example.com", "customKey": 1},
    ),
    (lambda c: c.delete_directory_contact(D, CID), "DELETE", f"/directories/{D}/contacts/{CID}", {}, None),
    (
        lambda c: c.get_mailing_list(D, ML, include_count=True),
        "GET",
        f"/directories/{D}/mailinglists/{ML}",
        {"includeCount": "true"},
        None,
    ),
    (
        lambda c: c.create_mailing_list(D, name="Panel", owner_id="GR_123456789012345"),
        "POST",
        f"/directories/{D}/mailinglists",
        {},
        {"name": "Panel", "ownerId": "GR_123456789012345"},
    ),
    (
        lambda c: c.update_mailing_list(D, ML, name="Renamed"),
        "PUT",
        f"/directories/{D}/mailinglists/{ML}",
        {},
        {"name": "Renamed"},
    ),
    (lambda c: c.delete_mailing_list(D, ML), "DELETE", f"/directories/{D}/mailinglists/{ML}", {}, None),
    (
        lambda c: c.get_mailing_list_contact(D, ML, CID),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.create_mailing_list_contact(
            D, ML, first_name="Ada", email="ada@example.com", private_embedded_data={"salary": "1"}
        ),
        "POST",
        f"/directories/{D}/mailinglists/{ML}/contacts",
        {},
        {"firstName": "Ada", "email": "ada@example.com", "privateEmbeddedData": {"salary": "1"}},
    ),
    (
        lambda c: c.update_mailing_list_contact(D, ML, CID, unsubscribed=True),
        "PUT",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        {"unsubscribed": True},
    ),
    (
        lambda c: c.delete_mailing_list_contact(D, ML, CID),
        "DELETE",
        f"/directories/{D}/mailinglists/{ML}/contacts/{CID}",
        {},
        None,
    ),
    (
        lambda c: c.list_mailing_list_opted_out_contacts(D, ML, since=datetime(2024, 1, 2, tzinfo=UTC)),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/optedOutContacts",
        {"pageSize": "50", "since": "2024-01-02T00:00:00Z"},
        None,
    ),
    (
        lambda c: c.start_transaction_contacts_import(
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
        lambda c: c.get_transaction_contacts_import(D, ML, "PGR_1"),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts/PGR_1",
        {},
        None,
    ),
    (
        lambda c: c.get_transaction_contacts_import_summary(D, ML, "PGR_1"),
        "GET",
        f"/directories/{D}/mailinglists/{ML}/transactioncontacts/PGR_1/summary",
        {},
        None,
    ),
    (
        lambda c: c.create_transaction_batch(D, creation_date=SEND),
        "POST",
        f"/directories/{D}/transactionbatches",
        {},
        {"transactionIds": [], "creationDate": "2030-05-01T09:30:00Z"},
    ),
    (lambda c: c.get_user("UR_1"), "GET", "/users/UR_1", {}, None),
    (
        lambda c: c.create_user(
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
        lambda c: c.update_user("UR_1", status="disabled", time_zone="Europe/Paris"),
        "PUT",
        "/users/UR_1",
        {},
        {"status": "disabled", "timeZone": "Europe/Paris"},
    ),
    (lambda c: c.delete_user("UR_1"), "DELETE", "/users/UR_1", {}, None),
    (lambda c: c.get_user_api_token("UR_1"), "GET", "/users/UR_1/apitoken", {}, None),
    (lambda c: c.create_user_api_token("UR_1"), "POST", "/users/UR_1/apitoken", {}, None),
    (lambda c: c.get_group("GR_1"), "GET", "/groups/GR_1", {}, None),
    (
        lambda c: c.create_group(group_type="GT_123456789012345", name="Ops", division_id="DV_1"),
        "POST",
        "/groups",
        {},
        {"type": "GT_123456789012345", "name": "Ops", "divisionId": "DV_1"},
    ),
    (lambda c: c.update_group("GR_1", name="Ops 2"), "PUT", "/groups/GR_1", {}, {"name": "Ops 2"}),
    (lambda c: c.delete_group("GR_1"), "DELETE", "/groups/GR_1", {}, None),
    (lambda c: c.list_group_members("GR_1"), "GET", "/groups/GR_1/members", {}, None),
    (
        lambda c: c.add_group_member("GR_1", user_id="UR_1"),
        "POST",
        "/groups/GR_1/members",
        {},
        {"userId": "UR_1"},
    ),
    (lambda c: c.remove_group_member("GR_1", "UR_1"), "DELETE", "/groups/GR_1/members/UR_1", {}, None),
    (lambda c: c.list_libraries(), "GET", "/libraries", {}, None),
    (
        lambda c: c.list_library_messages("UR_1", category="invite"),
        "GET",
        "/libraries/UR_1/messages",
        {"category": "invite"},
        None,
    ),
    (lambda c: c.get_library_message("UR_1", "MS_1"), "GET", "/libraries/UR_1/messages/MS_1", {}, None),
    (lambda c: c.list_surveys(), "GET", "/surveys", {}, None),
    (lambda c: c.get_survey(SV), "GET", f"/surveys/{SV}", {}, None),
    (
        lambda c: c.update_survey(SV, is_active=False, expiration={"startDate": "a", "endDate": "b"}),
        "PUT",
        f"/surveys/{SV}",
        {},
        {"isActive": False, "expiration": {"startDate": "a", "endDate": "b"}},
    ),
    (
        lambda c: c.create_distribution(
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
        lambda c: c.generate_distribution_links(
            survey_id=SV, description="Wave 1", mailing_list_id=ML, expiration_date="2030-06-01 00:00:00"
        ),
        "POST",
        "/distributions",
        {},
        {
            "action": "CreateDistribution",
            "surveyId": SV,
            "linkType": "Individual",
            "description": "Wave 1",
            "expirationDate": "2030-06-01 00:00:00",
            "mailingListId": ML,
        },
    ),
    (
        lambda c: c.list_distributions(survey_id=SV, distribution_request_type="Invite"),
        "GET",
        "/distributions",
        {"surveyId": SV, "distributionRequestType": "Invite", "pageSize": "100", "useNewPaginationScheme": "true"},
        None,
    ),
    (lambda c: c.get_distribution(EMD, survey_id=SV), "GET", f"/distributions/{EMD}", {"surveyId": SV}, None),
    (lambda c: c.delete_distribution(EMD), "DELETE", f"/distributions/{EMD}", {}, None),
    (lambda c: c.list_distribution_history(EMD), "GET", f"/distributions/{EMD}/history", {}, None),
    (
        lambda c: c.list_distribution_links(EMD, survey_id=SV),
        "GET",
        f"/distributions/{EMD}/links",
        {"surveyId": SV},
        None,
    ),
    (
        lambda c: c.create_reminder(EMD, header=HEADER, message=MESSAGE, send_date="2030-05-08T09:30:00Z"),
        "POST",
        f"/distributions/{EMD}/reminders",
        {},
        {"header": HEADER, "message": MESSAGE, "sendDate": "2030-05-08T09:30:00Z"},
    ),
    (
        lambda c: c.create_thank_you(EMD, header=HEADER, message=MESSAGE, send_date=SEND),
        "POST",
        f"/distributions/{EMD}/thankyous",
        {},
        {"header": HEADER, "message": MESSAGE, "sendDate": "2030-05-01T09:30:00Z"},
    ),
    (
        lambda c: c.create_sms_distribution(
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
        lambda c: c.create_sms_distribution(
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
        lambda c: c.list_sms_distributions(survey_id=SV),
        "GET",
        "/distributions/sms",
        {"surveyId": SV, "pageSize": "100"},
        None,
    ),
    (
        lambda c: c.get_sms_distribution("SMSD_1", survey_id=SV),
        "GET",
        "/distributions/sms/SMSD_1",
        {"surveyId": SV},
        None,
    ),
    (lambda c: c.delete_sms_distribution("SMSD_1"), "DELETE", "/distributions/sms/SMSD_1", {}, None),
    (lambda c: c.list_event_subscriptions(), "GET", "/eventsubscriptions", {}, None),
    (
        lambda c: c.create_event_subscription(
            topics=f"surveyengine.completedResponse.{SV}", publication_url="https://hooks.acme.test/q", shared_key="k"
        ),
        "POST",
        "/eventsubscriptions",
        {},
        {
            "topics": f"surveyengine.completedResponse.{SV}",
            "publicationUrl": "https://hooks.acme.test/q",
            "encrypt": False,
            "sharedKey": "k",
        },
    ),
    (lambda c: c.get_event_subscription("SUB_1"), "GET", "/eventsubscriptions/SUB_1", {}, None),
    (lambda c: c.delete_event_subscription("SUB_1"), "DELETE", "/eventsubscriptions/SUB_1", {}, None),
    (
        lambda c: c.start_response_export(SV, format="json", compress=False, question_ids=["QID1"]),
        "POST",
        f"/surveys/{SV}/export-responses",
        {},
        {"format": "json", "compress": False, "questionIds": ["QID1"]},
    ),
    (
        lambda c: c.get_response_export_progress(SV, "ES_1"),
        "GET",
        f"/surveys/{SV}/export-responses/ES_1",
        {},
        None,
    ),
    (
        lambda c: c.call("POST", "/directories/POOL_1/transactions", json={"t1": {"contactId": CID}}),
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
        assert client.create_directory_contact(D, email="a@example.com") == {"id": CID}

    def test_writes_answered_with_meta_only_return_none(self, client, transport):
        transport.on("PUT", f"/directories/{D}/mailinglists/{ML}", envelope())
        assert client.update_mailing_list(D, ML, name="x") is None
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
        assert client.create_reminder(EMD, header=HEADER, message=MESSAGE, send_date=SEND) == expected
        assert client.create_thank_you(EMD, header=HEADER, message=MESSAGE, send_date=SEND) == expected

    def test_link_generation_needs_exactly_one_target(self, client):
        with pytest.raises(ValueError):
            client.generate_distribution_links(survey_id=SV, description="x")
        with pytest.raises(ValueError):
            client.generate_distribution_links(
                survey_id=SV, description="x", mailing_list_id=ML, transaction_batch_id="BT_1"
            )

    def test_batch_links_use_the_batch_action(self, client, transport):
        transport.on("POST", "/distributions", envelope({"id": EMD}))
        client.generate_distribution_links(survey_id=SV, description="x", transaction_batch_id="BT_1")
        assert transport.sent[0].body["action"] == "CreateTransactionBatchDistribution"
        assert transport.sent[0].body["transactionBatchId"] == "BT_1"

    def test_export_files_come_back_as_bytes(self, client, transport):
        zipped = b"PK\x03\x04 not json at all \xff\xfe"
        transport.on("GET", f"/surveys/{SV}/export-responses/F_1/file", raw(200, zipped, "application/zip"))
        assert client.download_response_export(SV, "F_1") == zipped
        assert transport.sent[0].headers["Accept"] == "*/*"

    def test_a_failed_export_download_is_still_a_typed_error(self, client, transport):
        from qualtrics import NotFoundError

        transport.on("GET", f"/surveys/{SV}/export-responses/F_1/file", envelope(status=404, error_message="No file"))
        with pytest.raises(NotFoundError):
            client.download_response_export(SV, "F_1")


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
            client.start_response_export(SV)
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
        client.list_sms_distributions(survey_id=SV)
        client.create_sms_distribution(survey_id=SV, name="x", send_date=SEND, method="Invite")
        client.list_distributions(survey_id=SV)
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
