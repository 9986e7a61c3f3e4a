"""Following ``nextPage`` for both pagination styles, single pages for the UI, page-size caps."""

from __future__ import annotations

import base64

import pytest

from qualtrics import InvalidResponseError, Page

from .fakes import BASE_URL, envelope

DIRECTORY = "POOL_123456789012345"
MAILING_LIST = "CG_123456789012345"


def paged(prefix: str, total: int, size: int, style: str, path: str, keep_params: str = ""):
    """A responder serving ``total`` elements ``size`` at a time, with nextPage URLs in ``style``."""

    def respond(sent):
        if style == "offset":
            start = int(sent.param("offset") or 0)
        else:
            token = sent.param("skipToken")
            start = int(base64.b64decode(token).decode()) if token else 0
        end = min(start + size, total)
        elements = [{"id": f"{prefix}{n:05d}"} for n in range(start, end)]
        next_page = None
        if end < total:
            if style == "offset":
                next_page = f"{BASE_URL}{path}?offset={end}{keep_params}"
            else:
                token = base64.b64encode(str(end).encode()).decode()
                query = "&".join(filter(None, [keep_params.lstrip("&"), f"skipToken={token}"]))
                next_page = f"{BASE_URL}{path}?{query}"
        return envelope({"elements": elements, "nextPage": next_page})

    return respond


class TestIterators:
    def test_it_follows_skip_tokens_across_many_pages(self, client, transport):
        path = f"/directories/{DIRECTORY}/contacts"
        transport.on(
            "GET",
            path,
            paged("CID_", 2345, 100, "skipToken", path, "&pageSize=100&useNewPaginationScheme=true"),
        )
        ids = [c["id"] for c in client.contacts.list(DIRECTORY).iter_all()]
        assert ids == [f"CID_{n:05d}" for n in range(2345)]
        assert len(transport.sent) == 24
        first, *_rest = transport.sent
        assert first.param("pageSize") == "100"
        assert first.param("useNewPaginationScheme") == "true"
        assert first.param("skipToken") is None

    def test_it_requests_next_page_urls_verbatim(self, client, transport):
        path = "/users"
        transport.on("GET", path, paged("UR_", 350, 100, "offset", path, "&extra=kept%20as-is"))
        list(client.users.list().iter_all())
        urls = [sent.url for sent in transport.sent]
        assert urls == [
            f"{BASE_URL}/users",
            f"{BASE_URL}/users?offset=100&extra=kept%20as-is",
            f"{BASE_URL}/users?offset=200&extra=kept%20as-is",
            f"{BASE_URL}/users?offset=300&extra=kept%20as-is",
        ]

    @pytest.mark.parametrize(
        ("iterate", "path", "style"),
        [
            (lambda c: c.users.list().iter_all(), "/users", "offset"),
            (lambda c: c.groups.list().iter_all(), "/groups", "offset"),
            (
                lambda c: c.groups.members.list("GR_123456789012345").iter_all(),
                "/groups/GR_123456789012345/members",
                "offset",
            ),
            (lambda c: c.surveys.list().iter_all(), "/surveys", "offset"),
            (lambda c: c.libraries.list().iter_all(), "/libraries", "offset"),
            (
                lambda c: c.libraries.messages.list("UR_123456789012345", category="invite").iter_all(),
                "/libraries/UR_123456789012345/messages",
                "offset",
            ),
            (lambda c: c.directories.list().iter_all(), "/directories", "skipToken"),
            (
                lambda c: c.mailing_lists.list(DIRECTORY).iter_all(),
                f"/directories/{DIRECTORY}/mailinglists",
                "skipToken",
            ),
            (
                lambda c: c.mailing_lists.members.list(DIRECTORY, MAILING_LIST).iter_all(),
                f"/directories/{DIRECTORY}/mailinglists/{MAILING_LIST}/contacts",
                "skipToken",
            ),
            (
                lambda c: c.mailing_lists.members.list_bounced(DIRECTORY, MAILING_LIST).iter_all(),
                f"/directories/{DIRECTORY}/mailinglists/{MAILING_LIST}/bouncedContacts",
                "skipToken",
            ),
            (
                lambda c: c.mailing_lists.members.list_opted_out(DIRECTORY, MAILING_LIST).iter_all(),
                f"/directories/{DIRECTORY}/mailinglists/{MAILING_LIST}/optedOutContacts",
                "skipToken",
            ),
            (
                lambda c: c.contacts.list(DIRECTORY, include_embedded=True).iter_all(),
                f"/directories/{DIRECTORY}/contacts",
                "skipToken",
            ),
            (lambda c: c.distributions.list(survey_id="SV_123456789012345").iter_all(), "/distributions", "skipToken"),
            (
                lambda c: c.distributions.list_history("EMD_123456789012345").iter_all(),
                "/distributions/EMD_123456789012345/history",
                "skipToken",
            ),
            (
                # A page fetched by its URL (a cursor handed back by a screen) goes on from there.
                lambda c: c.users.list(page_url=f"{BASE_URL}/users?offset=0").iter_all(),
                "/users",
                "offset",
            ),
            (
                lambda c: c.sms_distributions.list(survey_id="SV_123456789012345").iter_all(),
                "/distributions/sms",
                "skipToken",
            ),
            (lambda c: c.with_options(timeout=3).groups.list().iter_all(), "/groups", "offset"),
        ],
    )
    def test_every_iterator_reads_every_page(self, client, transport, iterate, path, style):
        transport.on("GET", path, paged("X_", 257, 20, style, path))
        assert len(list(iterate(client))) == 257
        assert len(transport.sent) == 13
        assert all(sent.path == path for sent in transport.sent)

    def test_it_stops_when_next_page_is_absent_or_empty(self, client, transport):
        transport.on(
            "GET",
            "/groups",
            envelope({"elements": [{"id": "GR_1"}], "nextPage": f"{BASE_URL}/groups?offset=1"}),
            envelope({"elements": [], "nextPage": ""}),
        )
        assert [g["id"] for g in client.groups.list().iter_all()] == ["GR_1"]
        transport.on("GET", "/surveys", envelope({"elements": [{"id": "SV_1"}]}))
        assert [s["id"] for s in client.surveys.list().iter_all()] == ["SV_1"]

    def test_it_refuses_to_go_round_in_circles(self, client, transport):
        loop = f"{BASE_URL}/users?offset=100"
        transport.on("GET", "/users", envelope({"elements": [{"id": "UR_1"}], "nextPage": loop}))
        with pytest.raises(InvalidResponseError):
            list(client.users.list().iter_all())
        assert len(transport.sent) == 2

    def test_following_pages_are_read_only_when_reached(self, client, transport):
        path = "/surveys"
        transport.on("GET", path, paged("SV_", 1000, 100, "offset", path))
        iterator = client.surveys.list().iter_all()
        assert len(transport.sent) == 1
        assert [next(iterator)["id"] for _ in range(100)][-1] == "SV_00099"
        assert len(transport.sent) == 1
        assert [next(iterator)["id"] for _ in range(50)][-1] == "SV_00149"
        assert len(transport.sent) == 2


