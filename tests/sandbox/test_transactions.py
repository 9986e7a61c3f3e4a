"""Contact transactions, the transactions of a batch, samples, and removing embedded data.

The create call is sent exactly as a widely used Qualtrics integration sends it (Segment's "upsert contact
transaction" action): random keys, `YYYY-MM-DD HH:MM:SS` dates in UTC, data as names to scalar values.
"""

from __future__ import annotations

import pytest

from .conftest import error_of, list_id


@pytest.fixture
def pool(acme):
    return acme["defaultDirectoryId"]


def a_member(api, pool, list_id_):
    return api.ok("GET", f"/directories/{pool}/mailinglists/{list_id_}/contacts", params={"pageSize": 1})[
        "elements"][0]["contactId"]


def test_create_transactions_answers_each_key(api, pool, acme):
    gold = list_id(acme, "Gold customers")
    contact = a_member(api, pool, gold)
    body = {
        "k3q9x1m2b7c4d5e6": {"contactId": contact, "mailingListId": gold, "transactionDate": "2025-04-01 09:30:00",
                             "data": {"OrderId": "ORD-1", "Amount": 42.5, "Gift": True}},
        "a1b2c3d4e5f6g7h8": {"contactId": "CID_nobody123456789", "mailingListId": gold,
                             "transactionDate": "2025-04-01 09:30:00", "data": {}},
        "z9y8x7w6v5u4t3s2": {"contactId": contact, "mailingListId": gold, "transactionDate": "yesterday"},
    }
    result = api.ok("POST", f"/directories/{pool}/transactions", body)
    created = result["createdTransactions"]
    assert list(created) == ["k3q9x1m2b7c4d5e6"] and created["k3q9x1m2b7c4d5e6"]["id"].startswith("CTR_")
    refused = result["unprocessedTransactions"]
    assert refused["a1b2c3d4e5f6g7h8"]["error"] == "CONTACT_NOT_FOUND"
    assert refused["z9y8x7w6v5u4t3s2"]["error"] == "INVALID_DATE"

    listed, _ = api.collect(f"/directories/{pool}/contacts/{contact}/transactions")
    mine = next(t for t in listed if t["id"] == created["k3q9x1m2b7c4d5e6"]["id"])
    assert mine == {"id": mine["id"], "contactId": contact, "mailingListId": gold,
                    "transactionDate": "2025-04-01T09:30:00Z", "data": {"OrderId": "ORD-1", "Amount": 42.5,
                                                                       "Gift": True}}


@pytest.mark.parametrize(("body", "message"), [
    ([], "must be a JSON object"),
    ({}, "object of transactions"),
    ({"k": "not an object"}, "must be a JSON object"),
    ({"k": {"contactId": "CID_1", "mailingListId": "CG_1"}}, "transactionDate"),
    ({"k": {"contactId": "CID_1", "mailingListId": "CG_1", "transactionDate": "2025-01-01 00:00:00",
            "data": ["a", "b"]}}, "object of names to values"),
    ({"k": {"contactId": "CID_1", "mailingListId": "CG_1", "transactionDate": "2025-01-01 00:00:00",
            "data": {"nested": {"a": 1}}}}, "string, number or boolean"),
])
def test_a_malformed_body_is_refused_whole(api, pool, body, message):
    response = api.post(f"/directories/{pool}/transactions", body)
    assert response.status_code == 400
    assert message in error_of(response)["errorMessage"]


def test_contact_transactions_of_an_unknown_contact_are_not_found(api, pool):
    assert api.get(f"/directories/{pool}/contacts/CID_nobody123456789/transactions").status_code == 404


