"""Sorting a list of the portal's own records by its column headings (web.sorting and the generic list view)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from web.crud import Column, CrudListView, queryset_page
from web.sorting import Sort, heading, sort_from


class TestSortFrom:
    def test_a_key_the_list_offers_ascending_or_descending(self):
        assert sort_from("name", ["name", "date_joined"]) == Sort("name")
        assert sort_from("-date_joined", ["name", "date_joined"]) == Sort("date_joined", descending=True)

    @pytest.mark.parametrize("value", ["", None, "-", "password", "-password", "name__startswith", "--name"])
    def test_anything_else_keeps_the_lists_own_order(self, value):
        assert sort_from(value, ["name", "date_joined"]) is None


class TestHeading:
    @staticmethod
    def query(**params) -> str:
        q = QueryDict(mutable=True)
        q.update({"q": "kim", **params})
        return q.urlencode()

    def test_the_first_click_sorts_ascending_the_next_the_other_way(self):
        assert heading("Name", "name", None, self.query) == {
            "label": "Name", "aria_sort": "none", "query": "q=kim&sort=name", "css": ""}
        assert heading("Name", "name", Sort("name"), self.query)["query"] == "q=kim&sort=-name"
        assert heading("Name", "name", Sort("name"), self.query)["aria_sort"] == "ascending"
        assert heading("Name", "name", Sort("name", descending=True), self.query)["query"] == "q=kim&sort=name"
        assert heading("Name", "name", Sort("name", descending=True), self.query)["aria_sort"] == "descending"
        assert heading("Name", "name", Sort("date_joined"), self.query)["aria_sort"] == "none"

    def test_a_column_without_a_key_is_plain_text(self):
        assert heading("Groups", "", Sort("name"), self.query, "text-end") == {
            "label": "Groups", "aria_sort": "", "query": "", "css": "text-end"}


@pytest.mark.django_db
class TestGenericListWithoutSearchForm:
    class People(CrudListView):
        can_write = False
        default_page_size = 25
        columns = [Column("User", "username", sort="username"), Column("Last name", "last_name"),
                   Column("Joined", "date_joined", sort="date_joined")]

        def fetch_page(self, *, cursor, page_size, search):
            return queryset_page(self.sorted(get_user_model().objects.order_by("pk")), cursor=cursor,
                                 page_size=page_size)

    def get(self, query: str) -> str:
        request = RequestFactory().get(f"/people/?{query}", HTTP_HX_REQUEST="true")
        request.htmx = HtmxDetails(request)
        return self.People.as_view()(request).content.decode()

    def test_it_sorts_and_the_page_size_keeps_the_order(self):
        for name in ("carol", "alice", "bob"):
            get_user_model().objects.create(username=name, last_name=name.title())
        rows = lambda html: re.findall(r"<td>(alice|bob|carol)</td>", html)  # noqa: E731
        assert rows(self.get("")) == ["carol", "alice", "bob"]
        assert rows(self.get("sort=username")) == ["alice", "bob", "carol"]
        html = self.get("sort=-username")
        assert rows(html) == ["carol", "bob", "alice"]
        assert """hx-vals='{"sort": "-username"}'""" in html  # the page-size select sends the order along
        assert 'aria-sort="descending"' in html and html.count("aria-sort=") == 2  # "Last name" cannot be sorted
        assert rows(self.get("sort=last_name")) == ["carol", "alice", "bob"]  # not offered: ignored