class TestSinglePages:
    def test_a_page_and_the_url_of_the_next(self, client, transport):
        path = f"/directories/{DIRECTORY}/contacts"
        transport.on("GET", path, paged("CID_", 120, 50, "skipToken", path, "&pageSize=50"))
        first = client.contacts.list(DIRECTORY, page_size=50)
        assert isinstance(first, Page)
        next_url = first.next_page
        assert len(first.items) == 50 and next_url.startswith(BASE_URL)
        assert transport.sent[0].param("pageSize") == "50"
        second = client.contacts.list(DIRECTORY, page_url=next_url)
        assert second.items[0]["id"] == "CID_00050"
        assert transport.sent[1].url == next_url
        # Going back is asking for a URL seen before.
        again = client.contacts.list(DIRECTORY, page_url=next_url)
        assert again.items == second.items
        last = client.contacts.list(DIRECTORY, page_url=second.next_page)
        assert len(last.items) == 20 and last.next_page is None

    @pytest.mark.parametrize(
        ("call", "path", "expected"),
        [
            (
                lambda c: c.mailing_lists.members.list(DIRECTORY, MAILING_LIST, page_size=500),
                f"/directories/{DIRECTORY}/mailinglists/{MAILING_LIST}/contacts",
                "50",
            ),
            (
                lambda c: c.mailing_lists.members.list_bounced(DIRECTORY, MAILING_LIST, page_size=75),
                f"/directories/{DIRECTORY}/mailinglists/{MAILING_LIST}/bouncedContacts",
                "50",
            ),
            (
                lambda c: c.contacts.list(DIRECTORY, page_size=1000),
                f"/directories/{DIRECTORY}/contacts",
                "100",
            ),
            (lambda c: c.mailing_lists.list(DIRECTORY, page_size=0), f"/directories/{DIRECTORY}/mailinglists", "1"),
            (
                lambda c: c.distributions.list(survey_id="SV_1", page_size=250),
                "/distributions",
                "100",
            ),
            (lambda c: c.users.list(page_size=101), "/users", "100"),
            (lambda c: c.users.list(), "/users", None),
        ],
    )
    def test_page_sizes_respect_each_routes_cap(self, client, transport, call, path, expected):
        transport.on("GET", path, envelope({"elements": [], "nextPage": None}))
        call(client)
        assert transport.sent[0].param("pageSize") == expected

    def test_the_new_pagination_scheme_is_asked_for_where_offered(self, client, transport):
        transport.on("GET", "/{any}", envelope({"elements": [], "nextPage": None}))
        transport.on("GET", "/{a}/{b}/{c}", envelope({"elements": [], "nextPage": None}))
        transport.on("GET", "/{a}/{b}/{c}/{d}/{e}", envelope({"elements": [], "nextPage": None}))
        client.contacts.list(DIRECTORY)
        client.mailing_lists.list(DIRECTORY)
        client.mailing_lists.members.list(DIRECTORY, MAILING_LIST)
        client.distributions.list(survey_id="SV_1")
        client.users.list()
        client.groups.list()
        flags = [sent.param("useNewPaginationScheme") for sent in transport.sent]
        assert flags == ["true", "true", "true", "true", None, None]

    def test_search_pages_with_the_skip_token_it_returns(self, client, transport):
        path = f"/directories/{DIRECTORY}/contacts/search"
        bodies = []

        def respond(sent):
            bodies.append(sent.body)
            token = sent.param("skipToken")
            start = int(base64.b64decode(token)) if token else 0
            elements = [{"id": f"CID_{n}"} for n in range(start, min(start + 100, 250))]
            result = {"elements": elements}
            if len(elements) == 100:
                result["skipToken"] = base64.b64encode(str(start + 100).encode()).decode()
            return envelope(result)

        transport.on("POST", path, respond)
        search = {"filterType": "lastName", "comparison": "eq", "value": "Smith"}
        found = list(client.contacts.search(DIRECTORY, filter=search, include_embedded=True).iter_all())
        assert len(found) == 250
        assert [sent.param("skipToken") for sent in transport.sent] == [None, "MTAw", "MjAw"]
        assert all(body == {"filter": search} for body in bodies)
        assert transport.sent[0].param("includeEmbedded") == "true"

    def test_search_also_reads_a_next_page_url(self, client, transport):
        transport.on(
            "POST",
            f"/directories/{DIRECTORY}/contacts/search",
            envelope({"elements": [{"id": "CID_1"}], "nextPage": f"{BASE_URL}/x?pageSize=1&skipToken=NQ=="}),
        )
        page = client.contacts.search(DIRECTORY, filter={"filterType": "email", "value": "a@b.c"})
        assert page == Page([{"id": "CID_1"}], "NQ==")

    def test_a_malformed_list_is_an_error(self, client, transport):
        transport.on("GET", "/users", envelope({"elements": "nope"}))
        with pytest.raises(InvalidResponseError):
            client.users.list()


class TestPage:
    def test_a_last_page_yields_its_items_and_fetches_nothing(self):
        def fetch(url):
            raise AssertionError(f"fetched {url}")

        assert list(Page([{"id": "UR_1"}, {"id": "UR_2"}], None, fetch_next=fetch).iter_all()) == [
            {"id": "UR_1"},
            {"id": "UR_2"},
        ]

    def test_pages_compare_by_items_and_next_page_only(self):
        assert Page([{"id": "UR_1"}], "next", fetch_next=lambda url: Page([])) == Page([{"id": "UR_1"}], "next")

    def test_a_page_built_by_hand_cannot_go_on(self):
        with pytest.raises(InvalidResponseError):
            list(Page([{"id": "UR_1"}], f"{BASE_URL}/users?offset=1").iter_all())
