"""Pagination across many pages against the sandbox, over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from qualtrics import QualtricsClient


@pytest.fixture
def empty(sandbox, control):
    """The empty seed: brands, users and directories, no contacts or lists."""
    sandbox.reset("empty")
    brand = sandbox.brand("acme")
    return brand, brand["defaultDirectoryId"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class TestManyPages:
    def test_directory_contacts_over_thirteen_pages(self, sandbox, control, empty):
        _brand, directory = empty
        control.post("contacts", count=1234)
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token)
        ids = [c["contactId"] for c in client.contacts.list(directory).iter_all()]
        assert len(ids) == len(set(ids)) == 1234
        calls = sandbox.calls("GET", f"/directories/{directory}/contacts")
        assert len(calls) == 13
        queries = [dict(query_of("?" + c["query"])) for c in calls]
        assert all(q["pageSize"] == "100" and q["useNewPaginationScheme"] == "true" for q in queries)
        assert "skipToken" not in queries[0] and all("skipToken" in q for q in queries[1:])

    def test_mailing_list_contacts_are_capped_at_fifty_a_page(self, sandbox, control, empty):
        _brand, directory = empty
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token)
        mailing_list = client.mailing_lists.create(directory, name="Big list")["id"]
        control.post("contacts", count=620, mailingListId=mailing_list)
        first = client.mailing_lists.members.list(directory, mailing_list, page_size=500)
        assert len(first.items) == 50
        members = client.mailing_lists.members.list(directory, mailing_list, page_size=200).iter_all()
        members = [c["contactId"] for c in members]
        assert len(members) == len(set(members)) == 620
        pages = sandbox.calls("GET", f"/mailinglists/{mailing_list}/contacts")
        assert len(pages) == 1 + 13
        assert all(query_of("?" + c["query"])["pageSize"] == "50" for c in pages)

    def test_offset_pages_for_users(self, sandbox):
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token)
        users = [u["id"] for u in client.users.list(page_size=1).iter_all()]
        assert len(users) == len(set(users)) == sandbox.brand("acme")["counts"]["users"]
        offsets = [query_of("?" + c["query"]).get("offset") for c in sandbox.calls("GET", "/users")]
        assert offsets == [None] + [str(n) for n in range(1, len(users))]

    def test_search_over_many_pages(self, sandbox, control, empty):
        _brand, directory = empty
        control.post("contacts", count=1050)
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token)
        found = list(
            client.contacts.search(
                directory, filter={"filterType": "firstName", "comparison": "eq", "value": "Bulk"}
            ).iter_all()
        )
        assert len({c["id"] for c in found}) == 1050
        assert len(sandbox.calls("POST", "/contacts/search")) == 11

    def test_a_ui_can_page_forward_and_back(self, sandbox, control, empty):
        _brand, directory = empty
        control.post("contacts", count=260)
        client = QualtricsClient(sandbox.base_url, sandbox.admin_token)
        visited = [None]
        pages = []
        page = client.contacts.list(directory, page_size=50)
        while True:
            pages.append([c["contactId"] for c in page.items])
            if not page.next_page:
                break
            visited.append(page.next_page)
            page = client.contacts.list(directory, page_url=page.next_page)
        assert [len(p) for p in pages] == [50, 50, 50, 50, 50, 10]
        # "Previous" is the URL before the current one; asking for it again gives the same page.
        again = client.contacts.list(directory, page_url=visited[2])
        assert [c["contactId"] for c in again.items] == pages[2]
        first = client.contacts.list(directory, page_size=50, page_url=visited[0])
        assert [c["contactId"] for c in first.items] == pages[0]
