"""The shared list machinery: how table cells are written, reads started in the background, and paging."""

from __future__ import annotations

import threading

import pytest
from django.utils import timezone
from django.utils.html import format_html

from qualtrics import Page
from tests.fixtures.cache import clear_own_cache
from web import background
from web.crud import Column, value_of
from web.list_table import RenderedLast
from web.templatetags.crud import cell_html, crud_rows


class TestCells:
    def test_text_is_escaped_and_safe_html_is_kept(self):
        assert cell_html('<script>alert("x")</script> & co', "text") == (
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
        )
        assert cell_html(format_html("<b>{}</b>", "<i>"), "text") == "<b>&lt;i&gt;</b>"

    @pytest.mark.parametrize(("value", "kind", "html"), [
        (None, "text", '<span class="text-body-secondary">—</span>'),
        ("", "mono", '<span class="text-body-secondary">—</span>'),
        ("CID_1<", "mono", '<span class="mono">CID_1&lt;</span>'),
        ("en'", "badge", '<span class="badge badge-soft-muted">en&#x27;</span>'),
        (True, "bool", '<span class="badge badge-soft-warn">Yes</span>'),
        (None, "bool", '<span class="badge badge-soft-muted">No</span>'),
        (1234567, "number", "1,234,567"),
        (0, "number", "0"),
        ("2026-03-04T05:06:07Z", "date", "4 Mar 2026"),
        (1772600767000, "datetime", "4 Mar 2026 05:06"),
    ])
    def test_each_kind(self, value, kind, html):
        with timezone.override("UTC"):
            assert cell_html(value, kind) == html

    def test_rows_link_the_linked_column_and_escape_the_url(self):
        columns = [Column("Name", "name", link=True), Column("Phone", "phone", kind="mono", css="text-end")]
        rows = [{"url": "/c/1/x?a=1&b=2", "item": {"name": "<Ann>", "phone": None}}]
        assert crud_rows(rows, columns) == (
            '<tr><td><a href="/c/1/x?a=1&amp;b=2">&lt;Ann&gt;</a></td><td class="text-end">'
            '<span class="text-body-secondary">—</span></td></tr>'
        )
        assert crud_rows([], columns) == ""

    def test_values_come_from_keys_paths_and_callables(self):
        item = {"name": "Ann", "stats": {"sent": 3}, "label": lambda: "called"}
        assert value_of(item, "name") == "Ann" and value_of(item, "missing") is None
        assert value_of(item, "stats.sent") == 3 and value_of(item, "stats.none.deeper") is None
        assert value_of(item, "label") == "called" and value_of(item, lambda i: i["name"].upper()) == "ANN"


class TestPerProcess:
    def test_one_value_per_process(self, monkeypatch):
        from web import per_process

        shared = per_process.PerProcess(object)
        first = shared.get()
        assert shared.get() is first
        monkeypatch.setattr(per_process.os, "getpid", lambda: -1)  # as in a forked worker
        assert shared.get() is not first


class TestBackground:
    def test_it_runs_on_another_thread_and_hands_back_the_result_or_the_error(self):
        assert background.start(threading.get_ident).result(timeout=5) != threading.get_ident()
        assert background.start(lambda a, b=0: a + b, 2, b=3).result(timeout=5) == 5
        with pytest.raises(ZeroDivisionError):
            background.start(lambda: 1 / 0).result(timeout=5)

    def test_start_request_returns_once_the_request_has_left(self):
        steps = []
        leave = threading.Event()

        def read():
            steps.append("preparing")
            background.request_sent()
            leave.wait(timeout=5)  # the wait for Qualtrics' answer
            return "answer"

        future = background.start_request(read)
        assert steps == ["preparing"] and not future.done()  # back once the request left, not at the answer
        leave.set()
        assert future.result(timeout=5) == "answer"
        assert background.start_request(lambda: 7).result(timeout=5) == 7  # one that sends nothing ends

    def test_the_shared_session_says_when_a_request_leaves(self, sandbox, monkeypatch):
        from connections.qualtrics_client import shared_session

        left = []
        monkeypatch.setattr(background, "request_sent", lambda: left.append(threading.current_thread().name))
        shared_session().get(f"{sandbox.root_url}/_sandbox/info", timeout=5)
        assert left == [threading.current_thread().name]

    def test_a_request_leaving_outside_a_background_read_changes_nothing(self):
        background.request_sent()
        assert background.start(lambda: 3).result(timeout=5) == 3

    @pytest.mark.django_db
    def test_it_refuses_the_database(self):
        from django.contrib.auth.models import User

        with pytest.raises(background.DatabaseFromBackground):
            background.start(User.objects.count).result(timeout=5)
        assert User.objects.count() == 0  # the request's own thread is untouched


