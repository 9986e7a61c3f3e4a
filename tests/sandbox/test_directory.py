"""XM Directory semantics: contacts, dedup, search, mailing lists, list membership, opt-outs, imports, batches."""

from __future__ import annotations

import pytest

from .conftest import error_of, list_id, survey_id


@pytest.fixture
def pool(acme):
    return acme["defaultDirectoryId"]


def test_directories_list(api, pool):
    [directory] = api.ok("GET", "/directories")["elements"]
    assert directory["directoryId"] == pool
    assert directory["contactCount"] == 500
    assert directory["isDefault"] is True
    assert directory["deduplicationCriteria"]["email"] is True


def test_contact_lifecycle(api, pool):
    body = {"firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.com", "phone": "+15550100",
            "extRef": "EXT-1", "language": "en", "embeddedData": {"Department": "Research"}}
    contact_id = api.ok("POST", f"/directories/{pool}/contacts", body)["id"]
    detail = api.ok("GET", f"/directories/{pool}/contacts/{contact_id}")
    assert detail["contactId"] == contact_id
    assert (detail["firstName"], detail["email"], detail["emailDomain"]) == ("Ada", "Ada@Example.com", "example.com")
    assert isinstance(detail["creationDate"], int) and detail["creationDate"] > 1_600_000_000_000
    assert isinstance(detail["lastModified"], int)
    assert detail["embeddedData"] == {"Department": "Research"}
    assert detail["mailingListMembership"] == {}
    assert detail["directoryUnsubscribed"] is False
    assert {"InviteCount", "ResponseCount", "EmailCount", "LastInviteDate"} <= set(detail["stats"])

    update = api.put(f"/directories/{pool}/contacts/{contact_id}",
                     {"lastName": "King", "unsubscribed": True, "embeddedData": {"Region": "EMEA"}})
    assert update.status_code == 200 and "result" not in update.json()
    detail = api.ok("GET", f"/directories/{pool}/contacts/{contact_id}")
    assert detail["lastName"] == "King"
    assert detail["directoryUnsubscribed"] is True
    assert detail["directoryUnsubscribeDate"].endswith("Z")
    assert detail["embeddedData"] == {"Department": "Research", "Region": "EMEA"}
    opted_out, _ = api.collect(f"/directories/{pool}/contacts/optedOutContacts")
    assert contact_id in {c["contactId"] for c in opted_out}

    assert api.delete(f"/directories/{pool}/contacts/{contact_id}").status_code == 200
    assert api.get(f"/directories/{pool}/contacts/{contact_id}").status_code == 404


def test_contact_create_merges_on_dedup_criteria_by_default(api, pool, sandbox):
    first = api.ok("POST", f"/directories/{pool}/contacts", {"email": "dup@example.com", "firstName": "A"})["id"]
    second = api.ok("POST", f"/directories/{pool}/contacts", {"email": "DUP@example.com", "firstName": "B"})["id"]
    assert first == second
    assert api.ok("GET", f"/directories/{pool}/contacts/{first}")["firstName"] == "B"
    without_email = api.ok("POST", f"/directories/{pool}/contacts", {"firstName": "B"})["id"]
    assert without_email != first

    sandbox.configure(contact_dedup="duplicate")
    third = api.ok("POST", f"/directories/{pool}/contacts", {"email": "dup@example.com"})["id"]
    assert third != first


def test_contact_body_validation(api, pool):
    assert error_of(api.post(f"/directories/{pool}/contacts", {"email": 5}))["errorMessage"] == "email must be a string"
    assert api.post(f"/directories/{pool}/contacts", {"embeddedData": {"k": "v" * 1025}}).status_code == 400
    assert api.post(f"/directories/{pool}/contacts", {"embeddedData": ["x"]}).status_code == 400
    assert error_of(api.put(f"/directories/{pool}/contacts/CID_xxxxxxxxxxxxxxx", {}))["errorMessage"]


