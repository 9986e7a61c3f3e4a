"""Every URL pattern of the portal, sent generated bad values: never a server error.

For each pattern the parameters of its route are filled with real objects (a connection on the sandbox's
acme brand, its directory, a list with members, one of them, a Qualtrics user and group, a distribution
that was sent, an import, a team and a share). Hypothesis then sends GET and POST requests, plain and
htmx, whose query parameters and form fields carry bad values: control characters, digits that are not
ASCII, huge numbers, any unicode, very long strings, odd dates and markup. The names are those the code
reads and those the page's own forms carry. The portal's pages are tried as a manager of the connection;
the Django admin's as a superuser (anyone else only meets its log-in redirect). Any 5xx, or any exception
the test client re-raises, fails.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection as db_connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.http import urlencode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apiconsole.models import SavedRequest
from connections.models import ConnectionShare, Role
from contacts import services as contact_services
from distributions.models import Channel, State
from gateway.services import api_key_issue
from responses.models import ExportSchedule, ResponseExport
from subscriptions import services as subscription_services
from tests.contacts.conftest import PEOPLE_HEADER, csv_upload, people
from tests.distributions.conftest import make_distribution
from tests.factories import make_user
from workflows import services as workflow_services
from workflows.models import Auth, Run, RunKind

ROOT = Path(__file__).resolve().parents[2]


def patterns(resolver=None, prefix: str = ""):
    """(route, pattern) for every pattern of the project, routes joined from their includes."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


VIEWS = dict(patterns())


READS = re.compile(r"""(?:GET|POST|data)\.get(?:list)?\(\s*f?["']([A-Za-z_][\w-]*)""")
# The Django admin's own: search, ordering, page, error flag, popups, filters, autocomplete.
ADMIN_NAMES = {"q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters", "app_label", "model_name",
               "field_name", "term", "next", "username", "password"}


@cache
def names_read_in(folder: str) -> frozenset[str]:
    """The query parameter and form field names the code of a folder reads by name."""
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        found.update(READS.findall(path.read_text(encoding="utf-8")))
    return frozenset(found)


def names_for(route: str, view) -> set[str]:
    """What a route's view may read: the names its app and the shared web layer read (the admin's own
    for the admin), and, added by the caller, the names of the page's form fields."""
    if route.startswith("admin/"):
        return set(ADMIN_NAMES)
    app = getattr(view, "view_class", view).__module__.split(".")[0]  # a class-based view's own module
    return set(names_read_in(app)) | set(names_read_in("web")) | {"page_size", "cursor", "trail", "partial"}


FORM_FIELD = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)["']""")

CONTROL = st.one_of(st.sampled_from(["\x00", "a\x00b", "\x1b[2J", "\x7f", "\x85", "\x0b"]),
                    st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=4))
NON_ASCII_DIGITS = st.sampled_from(["²", "³", "¹⁰", "٣", "١٢", "１２", "߁", "৪", "Ⅻ", "𝟗"])
HUGE = st.one_of(
    st.integers(min_value=2**53, max_value=10**60).map(str),
    st.integers(max_value=-(2**31)).map(str),
    st.sampled_from(["1e308", "-1e308", "NaN", "inf", "-0", "0x7fffffff", "9" * 5000]),
)
UNICODE = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
LONG = st.sampled_from(["x" * 3_000, "é" * 1_500, "🙂" * 800, "a," * 1_500, " " * 3_000])
ODD = st.sampled_from([
    "", " ", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "${l://SurveyURL}",
    "2024-02-30", "9999-12-31T23:59", "0001-01-01", "24:61", "true", "on", "[]", "{}", "null", "\u202e",
    "\ufeff", "a\u0300\u0301\u0302", "\U0010ffff",
])


@st.composite
def inputs(draw, names):
    """Values for any of `names` (each present or not). Half the examples carry control characters, which
    the portal refuses before anything else; the other half reach the forms and views."""
    kinds = [NON_ASCII_DIGITS, HUGE, UNICODE, LONG, ODD]
    if draw(st.booleans()):
        kinds += [CONTROL, st.tuples(UNICODE, CONTROL, UNICODE).map("".join)]
    value = st.one_of(*kinds)
    value = st.one_of(value, st.lists(value, min_size=2, max_size=3))
    extra = draw(st.dictionaries(UNICODE, value, max_size=2))
    return {**extra, **draw(st.fixed_dictionaries({}, optional=dict.fromkeys(names, value)))}


