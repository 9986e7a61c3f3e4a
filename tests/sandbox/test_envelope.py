"""Envelope, status strings, request IDs, error bodies, auth, permissions, datacenter proxying, ID formats."""

from __future__ import annotations

import re

import pytest
import requests

from .conftest import REQUEST_ID, Api, error_of, list_id, survey_id


def test_success_envelope_has_status_string_and_uuid4_request_id(api):
    response = api.get("/whoami")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()
    assert set(payload) == {"result", "meta"}
    assert payload["meta"]["httpStatus"] == "200 - OK"
    assert REQUEST_ID.match(payload["meta"]["requestId"])
    assert "notice" not in payload["meta"]
    assert "error" not in payload["meta"]


def test_every_response_gets_its_own_request_id(api):
    ids = {api.get("/whoami").json()["meta"]["requestId"] for _ in range(5)}
    assert len(ids) == 5


def test_whoami_describes_the_token_owner(api, user_api):
    admin = api.ok("GET", "/whoami")
    assert admin["brandId"] == "acme"
    assert admin["accountType"] == "UT_BRANDADMIN"
    assert admin["datacenter"] == "iad1"
    assert set(admin) == {"brandId", "userId", "userName", "accountType", "firstName", "lastName", "email",
                          "datacenter"}
    member = user_api.ok("GET", "/whoami")
    assert member["accountType"] != "UT_BRANDADMIN"
    assert re.match(r"^UT_[A-Za-z0-9]{15}$", member["accountType"])


@pytest.mark.parametrize("headers", [{}, {"X-API-TOKEN": ""}])
def test_missing_token_is_400_atp_2(sandbox, headers):
    response = requests.get(f"{sandbox.base_url}/whoami", headers=headers, timeout=5)
    assert response.status_code == 400
    meta = response.json()["meta"]
    assert meta["httpStatus"] == "400 - Bad Request"
    assert REQUEST_ID.match(meta["requestId"])
    assert meta["error"] == {"errorMessage": "Expected authorization in headers, but none provided.",
                             "errorCode": "ATP_2"}


def test_unknown_token_is_401_dcd_7(sandbox):
    response = requests.get(f"{sandbox.base_url}/whoami", headers={"X-API-TOKEN": "A" * 40}, timeout=5)
    assert response.status_code == 401
    meta = response.json()["meta"]
    assert meta["httpStatus"] == "401 - Unauthorized"
    assert "Unrecognized X-API-TOKEN" in meta["error"]["errorMessage"]
    assert meta["error"]["errorCode"] == "DCD_7"
    assert "result" not in response.json()


@pytest.mark.parametrize("name", ["x-api-token", "X-Api-Token", "X-API-TOKEN"])
def test_token_header_name_is_case_insensitive(sandbox, name):
    response = requests.get(f"{sandbox.base_url}/whoami", headers={name: sandbox.admin_token}, timeout=5)
    assert response.status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/doesnotexist"),
    ("PUT", "/whoami"),
    ("DELETE", "/surveys"),
    ("GET", "/contacts"),
])
def test_unknown_route_is_404_with_the_call_named(api, method, path):
    response = api(method, path)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"meta"}
    assert body["meta"]["httpStatus"] == "404 - Not Found"
    assert REQUEST_ID.match(body["meta"]["requestId"])
    assert body["meta"]["error"] == {"errorMessage": f"API call does not exist: {method} /API/v3{path}"}


def test_unknown_route_is_404_even_without_a_token(sandbox):
    response = requests.get(f"{sandbox.base_url}/doesnotexist", timeout=5)
    assert response.status_code == 404
    assert error_of(response) == {"errorMessage": "API call does not exist: GET /API/v3/doesnotexist"}


def test_unknown_ids_are_404(api, acme):
    pool = acme["defaultDirectoryId"]
    survey = survey_id(acme, "Customer Satisfaction 2025")
    paths = [
        f"/directories/POOL_{'x' * 15}/contacts",
        f"/directories/{pool}/contacts/CID_{'x' * 15}",
        f"/directories/{pool}/mailinglists/CG_{'x' * 15}",
        f"/directories/{pool}/mailinglists/{list_id(acme, 'Beta testers')}/contacts/CID_{'x' * 15}",
        f"/surveys/SV_{'x' * 15}",
        f"/surveys/{survey}/responses/R_{'x' * 15}",
        f"/distributions/EMD_{'x' * 15}?surveyId={survey}",
        f"/users/UR_{'x' * 15}",
        f"/groups/GR_{'x' * 15}",
        f"/libraries/UR_{'x' * 15}/messages",
        f"/eventsubscriptions/SUB_{'x' * 15}",
    ]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["meta"]["httpStatus"] == "404 - Not Found"
        assert error_of(response)["errorMessage"], path


