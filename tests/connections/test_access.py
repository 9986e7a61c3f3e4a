"""The one access function: who gets what role, 404 without access, 403 with a clear message."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from connections.access import connection_for, connections_for, role_for
from connections.models import Role
from tests.factories import make_connection, make_team, make_user, share

pytestmark = pytest.mark.django_db

EXPECTED = {
    "owner": Role.MANAGER,
    "manager": Role.MANAGER,
    "operator": Role.OPERATOR,
    "team_operator": Role.OPERATOR,
    "viewer": Role.VIEWER,
    "outsider": None,
}


@pytest.mark.parametrize(("persona", "expected"), EXPECTED.items())
def test_it_gives_each_persona_its_role(personas, persona, expected):
    assert role_for(getattr(personas, persona), personas.connection) == expected


@pytest.mark.parametrize("persona", EXPECTED)
@pytest.mark.parametrize("needed", list(Role))
def test_the_matrix_of_roles_needed_and_held(personas, persona, needed):
    user = getattr(personas, persona)
    held = EXPECTED[persona]
    if held is None:
        with pytest.raises(Http404):
            connection_for(user, personas.connection.pk, role=needed)
    elif held < needed:
        with pytest.raises(PermissionDenied) as caught:
            connection_for(user, personas.connection.pk, role=needed)
        article = "an" if held.label[0] in "AEIOU" else "a"
        assert str(caught.value) == (
            f"This needs the {needed.label.lower()} role on “Acme production”; you are {article} "
            f"{held.label.lower()}. Ask one of its managers."
        )
    else:
        connection, role = connection_for(user, personas.connection.pk, role=needed)
        assert connection == personas.connection
        assert role == held


def test_unknown_and_malformed_ids_are_404_like_no_access(personas):
    for bad in (personas.connection.pk + 1000, "abc", None, -1, 2**63, 10**30):
        with pytest.raises(Http404):
            connection_for(personas.owner, bad)


def test_anonymous_and_inactive_users_have_no_access(personas):
    assert role_for(AnonymousUser(), personas.connection) is None
    personas.manager.is_active = False
    personas.manager.save()
    with pytest.raises(Http404):
        connection_for(personas.manager, personas.connection.pk)
    assert not connections_for(personas.manager).exists()


def test_superusers_manage_every_connection(personas):
    root = make_user("root", superuser=True)
    assert role_for(root, personas.connection) == Role.MANAGER
    assert list(connections_for(root, role=Role.MANAGER)) == [personas.connection]


def test_the_highest_of_a_personal_and_a_team_share_wins(personas):
    share(personas.connection, team=make_team("Leads", personas.viewer), role=Role.MANAGER)
    assert role_for(personas.viewer, personas.connection) == Role.MANAGER


def test_leaving_the_team_ends_the_access(personas):
    personas.team_operator.groups.clear()
    assert role_for(personas.team_operator, personas.connection) is None


def test_connections_for_filters_by_role_without_duplicates(personas):
    second = make_connection(personas.outsider, name="Globex")
    share(second, user=personas.viewer, role=Role.OPERATOR)
    share(second, team=make_team("Everyone", personas.viewer), role=Role.VIEWER)
    assert list(connections_for(personas.viewer)) == [personas.connection, second]
    assert list(connections_for(personas.viewer, role=Role.OPERATOR)) == [second]
    assert list(connections_for(personas.viewer, role=Role.MANAGER)) == []
    assert list(connections_for(personas.outsider)) == [second]