# --- the world the routes' parameters come from -----------------------------------------------------


@cache
def acme_ids(base_url: str, token: str) -> dict[str, str]:
    """IDs of the sandbox's demo brand (the demo seed is the same after every reset), read over its API."""
    headers = {"X-API-TOKEN": token}

    def get(path):
        reply = requests.get(f"{base_url}{path}", headers=headers, timeout=10)
        reply.raise_for_status()
        return reply.json()["result"]

    directory = get("/directories")["elements"][0]["directoryId"]
    lists = get(f"/directories/{directory}/mailinglists")["elements"]
    members = []
    for mailing_list in lists:
        members = get(f"/directories/{directory}/mailinglists/{mailing_list['mailingListId']}/contacts")["elements"]
        if members:
            break
    return {
        "directory_id": directory,
        "mailing_list_id": mailing_list["mailingListId"],
        "contact_id": members[0]["contactId"],
        "user_id": get("/users")["elements"][0]["id"],
        "group_id": get("/groups")["elements"][0]["id"],
        "batch_id": get(f"/directories/{directory}/transactionbatches")["elements"][0]["id"],
        "survey_id": get("/surveys")["elements"][0]["id"],
    }


@pytest.fixture
def world(sandbox_personas, settings, tmp_path):
    """(personas, a superuser, the value of every route parameter by name, the admin's objects by model)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    p = sandbox_personas
    base_url = p.sandbox.base_url_template.format(datacenter=p.connection.datacenter)
    ids = dict(acme_ids(base_url, p.sandbox.admin_token))
    sent = make_distribution(p.connection, channel=Channel.EMAIL, state=State.SENT, created_by=p.manager,
                             qualtrics_id="EMD_" + "a" * 15)
    contact_import = contact_services.contact_import_create(
        connection=p.connection, actor=p.manager,
        directory={"directoryId": ids["directory_id"]},
        mailing_list={"mailingListId": ids["mailing_list_id"], "name": "Fuzzed"},
        upload=csv_upload(people(3), PEOPLE_HEADER),
    )
    workflow = requests.get(f"{p.sandbox.root_url}/_sandbox/workflows", params={"brandId": "acme"},
                            timeout=10).json()["workflows"][0]
    trigger = workflow_services.trigger_create(connection=p.connection, actor=p.manager, name="Fuzzed",
                                               url=workflow["eventUrl"], auth=Auth.NONE, payload_template="{}")
    run = Run.objects.create(trigger=trigger, connection=p.connection, kind=RunKind.SINGLE, url=trigger.url,
                             auth=trigger.auth, created_by=p.manager)
    saved = SavedRequest.objects.create(connection=p.connection, name="Fuzzed", path="/whoami", created_by=p.manager)
    api_key, _text = api_key_issue(connection=p.connection, actor=p.manager, role=Role.MANAGER, name="Fuzzed",
                                   preset="read_only")
    export = ResponseExport.objects.create(connection=p.connection, survey_id=ids["survey_id"], created_by=p.manager,
                                           options={"compress": True})
    schedule = ExportSchedule.objects.create(connection=p.connection, survey_id=ids["survey_id"], name="Fuzzed",
                                             notify_on="never")
    survey_id = requests.get(f"{base_url}/surveys", headers={"X-API-TOKEN": p.sandbox.admin_token},
                             timeout=10).json()["result"]["elements"][0]["id"]
    subscription = subscription_services.subscription_create(connection=p.connection, actor=p.manager,
                                                             kind="completed", survey_id=survey_id)
    destination, _key = subscription_services.destination_create(subscription=subscription, actor=p.manager,
                                                                 kind="email", emails="fuzz@example.com")
    superuser = make_user("root", superuser=True)
    Client().post(reverse("login"), {"username": "root", "password": "wrong"})  # an access attempt to look at
    share = ConnectionShare.objects.filter(connection=p.connection).first()
    ids.update(
        connection_id=p.connection.pk,
        distribution_id=sent.pk,
        parent_id=sent.pk,
        import_id=contact_import.pk,
        trigger_id=trigger.pk,
        run_id=run.pk,
        saved_id=saved.pk,
        team_id=Group.objects.get(name="Survey ops").pk,
        share_id=share.pk,
        content_type_id=ContentType.objects.get_for_model(p.connection).pk,
        object_id=p.connection.pk,
        id=p.viewer.pk,
        app_label="connections",
        url="nowhere/at/all/",
        key_id=api_key.pk,
        path="whoami",
        export_id=export.pk,
        schedule_id=schedule.pk,
        response_id="R_" + "a" * 15,
        subscription_id=subscription.pk,
        destination_id=destination.pk,
        qualtrics_id=subscription.qualtrics_id,
        receiver_id=subscription.receiver_id,
    )
    # The object each admin model's change, history and delete pages are tried on (others: their first row).
    objects = {"auth/user": p.viewer.pk, "auth/group": ids["team_id"], "connections/connection": p.connection.pk,
               "connections/connectionshare": share.pk, "contacts/contactimport": contact_import.pk,
               "distributions/distribution": sent.pk}
    return p, superuser, ids, objects


def concrete(route: str, ids: dict, objects: dict) -> str:
    """The route with its parameters filled in with the world's objects."""
    if "<path:object_id>" in route and "<path:content_type_id>" not in route:
        label = re.match(r"admin/(\w+/\w+)/", route).group(1)
        if label not in objects:  # any other model: its first row (or an id no row has)
            row = apps.get_model(*label.split("/")).objects.order_by("pk").first()
            objects[label] = row.pk if row else 1
        route = route.replace("<path:object_id>", str(objects[label]))
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(ids[m.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: quote(str(ids[m.group(1)]), safe=""), path)
    return "/" + path.replace("^", "").replace("$", "")


def form_field_names(client, path: str) -> list[str]:
    response = client.get(path)
    if response.streaming or "text/html" not in response.get("Content-Type", ""):
        return []
    return sorted(set(FORM_FIELD.findall(response.content.decode("utf-8", "replace"))) - {"csrfmiddlewaretoken"})


HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


def refuse_nul_as_postgresql_does(execute, sql, params, many, context):
    """SQLite stores NUL in text; PostgreSQL refuses it (psycopg: "A string literal cannot contain NUL
    (0x00) characters"). The same refusal here makes the SQLite run find what would fail on PostgreSQL."""
    rows = params if many else [params]
    for row in rows or ():
        for value in (row.values() if isinstance(row, dict) else row or ()):
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("A string literal cannot contain NUL (0x00) characters.")
    return execute(sql, params, many, context)


@pytest.mark.parametrize("route", sorted(VIEWS))
def test_no_bad_value_makes_a_server_error(client, world, route):
    personas, superuser, ids, objects = world
    user = superuser if route.startswith("admin/") else personas.manager
    path = concrete(route, ids, objects)
    assert resolve(path).func == VIEWS[route].callback, f"{path} is not {route}"
    client.force_login(user)
    names = sorted(names_for(route, VIEWS[route].callback) | set(form_field_names(client, path)))

    def every(value):
        return dict.fromkeys(names, value)

    @settings(max_examples=3, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(method=st.sampled_from(["GET", "POST"]), htmx=st.booleans(), query=inputs(names), form=inputs(names))
    # Every kind of bad value in every name, as GET and POST, plain and htmx; then generated mixtures.
    @example(method="GET", htmx=False, query={}, form=every("a\x00b"))
    @example(method="POST", htmx=True, query=every("\x1b"), form=every("\x00"))
    @example(method="GET", htmx=True, query={}, form=every("²"))
    @example(method="POST", htmx=False, query=every("٣"), form=every("9" * 30))
    @example(method="POST", htmx=True, query={}, form=every("é" * 3_000))
    def send(method, htmx, query, form):
        client.force_login(user)  # a route may have logged the user out
        extra = HX if htmx else {}
        if method == "GET":
            response = client.get(path, {**form, **query}, **extra)
        else:
            target = f"{path}?{urlencode(query, doseq=True)}" if query else path
            response = client.post(target, form, **extra)
        assert response.status_code < 500, (method, path, htmx, query, form, response.status_code)

    with db_connection.execute_wrapper(refuse_nul_as_postgresql_does):
        send()