def test_batch_transactions_add_list_and_delete(api, pool, acme):
    gold = list_id(acme, "Gold customers")
    contact = a_member(api, pool, gold)
    made = api.ok("POST", f"/directories/{pool}/transactions", {
        "one": {"contactId": contact, "mailingListId": gold, "transactionDate": "2025-04-02 10:00:00", "data": {}},
        "two": {"contactId": contact, "mailingListId": gold, "transactionDate": "2025-04-03 10:00:00", "data": {}},
    })["createdTransactions"]
    ids = [made["one"]["id"], made["two"]["id"]]
    batch = api.ok("POST", f"/directories/{pool}/transactionbatches", {"creationDate": "2025-04-04T00:00:00Z"})["id"]
    assert api.ok("POST", f"/directories/{pool}/transactionbatches/{batch}/transactions",
                  {"transactionIds": ids}) is None
    api.ok("POST", f"/directories/{pool}/transactionbatches/{batch}/transactions", {"transactionIds": ids[:1]})
    listed, _ = api.collect(f"/directories/{pool}/transactionbatches/{batch}/transactions")
    assert [t["id"] for t in listed] == ids and listed[0]["contactId"] == contact
    assert api.ok("GET", f"/directories/{pool}/transactionbatches/{batch}")["transactionIds"] == ids

    unknown = api.post(f"/directories/{pool}/transactionbatches/{batch}/transactions",
                       {"transactionIds": ["CTR_nothing12345678"]})
    assert unknown.status_code == 404
    assert api.post(f"/directories/{pool}/transactionbatches/{batch}/transactions", {}).status_code == 400

    assert api.delete(f"/directories/{pool}/transactionbatches/{batch}").status_code == 200
    assert api.get(f"/directories/{pool}/transactionbatches/{batch}").status_code == 404
    assert api.get(f"/directories/{pool}/transactionbatches/{batch}/transactions").status_code == 404
    assert api.delete(f"/directories/{pool}/transactionbatches/{batch}").status_code == 404
    still, _ = api.collect(f"/directories/{pool}/contacts/{contact}/transactions")
    assert set(ids) <= {t["id"] for t in still}  # the transactions outlive their batch


def test_the_demo_seed_has_samples_and_a_batch_that_distributions_can_target(api, pool, acme):
    samples, _ = api.collect(f"/directories/{pool}/samples")
    assert [s["name"] for s in samples] == ["Newsletter: one in ten", "Gold: pilot group"]
    newsletter = list_id(acme, "Newsletter subscribers")
    sample = samples[0]
    assert sample["mailingListId"] == newsletter and sample["contactCount"] == 20
    [batch] = api.ok("GET", f"/directories/{pool}/transactionbatches")["elements"]
    assert len(batch["transactionIds"]) == 12

    send = {"message": {"messageText": "Hello"}, "header": {"fromEmail": "noreply@qualtrics.com",
                                                            "fromName": "Acme", "subject": "Hi"},
            "surveyLink": {"surveyId": acme["surveys"][0]["id"]}, "sendDate": "2020-01-01T00:00:00Z"}
    to_sample = api.ok("POST", "/distributions", {
        **send, "recipients": {"mailingListId": newsletter, "sampleId": sample["sampleId"]}})["id"]
    assert len(api.collect(f"/distributions/{to_sample}/history")[0]) == 20
    wrong_list = api.post("/distributions", {**send, "recipients": {
        "mailingListId": list_id(acme, "Gold customers"), "sampleId": sample["sampleId"]}})
    assert wrong_list.status_code == 404


def test_an_embedded_data_field_sent_as_null_is_removed(api, pool):
    contact = api.ok("POST", f"/directories/{pool}/contacts",
                     {"email": "null.field@example.com", "embeddedData": {"Keep": "1", "Drop": "2", "Empty": "3"}})
    api.ok("PUT", f"/directories/{pool}/contacts/{contact['id']}", {"embeddedData": {"Drop": None, "Empty": ""}})
    detail = api.ok("GET", f"/directories/{pool}/contacts/{contact['id']}")
    assert detail["embeddedData"] == {"Keep": "1", "Empty": ""}
