"""The /_sandbox/ control routes and the Python interface of SandboxServer."""

from __future__ import annotations

import http.client
import re

from sandbox.server import SandboxServer

from .conftest import Api, list_id, survey_id

TOKEN = re.compile(r"^[A-Za-z0-9]{40}$")


def test_info_describes_brands_tokens_and_counts(control, sandbox):
    info = control.get("/_sandbox/info").json()
    assert info == sandbox.info()
    assert info["baseUrl"] == sandbox.base_url
    assert info["baseUrlTemplate"] == sandbox.base_url_template
    assert info["seed"] == "demo"
    brands = {b["brandId"]: b for b in info["brands"]}
    assert set(brands) == {"acme", "globex"}
    acme, globex = brands["acme"], brands["globex"]
    assert (acme["datacenter"], globex["datacenter"]) == ("iad1", "fra1")
    assert re.match(r"^POOL_[A-Za-z0-9]{15}$", acme["directoryIds"][0])
    assert [row["admin"] for row in acme["tokens"]] == [True, False]
    assert [row["admin"] for row in globex["tokens"]] == [True]
    assert all(TOKEN.match(row["token"]) for b in info["brands"] for row in b["tokens"])
    assert acme["counts"]["contacts"] == 500
    assert acme["counts"]["users"] == 20
    assert acme["counts"]["groups"] == 5
    assert acme["counts"]["surveys"] == 3
    assert acme["counts"]["responses"] > 67
    assert acme["counts"]["mailingLists"] == 5
    assert all(20 <= row["contactCount"] <= 200 for row in acme["mailingLists"])
    assert globex["counts"]["contacts"] == 12 and globex["counts"]["users"] == 3
    assert globex["counts"]["mailingLists"] == 1
    assert sandbox.admin_token == acme["tokens"][0]["token"]
    assert sandbox.user_token == acme["tokens"][1]["token"]


def test_demo_seed_is_reproducible(sandbox):
    first = sandbox.info()
    sandbox.reset("demo")
    second = sandbox.info()
    first.pop("clock"), second.pop("clock")
    assert first == second
    with SandboxServer() as other:
        assert other.info()["brands"] == second["brands"]


def test_reset_to_empty_keeps_brands_tokens_and_directories(control, sandbox, api):
    demo = sandbox.info()["brands"]
    empty = control.post("/_sandbox/reset", {"seed": "empty"}).json()
    assert empty["seed"] == "empty"
    for before, after in zip(demo, empty["brands"], strict=True):
        assert after["tokens"] == before["tokens"]
        assert after["directoryIds"] == before["directoryIds"]
        assert after["counts"]["contacts"] == after["counts"]["mailingLists"] == after["counts"]["surveys"] == 0
    assert api.ok("GET", "/whoami")["brandId"] == "acme"
    assert control.post("/_sandbox/reset", {"seed": "other"}).status_code == 400
    assert control.post("/_sandbox/reset", {}).json()["brands"][0]["counts"]["contacts"] == 500


def test_reset_restores_default_settings_and_clears_logs(control, sandbox, api):
    control.post("/_sandbox/config", {"latency_ms": 5, "retry_after": False})
    control.post("/_sandbox/clock", {"advanceSeconds": 3600})
    api.get("/whoami")
    control.post("/_sandbox/reset", {"seed": "demo"})
    config = control.get("/_sandbox/config").json()
    assert (config["latency_ms"], config["retry_after"]) == (0, True)
    assert control.get("/_sandbox/clock").json()["offsetSeconds"] == 0
    assert control.get("/_sandbox/calls").json()["count"] == 0


def test_tokens_can_be_added_and_revoked(control, sandbox):
    chosen = "Z" * 40
    added = control.post("/_sandbox/tokens", {"brandId": "globex", "token": chosen, "admin": True}).json()
    assert added["token"] == chosen and added["admin"] is True
    assert Api(sandbox.base_url, chosen).ok("GET", "/whoami")["brandId"] == "globex"
    member = control.post("/_sandbox/tokens", {"brandId": "acme", "admin": False}).json()
    assert TOKEN.match(member["token"]) and member["admin"] is False
    assert Api(sandbox.base_url, member["token"]).get("/users").status_code == 403
    assert control.post("/_sandbox/tokens/revoke", {"token": chosen}).json() == {"revoked": True}
    assert Api(sandbox.base_url, chosen).get("/whoami").status_code == 401
    assert control.post("/_sandbox/tokens/revoke", {"token": chosen}).status_code == 404
    assert control.post("/_sandbox/tokens", {"brandId": "initech"}).status_code == 400
    assert control.post("/_sandbox/tokens", {"brandId": "acme", "token": "not valid!"}).status_code == 400


