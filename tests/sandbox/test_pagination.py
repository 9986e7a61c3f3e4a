"""Both pagination styles: absolute nextPage URLs, page-size caps, every item exactly once, search limits."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from .conftest import error_of, list_id, survey_id


def test_offset_style_pages_users(api, sandbox):
    result = api.ok("GET", "/users", params={"pageSize": 7})
    assert len(result["elements"]) == 7
    assert result["nextPage"].startswith(f"{sandbox.base_url}/users?")
    assert parse_qs(urlsplit(result["nextPage"]).query) == {"pageSize": ["7"], "offset": ["7"]}
    users, pages = api.collect("/users", params={"pageSize": 7})
    assert pages == 3
    assert len(users) == 20
    assert len({u["id"] for u in users}) == 20


def test_skip_token_style_pages_directory_contacts(api, acme, sandbox):
    pool = acme["defaultDirectoryId"]
    first = api.ok("GET", f"/directories/{pool}/contacts", params={"pageSize": 60})
    assert len(first["elements"]) == 60
    next_page = urlsplit(first["nextPage"])
    assert first["nextPage"].startswith(f"{sandbox.base_url}/directories/{pool}/contacts?")
    assert "skipToken" in parse_qs(next_page.query)
    assert "offset" not in parse_qs(next_page.query)
    contacts, pages = api.collect(f"/directories/{pool}/contacts", params={"pageSize": 60})
    assert pages == 9
    assert len(contacts) == 500
    assert len({c["contactId"] for c in contacts}) == 500


def test_last_page_has_null_next_page(api, acme):
    result = api.ok("GET", f"/directories/{acme['defaultDirectoryId']}/mailinglists")
    assert result["nextPage"] is None
    assert len(result["elements"]) == 5


def test_page_size_caps(api, acme, sandbox):
    pool = acme["defaultDirectoryId"]
    newsletter = list_id(acme, "Newsletter subscribers")
    members = api.ok("GET", f"/directories/{pool}/mailinglists/{newsletter}/contacts", params={"pageSize": 200})
    assert len(members["elements"]) == 50
    default = api.ok("GET", f"/directories/{pool}/mailinglists/{newsletter}/contacts")
    assert len(default["elements"]) == 50
    contacts = api.ok("GET", f"/directories/{pool}/contacts", params={"pageSize": 1000})
    assert len(contacts["elements"]) == 100
    assert len(api.ok("GET", "/users", params={"pageSize": 500})["elements"]) == 20
    all_members, pages = api.collect(f"/directories/{pool}/mailinglists/{newsletter}/contacts")
    assert (len(all_members), pages) == (200, 4)

    sandbox.configure(page_size_over_cap="error")
    response = api.get(f"/directories/{pool}/mailinglists/{newsletter}/contacts", params={"pageSize": 51})
    assert response.status_code == 400
    assert "50" in error_of(response)["errorMessage"]


def test_bad_paging_parameters_are_400(api, acme):
    pool = acme["defaultDirectoryId"]
    assert api.get(f"/directories/{pool}/contacts", params={"pageSize": "ten"}).status_code == 400
    assert api.get(f"/directories/{pool}/contacts", params={"pageSize": 0}).status_code == 400
    assert api.get(f"/directories/{pool}/contacts", params={"skipToken": "%%%"}).status_code == 400
    assert api.get("/users", params={"offset": -3}).status_code == 400


def test_next_page_keeps_other_query_parameters(api, acme):
    pool = acme["defaultDirectoryId"]
    result = api.ok("GET", f"/directories/{pool}/contacts", params={"includeEmbedded": "true", "pageSize": 10})
    assert "embeddedData" in result["elements"][0]
    second = api.ok("GET", result["nextPage"])
    assert "embeddedData" in second["elements"][0]
    assert len(second["elements"]) == 10


def test_offset_style_on_groups_members_libraries_messages_surveys(api):
    group = api.ok("GET", "/groups")["elements"][0]["id"]
    members, _ = api.collect(f"/groups/{group}/members", params={"pageSize": 2})
    assert len(members) == len({m["id"] for m in members}) >= 3
    library = api.ok("GET", "/libraries")["elements"][0]["libraryId"]
    messages, pages = api.collect(f"/libraries/{library}/messages", params={"pageSize": 4})
    assert len(messages) == 9
    assert pages == 3
    surveys, pages = api.collect("/surveys", params={"pageSize": 2})
    assert (len(surveys), pages) == (3, 2)


def test_distribution_lists_use_skip_tokens(api, acme):
    survey = survey_id(acme, "Customer Satisfaction 2025")
    first = api.ok("GET", "/distributions", params={"surveyId": survey, "pageSize": 1})
    assert "skipToken=" in first["nextPage"]
    everything, pages = api.collect("/distributions", params={"surveyId": survey, "pageSize": 1})
    assert pages == 2
    history, _ = api.collect(f"/distributions/{everything[0]['id']}/history", params={"pageSize": 7})
    assert len(history) == 20


def search(api, pool, body, **params):
    return api.post(f"/directories/{pool}/contacts/search", body, params=params)


def test_search_skip_token_only_on_full_pages(api, acme):
    pool = acme["defaultDirectoryId"]
    body = {"filter": {"filterType": "email", "comparison": "contains", "value": "@"}}
    matches = search(api, pool, body).json()["result"]
    assert len(matches["elements"]) == 100
    assert base64.b64decode(matches["skipToken"]) == b"100"
    seen = {e["id"] for e in matches["elements"]}
    token = matches["skipToken"]
    while token:
        page = search(api, pool, body, skipToken=token).json()["result"]
        seen |= {e["id"] for e in page["elements"]}
        token = page.get("skipToken")
        if token:
            assert len(page["elements"]) == 100
        else:
            assert len(page["elements"]) < 100
            assert page["nextPage"] is None
    expected = sum(1 for c in api.collect(f"/directories/{pool}/contacts")[0] if c["email"])
    assert len(seen) == expected


def test_search_cannot_page_past_ten_thousand(api, acme, control):
    pool = acme["defaultDirectoryId"]
    assert control.post("/_sandbox/contacts", {"count": 10_050}).json()["contactCount"] == 10_550
    body = {"filter": {"filterType": "firstName", "comparison": "eq", "value": "Bulk"}}
    near_end = search(api, pool, body, skipToken=base64.b64encode(b"9950").decode()).json()["result"]
    assert len(near_end["elements"]) == 50
    beyond = search(api, pool, body, skipToken=near_end["skipToken"])
    assert beyond.status_code == 400
    assert "10,000" in error_of(beyond)["errorMessage"]
