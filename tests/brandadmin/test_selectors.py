"""Reads for the brand administration screens: filtering lists Qualtrics cannot filter, and the cache."""

from __future__ import annotations

import pytest

from brandadmin import selectors
from brandadmin.selectors import ScanCursor, scan


def pages_of(items, size):
    """A fake Qualtrics list: fetch(url) -> (elements, next url), with the calls it served."""
    urls = [None] + [f"https://x/API/v3/users?offset={i}" for i in range(size, len(items), size)]
    calls = []

    def fetch(url):
        calls.append(url)
        index = urls.index(url)
        following = urls[index + 1] if index + 1 < len(urls) else None
        return items[index * size:(index + 1) * size], following

    fetch.calls = calls
    return fetch


def evens(item):
    return item["n"] % 2 == 0


class TestScan:
    items = [{"n": n} for n in range(10)]

    def test_it_stops_mid_page_and_resumes_exactly_there(self):
        fetch = pages_of(self.items, 4)
        first = scan(fetch, evens, start=ScanCursor(), want=3)
        assert [i["n"] for i in first.items] == [0, 2, 4]
        assert (first.next_cursor.url, first.next_cursor.skip, first.checked) == (
            "https://x/API/v3/users?offset=4", 1, 5)
        second = scan(fetch, evens, start=ScanCursor.loads(first.next_cursor.dumps()), want=3)
        assert [i["n"] for i in second.items] == [6, 8]
        assert second.next_cursor is None and second.complete and second.checked == 10

    def test_it_hands_over_to_the_next_page_when_a_page_ends_on_a_match(self):
        fetch = pages_of(self.items, 4)
        result = scan(fetch, lambda i: i["n"] in (2, 3), start=ScanCursor(), want=2)
        assert [i["n"] for i in result.items] == [2, 3]
        assert result.next_cursor.url.endswith("offset=4") and result.next_cursor.skip == 0
        assert not result.complete

    def test_it_reads_at_most_max_pages_per_call(self):
        fetch = pages_of(self.items, 2)
        result = scan(fetch, lambda i: i["n"] == 9, start=ScanCursor(), want=5, max_pages=2)
        assert result.items == [] and not result.complete and result.checked == 4
        assert result.next_cursor.url.endswith("offset=4")
        assert len(fetch.calls) == 2

    def test_it_says_complete_when_the_last_page_is_read(self):
        result = scan(pages_of(self.items, 4), evens, start=ScanCursor(), want=50)
        assert len(result.items) == 5 and result.complete and result.next_cursor is None

    @pytest.mark.parametrize("garbage", [None, "", "https://x/API/v3/users?offset=4", "scan:x:y", "scan:1"])
    def test_it_starts_over_on_a_cursor_it_did_not_make(self, garbage):
        assert ScanCursor.loads(garbage) == ScanCursor()

    def test_it_round_trips_a_cursor_with_a_url_containing_colons(self):
        cursor = ScanCursor("https://h:8000/API/v3/users?offset=100", 7, 123)
        assert ScanCursor.loads(cursor.dumps()) == cursor


class TestUserSelectors:
    def test_it_pages_unfiltered_lists_with_qualtrics_own_cursor(self, team):
        kwargs = {"connection": team.connection, "actor": team.owner}
        first = selectors.user_list(**kwargs, cursor=None, page_size=8)
        assert len(first.items) == 8 and "offset=8" in first.next_page and not first.notice
        second = selectors.user_list(**kwargs, cursor=first.next_page, page_size=8)
        assert not {u["id"] for u in first.items} & {u["id"] for u in second.items}

    def test_it_caches_filter_pages_for_a_minute_and_forgets_them_after_a_write(self, team):
        kwargs = {"connection": team.connection, "actor": team.owner}
        selectors.user_list(**kwargs, cursor=None, page_size=10, query="a")
        selectors.user_list(**kwargs, cursor=None, page_size=10, query="ab")
        assert len(team.sandbox.calls(method="GET", path_contains="/users")) == 1
        selectors.cache_forget(team.connection)
        selectors.user_list(**kwargs, cursor=None, page_size=10, query="ab")
        assert len(team.sandbox.calls(method="GET", path_contains="/users")) == 2

    def test_it_learns_user_types_languages_and_divisions_from_existing_users(self, team, acme):
        choices = selectors.user_form_choices(connection=team.connection, actor=team.owner)
        assert set(choices.user_types.ids()) == set(acme["userTypes"])
        counts = dict(choices.user_types.values)
        assert counts["UT_BRANDADMIN"] == 2  # Dana and Priya
        assert choices.user_types.complete
        assert set(choices.languages.ids()) <= {"en"}  # the list carries no language: nothing invented
        assert set(choices.divisions.ids()) == set(acme["divisions"])

    def test_it_finds_the_groups_of_a_user(self, team, users_by_name):
        found = selectors.user_groups(connection=team.connection, actor=team.owner,
                                      user_id=users_by_name["sam.ortiz"]["id"])
        assert sorted(g["name"] for g in found.groups) == ["CX Team", "Support Leads"]
        assert found.complete and found.checked == 5
        nobody = selectors.user_groups(connection=team.connection, actor=team.owner,
                                       user_id=users_by_name["dana.whitfield"]["id"])
        assert nobody.groups == []

    def test_it_says_when_it_checked_only_the_first_groups(self, team, users_by_name, monkeypatch):
        monkeypatch.setattr(selectors, "MEMBERSHIP_MAX_GROUPS", 2)
        found = selectors.user_groups(connection=team.connection, actor=team.owner,
                                      user_id=users_by_name["sam.ortiz"]["id"])
        assert [g["name"] for g in found.groups] == ["CX Team"]  # Support Leads is the fourth group
        assert (found.checked, found.complete) == (2, False)

    def test_it_searches_users_for_the_picker_leaving_some_out(self, team, users_by_name):
        found = selectors.user_search(connection=team.connection, actor=team.owner, query="be", limit=10,
                                      exclude=[users_by_name["marcus.bell"]["id"]])
        names = {u["lastName"] for u in found.items}
        assert "Bell" not in names and {"Bello", "Becker"} <= names


class TestGroupSelectors:
    def test_it_filters_groups_by_name(self, team):
        page = selectors.group_list(connection=team.connection, actor=team.owner, cursor=None, page_size=50,
                                    query="ops")
        assert [g["name"] for g in page.items] == ["Research Ops"]
        assert "Qualtrics cannot search groups" in page.notice

    def test_it_sorts_groups_for_choosing_and_lists_group_types(self, team, acme):
        groups = selectors.group_all(connection=team.connection, actor=team.owner)
        assert [g["name"] for g in groups] == sorted(g["name"] for g in groups)
        types = selectors.group_types_seen(connection=team.connection, actor=team.owner)
        assert set(types.ids()) == set(acme["groupTypes"])