def test_brands_are_isolated(sandbox, acme):
    globex = Api(sandbox.base_url, sandbox.brand("globex")["tokens"][0]["token"])
    assert globex.ok("GET", "/whoami")["brandId"] == "globex"
    assert globex.get(f"/directories/{acme['defaultDirectoryId']}/contacts").status_code == 404


def test_json_keys_are_case_sensitive(api, acme):
    pool = acme["defaultDirectoryId"]
    response = api.post(f"/directories/{pool}/contacts", {"FirstName": "Ada"})
    assert response.status_code == 400
    assert error_of(response) == {"errorMessage": "Unexpected json key provided: FirstName", "errorCode": "RP_9"}
    survey = survey_id(acme, "Customer Satisfaction 2025")
    response = api.post(f"/surveys/{survey}/export-responses", {"Format": "csv"})
    assert error_of(response)["errorCode"] == "RP_9"
    response = api.get("/distributions", params={"surveyid": survey})
    assert error_of(response) == {"errorMessage": "Expected param not found: surveyId", "errorCode": "RP_10"}


def test_invalid_json_is_400(api, acme):
    response = api("POST", f"/directories/{acme['defaultDirectoryId']}/contacts", data="{not json",
                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["meta"]["httpStatus"] == "400 - Bad Request"


def test_create_answers_id_and_updates_answer_meta_only(api, acme):
    pool = acme["defaultDirectoryId"]
    created = api.post(f"/directories/{pool}/mailinglists", {"name": "Envelope check"}).json()
    assert set(created["result"]) == {"id"}
    list_path = f"/directories/{pool}/mailinglists/{created['result']['id']}"
    for response in (api.put(list_path, {"name": "Renamed"}), api.delete(list_path)):
        assert response.status_code == 200
        assert set(response.json()) == {"meta"}
        assert response.json()["meta"]["httpStatus"] == "200 - OK"


ADMIN_ONLY = [
    ("GET", "/users", None),
    ("POST", "/users", {"username": "x@acme.example", "firstName": "X", "lastName": "Y", "userType": "UT_BRANDADMIN",
                        "email": "x@acme.example", "password": "S3cret-pass"}),
    ("GET", "/users/{user}", None),
    ("PUT", "/users/{user}", {"firstName": "Changed"}),
    ("DELETE", "/users/{user}", None),
    ("GET", "/users/{user}/apitoken", None),
    ("POST", "/users/{user}/apitoken", None),
    ("GET", "/eventsubscriptions", None),
    ("POST", "/eventsubscriptions", {"topics": "surveyengine.completedResponse.*",
                                     "publicationUrl": "http://127.0.0.1:9/hook"}),
    ("GET", "/eventsubscriptions/SUB_xxxxxxxxxxxxxxx", None),
    ("DELETE", "/eventsubscriptions/SUB_xxxxxxxxxxxxxxx", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_brand_admin_only_routes_are_403_for_other_users(user_api, api, method, path, body):
    user = api.ok("GET", "/whoami")["userId"]
    response = user_api(method, path.format(user=user), json=body)
    assert response.status_code == 403
    meta = response.json()["meta"]
    assert meta["httpStatus"] == "403 - Forbidden"
    assert meta["error"]["errorMessage"]
    assert api.get("/users").status_code == 200


def test_non_admin_can_use_ordinary_routes(user_api, acme):
    assert user_api.get(f"/directories/{acme['defaultDirectoryId']}/contacts").status_code == 200
    assert user_api.get("/surveys").status_code == 200
    assert user_api.get("/groups").status_code == 200


def test_wrong_datacenter_is_proxied_with_a_notice(sandbox):
    token = {"X-API-TOKEN": sandbox.admin_token}
    proxied = requests.get(sandbox.base_url_template.format(datacenter="fra1") + "/whoami", headers=token, timeout=5)
    assert proxied.status_code == 200
    assert proxied.json()["meta"]["notice"] == (
        "Request proxied. For faster response times, use this host instead: iad1.qualtrics.com"
    )
    assert proxied.json()["result"]["brandId"] == "acme"
    right = requests.get(sandbox.base_url_template.format(datacenter="iad1") + "/whoami", headers=token, timeout=5)
    assert "notice" not in right.json()["meta"]
    plain = requests.get(sandbox.base_url + "/whoami", headers=token, timeout=5)
    assert "notice" not in plain.json()["meta"]


def test_next_page_keeps_the_datacenter_prefix(sandbox, acme):
    api = Api(sandbox.base_url_template.format(datacenter="sjc1"), sandbox.admin_token)
    result = api.ok("GET", f"/directories/{acme['defaultDirectoryId']}/contacts")
    assert result["nextPage"].startswith(f"{sandbox.root_url}/sjc1/API/v3/directories/")
    follow = requests.get(result["nextPage"], headers={"X-API-TOKEN": sandbox.admin_token}, timeout=5).json()
    assert follow["meta"]["notice"].endswith("iad1.qualtrics.com")


ID_PATTERNS = {
    "directory": r"^POOL_[A-Za-z0-9]{15}$",
    "contact": r"^CID_[A-Za-z0-9]{15}$",
    "lookup": r"^CGC_[A-Za-z0-9]{15}$",
    "list": r"^CG_[A-Za-z0-9]{15}$",
    "user": r"^UR_[A-Za-z0-9]{15}$",
    "group": r"^GR_[A-Za-z0-9]{15}$",
    "survey": r"^SV_[A-Za-z0-9]{15}$",
    "response": r"^R_[A-Za-z0-9]{15}$",
    "message": r"^MS_[A-Za-z0-9]{15}$",
    "email": r"^EMD_[A-Za-z0-9]{15}$",
    "sms": r"^SMSD_[A-Za-z0-9]{15}$",
    "subscription": r"^SUB_[A-Za-z0-9]{15}$",
    "batch": r"^BT_[A-Za-z0-9]{15}$",
    "userType": r"^UT_([A-Za-z0-9]{15}|BRANDADMIN)$",
}


def test_ids_have_the_real_formats(api, acme):
    def check(kind, value):
        assert re.match(ID_PATTERNS[kind], value), (kind, value)

    pool = acme["defaultDirectoryId"]
    check("directory", pool)
    contacts = api.ok("GET", f"/directories/{pool}/contacts")["elements"]
    check("contact", contacts[0]["contactId"])
    beta = list_id(acme, "Beta testers")
    check("list", beta)
    members = api.ok("GET", f"/directories/{pool}/mailinglists/{beta}/contacts")["elements"]
    check("lookup", members[0]["contactLookupId"])
    created = api.ok("POST", f"/directories/{pool}/mailinglists/{beta}/contacts", {"email": "ids@example.com"})
    check("contact", created["id"])
    check("lookup", created["contactLookupId"])
    for user in api.ok("GET", "/users")["elements"]:
        check("user", user["id"])
        check("userType", user["userType"])
    check("group", api.ok("GET", "/groups")["elements"][0]["id"])
    survey = survey_id(acme, "Customer Satisfaction 2025")
    check("survey", survey)
    libraries = api.ok("GET", "/libraries")["elements"]
    messages = api.ok("GET", f"/libraries/{libraries[0]['libraryId']}/messages")["elements"]
    check("message", messages[0]["id"])
    distributions = api.ok("GET", "/distributions", params={"surveyId": survey})["elements"]
    check("email", distributions[0]["id"])
    finished = next(d for d in api.ok("GET", f"/distributions/{distributions[0]['id']}/history")["elements"]
                    if d["responseId"])
    check("response", finished["responseId"])
    check("batch", api.ok("POST", f"/directories/{pool}/transactionbatches", {})["id"])
    check("subscription", api.ok("POST", "/eventsubscriptions", {
        "topics": f"surveyengine.completedResponse.{survey}", "publicationUrl": "http://127.0.0.1:9/h"})["id"])
    sms = api.ok("POST", "/distributions/sms", {
        "surveyId": survey, "name": "ID check", "sendDate": "2030-01-01T00:00:00Z", "method": "Invite",
        "recipients": {"mailingListId": beta}, "message": {"messageText": "Hi ${l://SurveyLink}"}})
    check("sms", sms["id"])