class TestTableRenderedLast:
    def test_the_rest_of_the_page_renders_first_and_the_table_goes_where_it_is_shown_unescaped(self):
        from django.template import engines

        order: list[str] = []

        class Layout:
            def __init__(self, name):
                self.name = name

            def __str__(self):
                order.append(self.name)
                return f"<{self.name}>"

        def table():
            order.append("table")
            return "<table></table>"

        template = engines["django"].from_string("{{ above }}|{{ table }}|{{ below }}|{{ table }}")
        last = RenderedLast(table)
        html = last.put_into(template.render({"above": Layout("nav"), "below": Layout("footer"), "table": last}))
        assert html == "&lt;nav&gt;|<table></table>|&lt;footer&gt;|<table></table>"
        assert order == ["nav", "footer", "table"]

    def test_a_page_that_does_not_show_it_does_not_render_it(self):
        from django.template import engines

        last = RenderedLast(lambda: pytest.fail("rendered"))
        assert last.put_into(engines["django"].from_string("no table").render({"table": last})) == "no table"


class TestPagingKeepsUrlsShort:
    """A list's next page is reached through a short key kept in the cache, so its URL stays short however
    long Qualtrics' cursors are and however deep the reader goes."""

    class LongCursors:
        """Page n holds one item, n; the cursor of the next page is 2,000 characters long."""

        def __init__(self):
            from web.crud import CrudListView

            class View(CrudListView):
                can_write = False
                columns = [Column("N", "n")]

                def fetch_page(self, *, cursor, page_size, search):
                    number = int(cursor.split(":")[0]) if cursor else 1
                    return Page([{"n": number}], f"{number + 1}:" + "x" * 2000)

            self.view = View.as_view()

        def get(self, path: str, query: str = ""):
            from django.test import RequestFactory
            from django_htmx.middleware import HtmxDetails

            request = RequestFactory().get(f"{path}?{query}", HTTP_HX_REQUEST="true")
            request.htmx = HtmxDetails(request)
            return self.view(request).content.decode()

    @staticmethod
    def link(html: str, name: str) -> str | None:
        import re

        found = re.search(rf'href="\?([^"]*)"[^>]*>{name}<', html)
        return found.group(1).replace("&amp;", "&") if found else None

    def test_page_one_hundred_has_a_url_under_two_hundred_characters(self):
        lists = self.LongCursors()
        html, query = lists.get("/things/", "page_size=25"), "page_size=25"
        for _ in range(99):
            query = self.link(html, "Next")
            assert len(f"/things/?{query}") < 200
            html = lists.get("/things/", query)
        assert ("on page 100" in html or "2,476–2,500 of" in html) and "<td>100</td>" in html
        back = self.link(html, "Previous")
        assert len(back) < 200 and "<td>99</td>" in lists.get("/things/", back)
        assert "page_size=25" in back  # what the reader chose stays in the URL

    def test_the_second_page_leads_back_to_the_first_and_an_expired_key_to_the_first_page(self):
        lists = self.LongCursors()
        first = lists.get("/things/")
        assert self.link(first, "Previous") is None  # nothing before the first page
        second_query = self.link(first, "Next")
        second = lists.get("/things/", second_query)
        assert "<td>2</td>" in second and self.link(second, "Previous") == ""
        assert "<td>2</td>" not in lists.get("/other-things/", second_query)  # a key serves one list only
        clear_own_cache()
        expired = lists.get("/things/", second_query)
        assert "<td>1</td>" in expired and "That page link has expired" in expired


class TestSearchBeforeTheRead:
    """A list's read starts before its search form is made when the URL searches for nothing; what the read is
    given is what the form would have given."""

    @staticmethod
    def searches(query: str) -> tuple[list[dict], str]:
        from django import forms
        from django.test import RequestFactory
        from django_htmx.middleware import HtmxDetails

        from web.crud import CrudListView

        class Search(forms.Form):
            q = forms.CharField(required=False)
            field = forms.ChoiceField(required=False, choices=[("email", "E-mail"), ("phone", "Phone")])

            def clean(self):
                data = super().clean()
                data["field"] = data.get("field") or "email"
                return data

        given: list[dict] = []

        class View(CrudListView):
            can_write = False
            columns = [Column("N", "n")]
            search_form_class = Search

            def fetch_page(self, *, cursor, page_size, search):
                given.append(search)
                return Page([{"n": 1}])

        request = RequestFactory().get(f"/things/?{query}")
        request.htmx = HtmxDetails(request)
        html = View.as_view()(request).content.decode()
        return given, html

    def test_without_a_search_in_the_url_the_read_gets_the_forms_own_answer(self):
        assert self.searches("")[0] == [{}]  # an unbound form's
        given, html = self.searches("page_size=25&sort=n")
        assert given == [{"field": "email"}]  # the form's, bound to nothing it knows
        assert 'name="q"' in html, "the form is still drawn"

    def test_a_search_in_the_url_reaches_the_read(self):
        given, html = self.searches("q=ann&field=phone")
        assert given == [{"q": "ann", "field": "phone"}]
        assert 'value="ann"' in html