def test_search_filters(api, pool):
    contacts, _ = api.collect(f"/directories/{pool}/contacts", params={"includeEmbedded": "true"})
    sample = next(c for c in contacts if c["email"] and c["phone"])

    def run(filter_type, value, comparison="eq", **extra):
        body = {"filter": {"filterType": filter_type, "comparison": comparison, "value": value, **extra}}
        return api.ok("POST", f"/directories/{pool}/contacts/search", body)["elements"]

    by_email = run("email", sample["email"].upper())
    assert [c["id"] for c in by_email] == [sample["contactId"]]
    assert "contactId" not in by_email[0]
    assert [c["id"] for c in run("extRef", sample["extRef"])] == [sample["contactId"]]
    assert sample["contactId"] in {c["id"] for c in run("phone", sample["phone"])}
    last_names = run("lastName", sample["lastName"])
    assert last_names and all(c["lastName"] == sample["lastName"] for c in last_names)
    contains = run("firstName", sample["firstName"][:3].lower(), "contains")
    assert sample["contactId"] in {c["id"] for c in contains}
    emea = run("embeddedData", "EMEA", key="Region")
    assert emea and len(emea) == min(100, sum(c["embeddedData"]["Region"] == "EMEA" for c in contacts))
    assert run("email", "nobody@nowhere.invalid") == []

    bad = api.post(f"/directories/{pool}/contacts/search", {"filter": {"filterType": "city", "comparison": "eq",
                                                                        "value": "x"}})
    assert bad.status_code == 400 and "filterType" in error_of(bad)["errorMessage"]
    missing = api.post(f"/directories/{pool}/contacts/search", {})
    assert error_of(missing) == {"errorMessage": "Expected param not found: filter", "errorCode": "RP_10"}


def test_mailing_list_crud(api, pool, sandbox):
    owner = api.ok("GET", "/whoami")["userId"]
    created = api.ok("POST", f"/directories/{pool}/mailinglists", {"name": "Spring campaign"})["id"]
    path = f"/directories/{pool}/mailinglists/{created}"
    got = api.ok("GET", path, params={"includeCount": "true"})
    assert (got["mailingListId"], got["name"], got["ownerId"], got["contactCount"]) == (
        created, "Spring campaign", owner, 0)
    assert "contactCount" not in api.ok("GET", path)
    group = api.ok("GET", "/groups")["elements"][0]["id"]
    assert api.put(path, {"name": "Spring campaign 2", "ownerId": group}).status_code == 200
    shared = api.ok("GET", f"/directories/{pool}/mailinglists", params={"ownerId": group})["elements"]
    assert created in {m["mailingListId"] for m in shared}
    assert api.put(path, {"ownerId": "UR_doesnotexist123"}).status_code == 400
    assert api.post(f"/directories/{pool}/mailinglists", {"name": "x" * 101}).status_code == 400
    assert api.post(f"/directories/{pool}/mailinglists", {}).json()["meta"]["error"]["errorCode"] == "RP_10"
    assert api.delete(path).status_code == 200
    assert api.get(path).status_code == 404


def test_list_contact_create_always_creates_a_directory_contact(api, pool, acme):
    beta = list_id(acme, "Beta testers")
    body = {"firstName": "Lin", "email": "lin@example.com", "embeddedData": {"Tier": "Gold"}}
    first = api.ok("POST", f"/directories/{pool}/mailinglists/{beta}/contacts", body)
    assert set(first) == {"id", "contactLookupId"}
    second = api.ok("POST", f"/directories/{pool}/mailinglists/{beta}/contacts", body)
    assert second["id"] != first["id"]
    detail = api.ok("GET", f"/directories/{pool}/contacts/{first['id']}")
    membership = detail["mailingListMembership"][beta]
    assert membership["contactLookupId"] == first["contactLookupId"]
    assert membership["name"] == "Beta testers"
    assert membership["unsubscribed"] is False
    assert membership["ownerId"].startswith(("UR_", "GR_"))
    assert "unsubscribeDate" in membership
    member = api.ok("GET", f"/directories/{pool}/mailinglists/{beta}/contacts/{first['id']}")
    assert member["contactLookupId"] == first["contactLookupId"]
    assert member["embeddedData"] == {"Tier": "Gold"}
    assert api.ok("GET", "/directories")["elements"][0]["contactCount"] == 502


