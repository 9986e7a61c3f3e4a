"""Screens of an OAuth connection whose client lacks a scope say which one, in plain words, and the
navigation marks the sections whose scope is missing (directory, users and groups, distributions, surveys)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connections.models import Role
from tests.factories import make_user, share

from .oauth import sandbox_oauth_connection
from .pages import text_of

pytestmark = pytest.mark.django_db


def scoped(portal_sandbox, scopes):
    sandbox, _connection, owner = portal_sandbox
    connection = sandbox_oauth_connection(sandbox, owner, scopes=scopes)
    return sandbox, connection, owner


def says_missing(response, scope):
    return f"This connection's OAuth client has no {scope} scope: a brand admin can add it in Qualtrics" in (
        text_of(response)
    )


@pytest.mark.parametrize(
    ("url_name", "granted", "missing"),
    [
        ("contacts:home", "read:users read:surveys", "read:directories"),
        ("brandadmin:user_list", "read:directories read:groups", "read:users"),
        ("brandadmin:group_list", "read:users", "read:groups"),
        ("surveys:survey_list", "read:users read:directories", "read:surveys"),
    ],
)
@pytest.mark.parametrize("missing_scope_status", [403, 401])
def test_a_screen_names_the_scope_its_client_lacks(login, portal_sandbox, url_name, granted, missing,
                                                    missing_scope_status):
    sandbox, connection, owner = scoped(portal_sandbox, granted)
    sandbox.configure(oauth_missing_scope_status=missing_scope_status)
    response = login(owner).get(reverse(url_name, kwargs={"connection_id": connection.pk}))
    assert says_missing(response, missing), text_of(response)[:600]
    connection.refresh_from_db()
    assert not connection.token_rejected  # a missing scope is not a refused client


def test_a_write_the_client_may_not_make_is_explained_on_the_form(login, portal_sandbox, hx):
    sandbox, connection, owner = scoped(portal_sandbox, "read:directories read:mailing_lists")
    directory = sandbox.brand("acme")["directoryIds"][0]
    url = reverse("contacts:mailinglist_create", kwargs={"connection_id": connection.pk, "directory_id": directory})
    client = login(owner)
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Spring panel"}, **hx)
    assert says_missing(response, "write:mailing_lists"), text_of(response)[:600]


def test_the_distributions_screens_name_their_missing_scope(login, portal_sandbox):
    from distributions.models import State
    from tests.distributions.conftest import make_distribution

    _sandbox, connection, owner = scoped(portal_sandbox, "read:surveys read:directories read:mailing_lists")
    sent = make_distribution(connection, state=State.SENT, qualtrics_id="EMD_" + "b" * 15, created_by=owner)
    client = login(owner)
    history = client.get(reverse("distributions:distribution_history",
                                 kwargs={"connection_id": connection.pk, "distribution_id": sent.pk}))
    assert says_missing(history, "read:distributions"), text_of(history)[:600]
    listing = client.get(reverse("distributions:distribution_list", kwargs={"connection_id": connection.pk}))
    assert 'data-missing-scope="read:distributions"' in listing.content.decode()


def test_the_navigation_marks_each_section_whose_scope_is_missing(login, portal_sandbox):
    _sandbox, connection, owner = scoped(portal_sandbox, "read:surveys read:directories")
    viewer = make_user("vic")
    share(connection, user=viewer, role=Role.VIEWER)
    for person in (owner, viewer):
        body = login(person).get(connection.get_absolute_url()).content.decode()
        assert 'data-missing-scope="read:users"' in body
        assert 'data-missing-scope="read:distributions"' in body
        assert 'data-missing-scope="read:surveys"' not in body
        assert 'data-missing-scope="read:directories"' not in body
        # The page's own links to the sections; a manager also has Subscriptions (read:subscriptions).
        manager = person == owner
        assert ('data-missing-scope="read:subscriptions"' in body) == manager
        assert body.count('data-testid="open-missing-scope"') == (3 if manager else 2)


def test_a_token_connection_marks_nothing(login, portal_sandbox):
    _sandbox, connection, owner = portal_sandbox
    body = login(owner).get(connection.get_absolute_url()).content.decode()
    assert "data-missing-scope" not in body


def test_a_users_and_groups_write_names_its_missing_scope_on_the_form(login, portal_sandbox):
    sandbox, connection, owner = scoped(portal_sandbox, "read:users read:groups")
    acme = sandbox.brand("acme")
    url = reverse("brandadmin:group_create", kwargs={"connection_id": connection.pk})
    client = login(owner)
    assert client.get(url).status_code == 200  # reading the groups' types needs read:groups only
    response = client.post(url, {"name": "Pilots", "group_type": next(iter(acme["groupTypes"]))})
    assert says_missing(response, "write:groups"), text_of(response)[:800]


def test_a_scope_the_client_lost_is_explained_on_every_screen(login, portal_sandbox):
    from tests.factories import make_oauth_connection

    from .test_oauth_views import new_client

    sandbox, _connection, owner = portal_sandbox
    client_id, secret = new_client(sandbox, ["read:users"])
    connection = make_oauth_connection(owner, client_id=client_id, secret=secret, scopes="read:users write:users",
                                       datacenter=sandbox.brand("acme")["datacenter"])
    response = login(owner).get(reverse("brandadmin:user_list", kwargs={"connection_id": connection.pk}))
    assert ("Qualtrics does not give this connection's OAuth client the scopes it asks for (write:users)"
            in text_of(response)), text_of(response)[:800]
