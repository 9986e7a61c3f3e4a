"""The API console with every persona, htmx and not, against the sandbox: who may use it, what it sends, what
it refuses, and where the token never shows."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apiconsole.models import HISTORY_SIZE, ConsoleAccess, ConsoleCall, SavedRequest
from connections.models import AuditEvent

from .conftest import confirm_digest, form

pytestmark = pytest.mark.django_db


def allow_operators(console, allowed=True):
    ConsoleAccess.objects.update_or_create(connection=console.connection, defaults={"operators_allowed": allowed})


def body(response) -> str:
    return response.content.decode()


class TestAccess:
    def test_anonymous_users_go_to_login(self, client, console):
        saved = SavedRequest.objects.create(connection=console.connection, name="Me", path="/whoami")
        targets = [("get", console.url()), ("post", console.url("send")), ("post", console.url("curl")),
                   ("post", console.url("save")), ("post", console.url("access")),
                   ("get", console.url("saved_delete", saved_id=saved.pk))]
        for method, target in targets:
            response = getattr(client, method)(target)
            assert response.status_code == 302 and reverse("login") in response["Location"], target

    def test_outsiders_get_404_everywhere(self, login, console, hx):
        saved = SavedRequest.objects.create(connection=console.connection, name="Me", path="/whoami")
        client = login(console.outsider)
        assert client.get(console.url()).status_code == 404
        assert client.get(console.url(), **hx).status_code == 404
        for name in ("send", "curl", "save", "access"):
            assert client.post(console.url(name), form()).status_code == 404, name
        assert client.get(console.url("saved_delete", saved_id=saved.pk)).status_code == 404
        assert console.calls(path_contains="/whoami") == []

    def test_viewers_are_refused_even_when_operators_are_allowed(self, login, console, hx):
        allow_operators(console)
        client = login(console.viewer)
        response = client.get(console.url())
        assert response.status_code == 403
        assert "needs the manager role" in body(response)
        for name in ("send", "curl", "save"):
            assert client.post(console.url(name), form(), **hx).status_code == 403, name
        assert client.post(console.url("access"), {"operators_allowed": "on"}).status_code == 403
        assert console.calls(path_contains="/whoami") == [] and not ConsoleCall.objects.exists()

    @pytest.mark.parametrize("who", ["operator", "team_operator"])
    def test_operators_only_when_a_manager_allows_it(self, login, console, hx, who):
        client = login(getattr(console, who))
        refused = client.get(console.url())
        assert refused.status_code == 403 and "a manager can open it to operators" in body(refused)
        assert client.post(console.url("send"), form(), **hx).status_code == 403
        allow_operators(console)
        assert client.get(console.url()).status_code == 200
        answer = client.post(console.url("send"), form(), **hx)
        assert answer.status_code == 200 and 'data-testid="console-answer"' in body(answer)
        allow_operators(console, False)
        assert client.get(console.url()).status_code == 403

    @pytest.mark.parametrize("who", ["owner", "manager"])
    def test_managers_may_always(self, login, console, who):
        response = login(getattr(console, who)).get(console.url())
        assert response.status_code == 200
        assert 'data-testid="console-form"' in body(response)
        assert 'data-testid="console-access"' in body(response)  # the switch for operators

    def test_operators_do_not_see_the_access_switch(self, login, console):
        allow_operators(console)
        assert 'data-testid="console-access"' not in body(login(console.operator).get(console.url()))

    def test_only_managers_decide_who_may_use_it_and_it_is_audited(self, login, console):
        allow_operators(console)
        assert login(console.operator).post(console.url("access"), {}).status_code == 403
        assert ConsoleAccess.objects.get().operators_allowed
        manager = login(console.manager)
        response = manager.post(console.url("access"), {})
        assert response.status_code == 302
        assert not ConsoleAccess.objects.get().operators_allowed
        manager.post(console.url("access"), {"operators_allowed": "on"})
        assert ConsoleAccess.objects.get().operators_allowed
        events = AuditEvent.objects.filter(action="console.access").order_by("pk")
        assert [e.detail for e in events][-2:] == ["Only managers may use the API console.",
                                                   "Operators may use the API console."]
        assert events.last().actor == console.manager


class TestNavigation:
    def links(self, client, console):
        page = body(client.get(reverse("connections:connection_detail", args=[console.connection.pk])))
        return {name: f'href="{reverse(target, kwargs={"connection_id": console.connection.pk})}"' in page
                for name, target in (("console", "apiconsole:console"), ("workflows", "workflows:trigger_list"),
                                     ("audit", "connections:connection_audit"))}

    def test_each_role_sees_what_it_may_open(self, login, console):
        assert self.links(login(console.viewer), console) == {"console": False, "workflows": False, "audit": False}
        assert self.links(login(console.operator), console) == {"console": False, "workflows": True, "audit": False}
        allow_operators(console)
        assert self.links(login(console.operator), console) == {"console": True, "workflows": True, "audit": False}
        assert self.links(login(console.manager), console) == {"console": True, "workflows": True, "audit": True}

    def test_switching_to_a_section_the_role_does_not_allow_opens_the_connection(self, login, console):
        switch = reverse("connections:connection_switch", args=[console.connection.pk]) + "?section=console"
        assert login(console.viewer).get(switch)["Location"] == console.connection.get_absolute_url()
        assert login(console.manager).get(switch)["Location"] == console.url()


class TestSending:
    def test_a_get_shows_status_time_headers_body_and_request_id(self, login, console, hx):
        response = login(console.owner).post(console.url("send"), form(path="/whoami"), **hx)
        page = body(response)
        assert response.status_code == 200 and "<html" not in page
        assert 'data-testid="answer-status">200 OK' in page
        call = ConsoleCall.objects.get()
        assert call.request_id and call.request_id in page
        assert call.status == 200 and call.duration_ms is not None
        assert f"{call.duration_ms} ms" in page
        assert 'class="json-tree' in page and "dana.whitfield@acme.example" in page
        assert "Content-Type" in page  # the answer's headers
        (sent,) = console.calls(method="GET", path_contains="/whoami")
        assert sent["requestId"] == call.request_id

    def test_without_htmx_the_whole_page_comes_back(self, login, console):
        response = login(console.owner).post(console.url("send"), form(path="whoami"))
        assert response.status_code == 200 and "<html" in body(response)
        assert 'data-testid="console-answer"' in body(response)

    def test_every_call_is_audited_without_its_body(self, login, console, hx):
        client = login(console.manager)
        client.post(console.url("send"), form(path="/whoami"), **hx)
        first = client.post(console.url("send"), form(method="POST", path="/directories/POOL_x/mailinglists",
                                                      body='{"name": "Secret list name"}'), **hx)
        client.post(console.url("send"), form(method="POST", path="/directories/POOL_x/mailinglists",
                                               body='{"name": "Secret list name"}', confirm=confirm_digest(first)),
                    **hx)
        rows = list(AuditEvent.objects.filter(action__startswith="console.").order_by("pk"))
        assert [(r.action, r.target, r.actor) for r in rows] == [
            ("console.get", "/whoami", console.manager),
            ("console.post", "/directories/POOL_x/mailinglists", console.manager),
        ]
        assert rows[0].outcome == "ok" and rows[0].request_id and rows[0].detail == "200"
        assert rows[1].outcome == "failed" and rows[1].detail.startswith("404")
        assert rows[1].request_id
        assert all("Secret list name" not in f"{r.detail}{r.target}" for r in AuditEvent.objects.all())

    def test_a_write_asks_for_a_confirmation_naming_method_and_path_first(self, login, console, hx):
        client = login(console.owner)
        directory = console.sandbox.brand("acme")["defaultDirectoryId"]
        data = form(method="POST", path=f"/directories/{directory}/mailinglists", body='{"name": "Console list"}')
        asked = client.post(console.url("send"), data, **hx)
        page = body(asked)
        assert 'data-testid="confirm-write"' in page
        assert f"Yes, send POST /directories/{directory}/mailinglists" in page
        assert console.calls(method="POST") == [] and not ConsoleCall.objects.exists()
        # A confirmation is for exactly the request it named.
        changed = {**data, "body": '{"name": "Another list"}', "confirm": confirm_digest(asked)}
        again = client.post(console.url("send"), changed, **hx)
        assert 'data-testid="confirm-write"' in body(again) and console.calls(method="POST") == []
        sent = client.post(console.url("send"), {**data, "confirm": confirm_digest(asked)}, **hx)
        assert 'data-testid="answer-status">200 OK' in body(sent)
        (created,) = console.calls(method="POST", path_contains="/mailinglists")
        assert created["body"] == {"name": "Console list"}

    def test_another_users_confirmation_does_not_count(self, login, console, hx):
        data = form(method="DELETE", path="/directories/POOL_x/mailinglists/CG_x")
        digest = confirm_digest(login(console.owner).post(console.url("send"), data, **hx))
        response = login(console.manager).post(console.url("send"), {**data, "confirm": digest}, **hx)
        assert 'data-testid="confirm-write"' in body(response)
        assert console.calls(method="DELETE") == []

    def test_next_page_follows_nextpage_with_its_query(self, login, console, hx):
        client = login(console.owner)
        first = client.post(console.url("send"), form(path="/surveys", query=[("pageSize", "1")]), **hx)
        page = body(first)
        assert 'data-testid="next-page"' in page
        assert 'name="query_name" value="offset"' in page
        following = client.post(console.url("send"), form(path="/surveys", query=[("pageSize", "1"),
                                                                                   ("offset", "1")]), **hx)
        assert 'data-testid="answer-status">200 OK' in body(following)
        calls = console.calls(method="GET", path_contains="/surveys")
        assert [c["query"] for c in calls] == ["pageSize=1", "pageSize=1&offset=1"]

    def test_qualtrics_error_envelope_is_shown_plainly(self, login, console, hx):
        response = login(console.owner).post(console.url("send"), form(path="/surveys/SV_doesnotexist"), **hx)
        page = body(response)
        assert 'data-testid="answer-status">404 Not Found' in page
        assert 'data-testid="error-envelope"' in page and "404 - Not Found" in page
        assert 'data-testid="qualtrics-error"' in page

    def test_query_rows_and_headers_are_sent_as_given(self, login, console, hx):
        login(console.owner).post(console.url("send"), form(
            path="/surveys", query=[("pageSize", "2"), ("pageSize", "3")], headers=[("Accept-Language", "fr")]), **hx)
        (call,) = console.calls(method="GET", path_contains="/surveys")
        assert call["query"] == "pageSize=2&pageSize=3"
        saved = ConsoleCall.objects.get()
        assert saved.query == [["pageSize", "2"], ["pageSize", "3"]] and saved.headers == [["Accept-Language", "fr"]]

    def test_the_rate_budget_applies(self, login, console, hx, settings):
        settings.QUALTRICS_BRAND_BUDGET_PER_MINUTE = 1
        client = login(console.owner)
        assert 'data-testid="answer-status">200' in body(client.post(console.url("send"), form(), **hx))
        refused = body(client.post(console.url("send"), form(), **hx))
        assert 'data-testid="console-failure"' in refused and "rate budget" in refused
        assert len(console.calls(path_contains="/whoami")) == 1
        assert AuditEvent.objects.filter(action="console.get", outcome="failed").exists()

    def test_history_keeps_the_last_fifty_of_ones_own_calls(self, login, console, hx):
        other = ConsoleCall.objects.create(connection=console.connection, actor=console.manager, path="/mine")
        for n in range(HISTORY_SIZE + 2):
            ConsoleCall.objects.create(connection=console.connection, actor=console.owner, path=f"/old/{n}")
        login(console.owner).post(console.url("send"), form(), **hx)
        mine = ConsoleCall.objects.filter(actor=console.owner)
        assert mine.count() == HISTORY_SIZE and mine.first().path == "/whoami"
        assert not mine.filter(path__in=["/old/0", "/old/1", "/old/2"]).exists()
        assert ConsoleCall.objects.filter(pk=other.pk).exists()
        page = body(login(console.owner).get(console.url()))
        assert "/mine" not in page and "/whoami" in page

    def test_a_call_from_the_history_loads_into_the_form(self, login, console):
        call = ConsoleCall.objects.create(connection=console.connection, actor=console.owner, method="PUT",
                                          path="/users/UR_1", query=[["a", "1"]], headers=[["X-Tag", "t"]],
                                          body='{"x": 1}')
        page = body(login(console.owner).get(console.url() + f"?call={call.pk}"))
        assert 'value="/users/UR_1"' in page and 'value="X-Tag"' in page and "{&quot;x&quot;: 1}" in page
        assert login(console.manager).get(console.url() + f"?call={call.pk}").status_code == 404


class TestRefusals:
    @pytest.mark.parametrize("path", [
        "https://evil.example.com/API/v3/whoami",
        "//evil.example.com/whoami",
        "http://127.0.0.1:1/whoami",
        "../../_sandbox/info",
        "/users/%2e%2e/%2e%2e/_sandbox/info",
        "/users/%252e%252e/x",
        "/users/a%2fb",
        "/users/..;/x",
        "/whoami?x=1",
    ])
    def test_paths_leaving_the_api_are_refused_and_nothing_is_sent(self, login, console, hx, path):
        response = login(console.owner).post(console.url("send"), form(path=path), **hx)
        page = body(response)
        assert 'data-testid="error-path"' in page and "This path is refused" in page
        assert console.calls() == [] and not ConsoleCall.objects.exists()

    @pytest.mark.parametrize("name", ["X-API-TOKEN", "x-api-token", "X_API_TOKEN", "Authorization", "Cookie", "Host"])
    def test_credential_and_framing_headers_are_refused(self, login, console, hx, name):
        response = login(console.owner).post(console.url("send"), form(headers=[(name, "anything")]), **hx)
        assert 'data-testid="error-headers"' in body(response)
        assert console.calls() == []

    def test_a_header_without_a_valid_name_or_with_a_line_break_is_refused(self, login, console, hx):
        for header in (("Bad Name", "x"), ("X-Note", "a\r\nX-API-TOKEN: y")):
            response = login(console.owner).post(console.url("send"), form(headers=[header]), **hx)
            assert 'data-testid="error-headers"' in body(response)
        assert console.calls() == []

    @pytest.mark.parametrize(("method", "payload", "words"), [
        ("POST", '{"name": "x",}', "not valid JSON"),
        ("POST", "{name: x}", "not valid JSON"),
        ("PUT", "[1, 2", "not valid JSON"),
        ("GET", '{"a": 1}', "A GET sends no body"),
        ("POST", json.dumps({"x": "y" * (1024 * 1024)}), "larger than 1024 KB"),
    ])
    def test_bodies_are_checked_before_anything_is_sent(self, login, console, hx, method, payload, words):
        response = login(console.owner).post(console.url("send"), form(method=method, path="/users", body=payload),
                                             **hx)
        page = body(response)
        assert 'data-testid="error-body"' in page and words in page
        assert console.calls() == []

    @pytest.mark.parametrize("action", ["send", "save", "curl"])
    def test_a_request_holding_the_token_is_refused_and_shown_back_masked(self, login, console, hx, action):
        token = console.token
        for data in (form(path=f"/users/{token}"), form(query=[("t", token)]), form(headers=[("X-Note", token)]),
                     form(method="POST", path="/users", body=json.dumps({"note": token}))):
            response = login(console.owner).post(console.url(action), {**data, "name": "Kept"}, **hx)
            page = body(response)
            assert "holds the connection&#x27;s API token" in page
            assert 'data-testid="confirm-write"' not in page
            if action != "curl":
                assert "••••" in page  # what was typed comes back with the token masked
        assert console.calls() == [] and not ConsoleCall.objects.exists() and not SavedRequest.objects.exists()


class TestCurl:
    def test_the_token_is_left_to_an_environment_variable(self, login, console, hx):
        response = login(console.owner).post(console.url("curl"), form(
            method="POST", path="/directories/POOL_1/mailinglists", query=[("q", "it's")],
            headers=[("Accept-Language", "fr")], body='{"name": "O\'Brien"}'), **hx)
        page = body(response)
        assert "$QUALTRICS_API_TOKEN" in page
        assert console.token not in page and console.token[-4:] not in page
        assert "curl -X POST" in page and "/iad1/API/v3/directories/POOL_1/mailinglists?q=it%27s" in page
        assert "Accept-Language: fr" in page and "--data-raw" in page
        assert console.calls() == []  # nothing is sent

    def test_the_answer_carries_the_curl_of_what_was_sent(self, login, console, hx):
        page = body(login(console.owner).post(console.url("send"), form(path="/whoami"), **hx))
        assert 'id="answer-curl"' in page and "-H &quot;X-API-TOKEN: $QUALTRICS_API_TOKEN&quot;" in page

    def test_an_invalid_form_lists_what_to_fix(self, login, console, hx):
        page = body(login(console.owner).post(console.url("curl"), form(path="https://evil.example.com/x"), **hx))
        assert 'data-testid="curl-errors"' in page and "absolute URLs" in page


class TestSavedRequests:
    def test_saved_for_everyone_who_may_use_the_console(self, login, console, hx):
        client = login(console.owner)
        response = client.post(console.url("save"), form(path="/surveys", query=[("pageSize", "5")], name="Surveys"),
                               **hx)
        assert response.status_code == 200 and "Surveys" in body(response)
        saved = SavedRequest.objects.get()
        assert (saved.name, saved.path, saved.query, saved.created_by) == ("Surveys", "/surveys", [["pageSize", "5"]],
                                                                           console.owner)
        assert AuditEvent.objects.filter(action="console.save", target="GET /surveys").exists()
        page = body(login(console.manager).get(console.url() + f"?saved={saved.pk}"))
        assert 'value="/surveys"' in page and 'value="pageSize"' in page
        # Saving under the same name (any case) replaces it.
        client.post(console.url("save"), form(path="/users", name="surveys"), **hx)
        assert SavedRequest.objects.get().path == "/users"

    def test_saving_needs_a_name_and_a_valid_request(self, login, console, hx):
        client = login(console.owner)
        assert 'data-testid="error-name"' in body(client.post(console.url("save"), form(name=""), **hx))
        assert 'data-testid="error-path"' in body(client.post(console.url("save"), form(path="../x", name="X"), **hx))
        assert not SavedRequest.objects.exists()

    def test_the_one_who_saved_it_or_a_manager_deletes_it(self, login, console, hx):
        allow_operators(console)
        saved = SavedRequest.objects.create(connection=console.connection, name="Mine", path="/whoami",
                                            created_by=console.operator)
        other = SavedRequest.objects.create(connection=console.connection, name="Theirs", path="/whoami",
                                            created_by=console.owner)
        operator = login(console.operator)
        assert operator.get(console.url("saved_delete", saved_id=other.pk), **hx).status_code == 200
        refused = operator.post(console.url("saved_delete", saved_id=other.pk), **hx)
        assert refused.status_code == 403 and SavedRequest.objects.filter(pk=other.pk).exists()
        assert operator.post(console.url("saved_delete", saved_id=saved.pk), **hx).status_code == 200
        assert not SavedRequest.objects.filter(pk=saved.pk).exists()
        assert login(console.manager).post(console.url("saved_delete", saved_id=other.pk)).status_code == 302
        assert not SavedRequest.objects.exists()
        assert AuditEvent.objects.filter(action="console.unsave").count() == 2

    def test_a_saved_request_of_another_connection_is_not_found(self, login, console):
        from tests.factories import make_connection

        elsewhere = make_connection(console.owner, name="Elsewhere")
        saved = SavedRequest.objects.create(connection=elsewhere, name="X", path="/whoami")
        client = login(console.owner)
        assert client.get(console.url() + f"?saved={saved.pk}").status_code == 404
        assert client.get(console.url("saved_delete", saved_id=saved.pk)).status_code == 404


class TestTheTokenNeverShows:
    def test_not_in_pages_logs_audit_rows_history_saved_requests_or_curl(self, login, console, hx, caplog):
        caplog.set_level("DEBUG")
        client = login(console.owner)
        client.post(console.url("send"), form(path="/whoami"), **hx)
        client.post(console.url("send"), form(path="/surveys/SV_missing"), **hx)
        first = client.post(console.url("send"), form(method="DELETE", path="/users/UR_missing"), **hx)
        client.post(console.url("send"), form(method="DELETE", path="/users/UR_missing",
                                              confirm=confirm_digest(first)), **hx)
        client.post(console.url("save"), form(path="/whoami", name="Who"), **hx)
        curl = body(client.post(console.url("curl"), form(path="/whoami", headers=[("X-Tag", "t")]), **hx))
        page = body(client.get(console.url()))
        token = console.token
        rows = [f"{e.action} {e.target} {e.detail} {e.request_id}" for e in AuditEvent.objects.all()]
        rows += [f"{c.path} {c.query} {c.headers} {c.body} {c.error}" for c in ConsoleCall.objects.all()]
        rows += [f"{s.path} {s.query} {s.headers} {s.body}" for s in SavedRequest.objects.all()]
        assert len(rows) >= 8
        for text in (*rows, curl, page, caplog.text):
            assert token not in text
        assert "$QUALTRICS_API_TOKEN" in curl
        # The pages and log lines above were also scanned by the suite-wide guard (tests/fixtures/secrets.py).