def test_removing_from_a_list_keeps_the_directory_contact(api, pool, acme):
    beta = list_id(acme, "Beta testers")
    created = api.ok("POST", f"/directories/{pool}/mailinglists/{beta}/contacts", {"email": "keep@example.com"})
    assert api.delete(f"/directories/{pool}/mailinglists/{beta}/contacts/{created['id']}").status_code == 200
    assert api.get(f"/directories/{pool}/mailinglists/{beta}/contacts/{created['id']}").status_code == 404
    detail = api.ok("GET", f"/directories/{pool}/contacts/{created['id']}")
    assert detail["mailingListMembership"] == {}


def test_deleting_a_directory_contact_removes_it_from_every_list(api, pool, acme):
    newsletter = list_id(acme, "Newsletter subscribers")
    gold = list_id(acme, "Gold customers")
    newsletter_ids = {m["contactId"] for m in api.collect(f"/directories/{pool}/mailinglists/{newsletter}/contacts")[0]}
    gold_ids = {m["contactId"] for m in api.collect(f"/directories/{pool}/mailinglists/{gold}/contacts")[0]}
    both = sorted(newsletter_ids & gold_ids)[0]
    assert set(api.ok("GET", f"/directories/{pool}/contacts/{both}")["mailingListMembership"]) >= {newsletter, gold}
    assert api.delete(f"/directories/{pool}/contacts/{both}").status_code == 200
    for mailing_list in (newsletter, gold):
        members, _ = api.collect(f"/directories/{pool}/mailinglists/{mailing_list}/contacts")
        remaining = {m["contactId"] for m in members}
        assert both not in remaining
        assert api.get(f"/directories/{pool}/mailinglists/{mailing_list}/contacts/{both}").status_code == 404


def test_list_level_unsubscribe_and_bounces(api, pool, acme):
    newsletter = list_id(acme, "Newsletter subscribers")
    base = f"/directories/{pool}/mailinglists/{newsletter}"
    opted_before, _ = api.collect(f"{base}/optedOutContacts")
    bounced, _ = api.collect(f"{base}/bouncedContacts")
    assert opted_before and bounced
    assert all(row["unsubscribed"] for row in opted_before)
    members, _ = api.collect(f"{base}/contacts")
    target = next(m for m in members if not m["unsubscribed"])
    assert api.put(f"{base}/contacts/{target['contactId']}", {"unsubscribed": True, "firstName": "Renamed"}
                   ).status_code == 200
    opted_after, _ = api.collect(f"{base}/optedOutContacts")
    assert len(opted_after) == len(opted_before) + 1
    detail = api.ok("GET", f"/directories/{pool}/contacts/{target['contactId']}")
    assert detail["mailingListMembership"][newsletter]["unsubscribed"] is True
    assert detail["directoryUnsubscribed"] is False
    assert detail["firstName"] == "Renamed"


def test_transaction_contacts_import_progresses_with_the_clock(api, pool, acme, sandbox):
    sandbox.configure(job_seconds=1000)
    beta = list_id(acme, "Beta testers")
    base = f"/directories/{pool}/mailinglists/{beta}/transactioncontacts"
    members_before, _ = api.collect(f"/directories/{pool}/mailinglists/{beta}/contacts")
    existing = next(m for m in members_before if m["email"])
    body = {"contacts": [
        {"firstName": "New", "email": "new.person@example.com", "transactionData": {"orderId": "A1"}},
        {"firstName": "Existing", "email": existing["email"].upper(), "transactionData": {"orderId": "A2"}},
        {"firstName": "Broken", "email": "not-an-email"},
    ]}
    started = api.ok("POST", base, body)
    assert started["status"] == "inProgress"
    assert started["tracking"]["url"] == f"{sandbox.base_url}{base}/{started['id']}"
    progress = api.ok("GET", f"{base}/{started['id']}")
    assert progress["status"] == "inProgress" and progress["percentComplete"] < 100
    assert len(api.collect(f"/directories/{pool}/mailinglists/{beta}/contacts")[0]) == len(members_before)

    sandbox.advance_clock(500)
    halfway = api.ok("GET", f"{base}/{started['id']}")
    assert 49 <= halfway["percentComplete"] < 60
    sandbox.advance_clock(501)
    done = api.ok("GET", f"{base}/{started['id']}")
    assert done["status"] == "complete" and done["percentComplete"] == 100
    assert done["contacts"]["count"] == {"added": 1, "updated": 1, "failed": 1}
    assert done["transactions"]["count"] == {"created": 2}
    summary = api.ok("GET", f"{base}/{started['id']}/summary")
    assert summary["invalidEmails"] == ["not-an-email"]
    members_after, _ = api.collect(f"/directories/{pool}/mailinglists/{beta}/contacts")
    assert len(members_after) == len(members_before) + 1
    assert api.get(f"{base}/PGR_xxxxxxxxxxxxxxx").status_code == 404