def test_constructor_tokens_and_settings():
    extra, other = "A1" * 20, "B2" * 20
    with SandboxServer(seed="empty", tokens=(extra, f"globex:{other}"), latency_ms=1, rate_limit=100,
                       switches={"contact_dedup": "duplicate"}) as server:
        assert Api(server.base_url, extra).ok("GET", "/whoami")["accountType"] == "UT_BRANDADMIN"
        assert Api(server.base_url, other).ok("GET", "/whoami")["brandId"] == "globex"
        config = server.info()["config"]
        assert (config["latency_ms"], config["rate_limit"], config["contact_dedup"]) == (1, 100, "duplicate")
        server.configure(latency_ms=0)
        server.reset("empty")
        assert server.info()["config"]["latency_ms"] == 1
        assert Api(server.base_url, extra).get("/whoami").status_code == 200
        assert server.root_url.startswith("http://127.0.0.1:")
        assert server.base_url == server.root_url + "/API/v3"
        assert server.base_url_template == server.root_url + "/{datacenter}/API/v3"


def test_clock(control):
    before = control.get("/_sandbox/clock").json()
    after = control.post("/_sandbox/clock", {"advanceSeconds": 86_400}).json()
    assert after["offsetSeconds"] == before["offsetSeconds"] + 86_400
    assert after["now"][:10] > before["now"][:10]
    assert control.post("/_sandbox/clock", {"advanceSeconds": -1}).status_code == 400


def test_call_log_proves_a_distribution_was_created_once(api, control, acme):
    survey = survey_id(acme, "Onboarding Pulse")
    body = {"message": {"messageText": "Hi"}, "recipients": {"mailingListId": list_id(acme, "Beta testers")},
            "header": {"fromEmail": "noreply@qualtrics.com", "fromName": "Acme", "subject": "Hi"},
            "surveyLink": {"surveyId": survey}, "sendDate": "2020-01-01T00:00:00Z",
            "embeddedData": {"portalReference": "job-42"}}
    created = api.ok("POST", "/distributions", body)["id"]
    api.get("/distributions", params={"surveyId": survey})
    calls = control.get("/_sandbox/calls", params={"method": "POST", "path_contains": "/distributions"}).json()
    assert calls["count"] == 1
    [call] = calls["calls"]
    assert (call["method"], call["path"], call["status"]) == ("POST", "/API/v3/distributions", 200)
    assert call["body"]["embeddedData"] == {"portalReference": "job-42"}
    assert call["brandId"] == "acme"
    assert re.match(r"^[0-9a-f-]{36}$", call["requestId"]) and call["time"].endswith("Z")
    rows = control.get("/_sandbox/distributions", params={"surveyId": survey}).json()["distributions"]
    assert [r["id"] for r in rows if r["embeddedData"].get("portalReference") == "job-42"] == [created]
    assert rows[0]["status"] == "sent" and rows[0]["recipientCount"] == 20
    assert control.delete("/_sandbox/calls").json()["count"] == 0
    assert control.get("/_sandbox/calls").json()["calls"] == []


def test_bulk_contacts(control, api, acme):
    beta = list_id(acme, "Beta testers")
    added = control.post("/_sandbox/contacts", {"count": 30, "mailingListId": beta}).json()
    assert added == {"created": 30, "directoryId": acme["defaultDirectoryId"], "contactCount": 530}
    members, _ = api.collect(f"/directories/{acme['defaultDirectoryId']}/mailinglists/{beta}/contacts")
    assert len(members) == 50
    assert control.post("/_sandbox/contacts", {"count": 0}).status_code == 400


def test_bulk_responses_are_recorded_and_exported(control, api, acme):
    csat = survey_id(acme, "Customer Satisfaction 2025")
    before = api.get(f"/surveys/{csat}").json()["result"]["responseCounts"]["auditable"]
    added = control.post("/_sandbox/bulk-responses", {"surveyId": csat, "count": 40, "days": 2}).json()
    assert added == {"recorded": 40, "surveyId": csat, "responseCount": before + 40}
    assert api.get(f"/surveys/{csat}").json()["result"]["responseCounts"]["auditable"] == before + 40
    assert control.post("/_sandbox/bulk-responses", {"surveyId": csat, "count": 0}).status_code == 400
    assert control.post("/_sandbox/bulk-responses", {"surveyId": "SV_nope", "count": 1}).status_code == 404


def test_unknown_control_route_is_404(control):
    response = control.get("/_sandbox/nothing")
    assert response.status_code == 404
    assert "GET /_sandbox/info" in response.json()["routes"]


def test_connections_are_kept_alive(sandbox):
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    headers = {"X-API-TOKEN": sandbox.admin_token, "Content-Type": "application/json"}
    first_socket = None
    for method, path, body in (("GET", "/API/v3/whoami", None), ("POST", "/API/v3/groups", "{}"),
                               ("GET", "/API/v3/doesnotexist", None), ("GET", "/API/v3/surveys", None)):
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert not response.will_close
        first_socket = first_socket or connection.sock
        assert connection.sock is first_socket
    connection.close()
