"""The portal sets no limit on how many connections it holds unless its operator asks for one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections import services
from connections.crypto import encrypt_token
from connections.models import Connection, ConnectionShare, Role
from tests.factories import make_team, make_user, random_token

pytestmark = pytest.mark.django_db

PORTAL_SIZE = 5_000


@pytest.fixture
def crowded_portal(portal_sandbox):
    """5,000 connections written straight to the database (no Qualtrics call): half owned by ada, half
    owned by others and shared with a team she is in. Returns (sandbox, ada)."""
    sandbox, _acme, _owner = portal_sandbox
    ada = make_user("ada")
    others = [make_user(f"owner{n}") for n in range(10)]
    team = make_team("Every brand", ada)
    token = random_token()
    encrypted = encrypt_token(token)
    rows = [
        Connection(owner=ada if n % 2 else others[n % 10], name=f"Brand {n:04d}", datacenter="iad1",
                   token_encrypted=encrypted, token_last4=token[-4:], brand_id=f"brand{n}",
                   account_type="UT_BRANDADMIN", last_check_ok=True)
        for n in range(PORTAL_SIZE - Connection.objects.count())
    ]
    Connection.objects.bulk_create(rows, batch_size=500)
    shared = Connection.objects.exclude(owner=ada).values_list("pk", flat=True)
    ConnectionShare.objects.bulk_create(
        [ConnectionShare(connection_id=pk, team=team, role=Role.VIEWER) for pk in shared], batch_size=500
    )
    assert Connection.objects.count() == PORTAL_SIZE
    return sandbox, ada


def test_a_portal_with_5000_connections_lets_a_user_create_one_more(crowded_portal, settings):
    assert settings.PORTAL_MAX_CONNECTIONS is None
    sandbox, ada = crowded_portal

    connection = services.connection_create(owner=ada, name="One more", datacenter="iad1", token=sandbox.admin_token)

    assert connection.brand_id == "acme"
    assert Connection.objects.count() == PORTAL_SIZE + 1


def test_its_screens_answer_for_a_user_who_sees_them_all(crowded_portal, client):
    _sandbox, ada = crowded_portal
    client.force_login(ada)
    one = Connection.objects.get(name="Brand 0001")
    shared = Connection.objects.get(name="Brand 0002")

    listing = client.get(reverse("connections:connection_list"))
    assert listing.status_code == 200
    assert listing.content.decode().count('data-testid="connection-row"') >= PORTAL_SIZE
    assert client.get(reverse("connections:connection_list"), {"q": "Brand 4999"}).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(one.get_absolute_url()).status_code == 200
    assert client.get(shared.get_absolute_url()).status_code == 200
    switched = client.get(reverse("connections:connection_switch", args=[shared.pk]))
    assert switched.status_code == 302
    assert client.session["current_connection_id"] == shared.pk


def test_the_switcher_costs_the_same_for_5000_connections_and_searches_on_the_server(crowded_portal, client, hx):
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    _sandbox, ada = crowded_portal
    client.force_login(ada)
    for name in ("Brand 0003", "Brand 0001", "Brand 0002"):  # used in this order
        client.get(Connection.objects.get(name=name).get_absolute_url())
    with CaptureQueriesContext(database) as queries:
        page = client.get(reverse("dashboard")).content.decode()
    menu = page[page.index('id="switcher-items"'):page.index("All connections…")]
    assert [n for n in ("Brand 0002", "Brand 0001", "Brand 0003") if n in menu] == ["Brand 0002", "Brand 0001",
                                                                                   "Brand 0003"]
    assert menu.index("Brand 0002") < menu.index("Brand 0001") < menu.index("Brand 0003")  # most recent first
    assert menu.count('data-testid="switcher-item"') == 3 and 'data-testid="switcher-search"' in page
    assert len(page) < 60_000 and len(queries) < 25
    assert "All 5000 connections…" in page  # the dashboard lists a few, by name

    found = client.get(reverse("connections:switcher_search"), {"q": "brand 49"}, **hx).content.decode()
    assert found.count('data-testid="switcher-item"') == 20 and "Brand 4900" in found and "<html" not in found
    nothing = client.get(reverse("connections:switcher_search"), {"q": "no such brand"}, **hx).content.decode()
    assert "No connection matches." in nothing


def test_the_dashboard_lists_the_first_by_name_and_counts_them_all(crowded_portal, client):
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    _sandbox, ada = crowded_portal
    Connection.objects.filter(name__in=["Brand 0007", "Brand 0003", "Brand 4998"]).update(
        last_check_ok=False, last_check_error="The token was refused")
    Connection.objects.filter(name__in=[f"Brand {n:04d}" for n in range(20, 40)]).update(last_check_ok=False)
    client.force_login(ada)
    with CaptureQueriesContext(database) as queries:
        page = client.get(reverse("dashboard")).content.decode()
    from connections.access import connections_for

    mine = page[page.index('data-testid="dashboard-connections"'):page.index('data-testid="all-connections"')]
    by_name = list(connections_for(ada).order_by("name", "pk").values_list("name", flat=True))
    shown = by_name[:12]
    assert len(by_name) == PORTAL_SIZE and "Brand 0000" in shown and by_name[12] not in mine
    assert [mine.index(f">{name}<") for name in shown] == sorted(mine.index(f">{name}<") for name in shown)
    assert f"All {PORTAL_SIZE} connections…" in page
    failing = page[page.index('data-testid="dashboard-failing"'):]
    assert failing.index("Brand 0003") < failing.index("Brand 0007") < failing.index("Brand 0020")
    assert "Brand 4998" not in failing and "8 of 23" in failing
    assert len(queries) < 25


def test_the_switcher_lists_a_few_connections_by_name_whatever_their_case(client):
    owner = make_user("few")
    for name in ("zeta", "Alpha", "beta", "Gamma"):
        Connection.objects.create(owner=owner, name=name, datacenter="iad1", token_encrypted=encrypt_token("t" * 40),
                                  token_last4="tttt")
    client.force_login(owner)
    page = client.get(reverse("dashboard")).content.decode()
    menu = page[page.index('id="switcher-items"'):]
    assert menu.index("Alpha") < menu.index("beta") < menu.index("Gamma") < menu.index("zeta")