def test_import_into_a_transaction_batch_then_send_to_the_batch(api, pool, acme, sandbox):
    sandbox.configure(job_seconds=0)
    batch = api.ok("POST", f"/directories/{pool}/transactionbatches", {"createdDate": "2025-05-01T00:00:00Z"})["id"]
    beta = list_id(acme, "Beta testers")
    body = {"contacts": [{"email": f"batch{n}@example.com", "transactionData": {"n": str(n)}} for n in range(3)],
            "transactionMeta": {"batchId": batch, "fields": ["n"]}}
    started = api.ok("POST", f"/directories/{pool}/mailinglists/{beta}/transactioncontacts", body)
    assert started["status"] == "complete"
    got = api.ok("GET", f"/directories/{pool}/transactionbatches/{batch}")
    assert got["id"] == batch and len(got["transactionIds"]) == 3
    assert got["creationDate"] == "2025-05-01T00:00:00Z"
    assert batch in {b["id"] for b in api.ok("GET", f"/directories/{pool}/transactionbatches")["elements"]}
    bad = dict(body, transactionMeta={"batchId": "BT_xxxxxxxxxxxxxxx"})
    assert api.post(f"/directories/{pool}/mailinglists/{beta}/transactioncontacts", bad).status_code == 404

    survey = survey_id(acme, "Customer Satisfaction 2025")
    distribution = api.ok("POST", "/distributions", {
        "message": {"messageText": "Hello"}, "recipients": {"transactionBatchId": batch},
        "header": {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme", "subject": "Hi"},
        "surveyLink": {"surveyId": survey}, "sendDate": "2020-01-01T00:00:00Z"})["id"]
    history = api.ok("GET", f"/distributions/{distribution}/history")["elements"]
    assert len(history) == 3
    assert api.ok("GET", f"/distributions/{distribution}", params={"surveyId": survey})["stats"]["sent"] == 3


def test_doubled_and_trailing_slashes_are_answered_as_single(api, pool, sandbox):
    # Widely used clients join `…/directories/{id}/` with `/contacts`; Qualtrics treats `//` as `/`.
    created = api.ok("POST", f"/directories/{pool}//contacts", {"firstName": "Ada", "email": "ada.slash@example.com"})
    assert api.ok("GET", f"/directories/{pool}//contacts/{created['id']}")["email"] == "ada.slash@example.com"
    listed = api.ok("GET", f"/directories/{pool}//contacts", params={"pageSize": 5})
    assert len(listed["elements"]) == 5
    assert "//" not in listed["nextPage"].split("://", 1)[1]
    made = api.ok("POST", f"/directories/{pool}//mailinglists/", {"name": "Slashed list"})
    assert made["id"].startswith("CG_")
    lists = api.ok("GET", f"/directories/{pool}//mailinglists")["elements"]
    assert "Slashed list" in {row["name"] for row in lists}
    assert api.ok("GET", f"//directories/{pool}/mailinglists/{made['id']}/")["name"] == "Slashed list"
    missing = api.get(f"/directories/{pool}//nothing-here")
    assert missing.status_code == 404
    shown = f"/API/v3/directories/{pool}//nothing-here"
    assert error_of(missing) == {"errorMessage": f"API call does not exist: GET {shown}"}
