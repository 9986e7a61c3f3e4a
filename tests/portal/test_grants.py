"""Every route that grants access to a connection, tried by every persona.

Access to a connection comes from owning it, a share with the person, or a share with one of his teams.
Each of those changes only through someone allowed to grant it: the connection's managers (shares), the
team's managers (members), or a superuser (everything, the Django admin included). Being staff grants
nothing. Each test tries the grant as every persona and then checks, through the connection's own page,
who can use the connection afterwards.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import TeamManager
from connections.access import role_for
from connections.models import Connection, ConnectionShare, Role
from tests.factories import make_connection, make_team, make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "viewer", "operator", "manager", "staff", "superuser"]


@pytest.fixture
def world(personas):
    """The connection's personas, plus staff without permissions, a superuser, and a team manager."""
    personas.staff = make_user("stan", staff=True)
    personas.superuser = make_user("root", superuser=True)
    personas.anonymous = None
    personas.team = Group.objects.get(name="Survey ops")  # holds the operator role on the connection
    personas.team_manager = make_user("tess")
    TeamManager.objects.create(team=personas.team, user=personas.team_manager)
    return personas


def client_as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def can_open(client, user, connection) -> bool:
    """Whether `user` reaches the connection's page (the portal answers 404 to those without access)."""
    status = client_as(client, user).get(connection.get_absolute_url()).status_code
    assert status in (200, 302, 404), status
    return status == 200


def refused(response, user) -> bool:
    """Refused as the portal refuses: the log-in page for the anonymous, 403 or 404 for the rest."""
    if user is None:
        return response.status_code == 302 and "/login/" in response["Location"]
    return response.status_code in (403, 404)


def admin_refused(response, user) -> bool:
    """The admin sends whoever is not staff to its log-in page, and answers 403 to staff it refuses."""
    if user is None or not user.is_staff:
        return response.status_code == 302 and "login/" in response["Location"]
    return response.status_code == 403


# --- teams in the portal ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*PERSONAS, "team_manager"])
def test_joining_a_team_that_holds_a_role_takes_one_of_its_managers(client, world, persona):
    user = getattr(world, persona)
    team = world.team
    members = [u.pk for u in team.user_set.all()]
    response = client_as(client, user).post(
        reverse("accounts:team_edit", args=[team.pk]),
        {"name": team.name, "members": [*members, *([user.pk] if user else [])]},
    )
    allowed = persona in {"superuser", "team_manager"}
    if allowed:
        assert response.status_code == 302
        assert team.user_set.filter(pk=user.pk).exists()
        assert role_for(user, world.connection) is not None
    else:
        assert refused(response, user), (persona, response.status_code)
        assert sorted(u.pk for u in team.user_set.all()) == sorted(members)
    if persona in {"outsider", "staff"}:
        assert not can_open(client, user, world.connection)


@pytest.mark.parametrize("persona", [*PERSONAS, "team_manager"])
def test_creating_a_team_is_for_superusers(client, world, persona):
    user = getattr(world, persona)
    response = client_as(client, user).post(
        reverse("accounts:team_create"), {"name": "Insiders", "members": [user.pk] if user else []}
    )
    if persona == "superuser":
        assert response.status_code == 302 and Group.objects.filter(name="Insiders").exists()
    else:
        assert refused(response, user), (persona, response.status_code)
        assert not Group.objects.filter(name="Insiders").exists()


@pytest.mark.parametrize("persona", [*PERSONAS, "team_manager"])
def test_naming_a_team_manager_is_for_superusers(client, world, persona):
    user = getattr(world, persona)
    team = world.team
    client_as(client, user).post(
        reverse("accounts:team_edit", args=[team.pk]),
        {"name": team.name, "members": [u.pk for u in team.user_set.all()],
         "managers": [world.team_manager.pk, *([user.pk] if user else [])]},
    )
    managers = set(TeamManager.objects.filter(team=team).values_list("user_id", flat=True))
    if persona == "superuser":
        assert managers == {world.team_manager.pk, user.pk}
    else:
        assert managers == {world.team_manager.pk}, persona


@pytest.mark.parametrize("persona", [*PERSONAS, "team_manager"])
def test_the_team_screens_open_to_team_managers_and_superusers_only(client, world, persona):
    user = getattr(world, persona)
    make_team("Someone else's")
    listing = client_as(client, user).get(reverse("accounts:team_list"))
    form = client_as(client, user).get(reverse("accounts:team_edit", args=[world.team.pk]))
    if persona == "superuser":
        assert listing.status_code == form.status_code == 200
        assert "Someone else&#x27;s" in listing.content.decode()
    elif persona == "team_manager":
        assert listing.status_code == form.status_code == 200
        body = listing.content.decode()
        assert "Survey ops" in body and "Someone else" not in body and "New team" not in body
        assert 'name="managers"' not in form.content.decode()
    else:
        assert refused(listing, user) and refused(form, user), persona


# --- shares in the portal -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_sharing_a_connection_takes_one_of_its_managers(client, world, persona):
    user = getattr(world, persona)
    newcomer = make_user("nina")
    response = client_as(client, user).post(
        reverse("connections:connection_share", args=[world.connection.pk]),
        {"user": newcomer.pk, "role": Role.MANAGER},
    )
    granted = ConnectionShare.objects.filter(connection=world.connection, user=newcomer).exists()
    if persona in {"manager", "superuser"}:
        assert response.status_code == 302 and granted
    else:
        assert refused(response, user), (persona, response.status_code)
        assert not granted


@pytest.mark.parametrize("persona", PERSONAS)
def test_sharing_with_oneself_takes_a_manager_already(client, world, persona):
    user = getattr(world, persona)
    response = client_as(client, user).post(
        reverse("connections:connection_share", args=[world.connection.pk]),
        {"user": user.pk if user else "", "role": Role.MANAGER},
    )
    if persona in {"anonymous", "outsider", "viewer", "operator", "staff"}:
        assert refused(response, user), (persona, response.status_code)
        assert user is None or role_for(user, world.connection) != Role.MANAGER
    else:
        assert response.status_code in (200, 302)
        assert role_for(user, world.connection) == Role.MANAGER


@pytest.mark.parametrize("persona", PERSONAS)
def test_ending_a_share_takes_one_of_the_managers(client, world, persona):
    user = getattr(world, persona)
    share = ConnectionShare.objects.get(connection=world.connection, user=world.viewer)
    response = client_as(client, user).post(
        reverse("connections:connection_unshare", args=[world.connection.pk, share.pk])
    )
    exists = ConnectionShare.objects.filter(pk=share.pk).exists()
    if persona in {"manager", "superuser"}:
        assert response.status_code == 302 and not exists
    else:
        assert refused(response, user), (persona, response.status_code)
        assert exists


@pytest.mark.parametrize("persona", PERSONAS)
def test_editing_a_connection_never_changes_its_owner(client, world, persona):
    user = getattr(world, persona)
    connection = world.connection
    client_as(client, user).post(
        reverse("connections:connection_edit", args=[connection.pk]),
        {"name": connection.name, "datacenter": connection.datacenter, "notify_days_before": 14,
         "owner": user.pk if user else ""},
    )
    assert Connection.objects.get(pk=connection.pk).owner_id == world.owner.pk


def test_the_sharing_service_itself_refuses_who_does_not_manage(world):
    from django.core.exceptions import PermissionDenied

    from connections import services

    for actor in (world.staff, world.operator, world.outsider, world.team_manager):
        with pytest.raises(PermissionDenied):
            services.connection_share(connection=world.connection, actor=actor, user=actor, role=Role.MANAGER)
        share = ConnectionShare.objects.filter(connection=world.connection).first()
        with pytest.raises(PermissionDenied):
            services.connection_unshare(connection=world.connection, actor=actor, share_id=share.pk)


# --- the Django admin ---------------------------------------------------------------------------


def _with_every_model_permission(user):
    """Staff who was even given Django's model permissions: still not enough to grant access."""
    codenames = ["add_group", "change_group", "add_connectionshare", "change_connectionshare", "change_connection",
                 "change_user", "view_group", "view_connection", "view_connectionshare", "view_user"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)


ADMIN_PERSONAS = [*PERSONAS, "staff_with_permissions"]


def admin_user(world, persona):
    if persona == "staff_with_permissions":
        return _with_every_model_permission(make_user("perry", staff=True))
    return getattr(world, persona)


def _team_form(team, members, **extra):
    data = {"name": team.name, "members": members, "permissions": [],
            "manager_links-TOTAL_FORMS": 0, "manager_links-INITIAL_FORMS": 0,
            "manager_links-MIN_NUM_FORMS": 0, "manager_links-MAX_NUM_FORMS": 1000,
            "connection_shares-TOTAL_FORMS": 0, "connection_shares-INITIAL_FORMS": 0,
            "connection_shares-MIN_NUM_FORMS": 0, "connection_shares-MAX_NUM_FORMS": 0}
    data.update(extra)
    return data


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
def test_admin_team_membership_is_for_superusers(client, world, persona):
    user = admin_user(world, persona)
    team = world.team
    before = sorted(u.pk for u in team.user_set.all())
    response = client_as(client, user).post(
        reverse("admin:auth_group_change", args=[team.pk]), _team_form(team, [*before, *([user.pk] if user else [])])
    )
    after = sorted(u.pk for u in team.user_set.all())
    if persona == "superuser":
        assert response.status_code == 302 and user.pk in after
    else:
        assert admin_refused(response, user), (persona, response.status_code)
        assert after == before


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
def test_admin_user_teams_are_for_superusers(client, world, persona):
    user = admin_user(world, persona)
    target = world.outsider if user is None else user
    url = reverse("admin:auth_user_change", args=[target.pk])
    data = {"username": target.username, "email": target.email, "is_active": "on", "is_staff": "on",
            "is_superuser": "on", "groups": [world.team.pk], "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00", "initial-date_joined_0": "2024-01-01", "initial-date_joined_1": "00:00:00"}
    response = client_as(client, user).post(url, data)
    target.refresh_from_db()
    in_team = target.groups.filter(pk=world.team.pk).exists()
    if persona == "superuser":
        assert response.status_code == 302 and in_team
    elif persona == "staff_with_permissions":
        # He may edit ordinary fields of users, but teams, staff and superuser status stay as they were.
        assert not in_team and not target.is_superuser
    else:
        assert admin_refused(response, user), (persona, response.status_code)
        assert not in_team and not target.is_superuser


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
def test_admin_shares_are_for_superusers(client, world, persona):
    user = admin_user(world, persona)
    grantee = user or world.outsider
    before = role_for(grantee, world.connection)
    response = client_as(client, user).post(
        reverse("admin:connections_connectionshare_add"),
        {"connection": world.connection.pk, "user": grantee.pk, "team": "", "role": Role.MANAGER},
    )
    if persona == "superuser":
        # A superuser manages every connection already; he grants himself nothing new, so share with another.
        response = client.post(
            reverse("admin:connections_connectionshare_add"),
            {"connection": world.connection.pk, "user": world.outsider.pk, "team": "", "role": Role.VIEWER},
        )
        assert response.status_code == 302
        assert ConnectionShare.objects.filter(connection=world.connection, user=world.outsider).exists()
    else:
        assert admin_refused(response, user), (persona, response.status_code)
        assert role_for(grantee, world.connection) == before


@pytest.mark.parametrize("persona", ADMIN_PERSONAS)
def test_admin_connection_ownership_is_for_superusers(client, world, persona):
    user = admin_user(world, persona)
    connection = world.connection
    new_owner = user or world.outsider
    data = {"owner": new_owner.pk, "name": connection.name, "description": "", "enabled": "on",
            "datacenter": connection.datacenter, "new_token": "", "qualtrics_username": "", "expires_on": "",
            "notify_days_before": 14, "notify_emails": "", "shares-TOTAL_FORMS": 0, "shares-INITIAL_FORMS": 0,
            "shares-MIN_NUM_FORMS": 0, "shares-MAX_NUM_FORMS": 1000}
    response = client_as(client, user).post(reverse("admin:connections_connection_change", args=[connection.pk]),
                                            data)
    owner = Connection.objects.get(pk=connection.pk).owner_id
    if persona == "superuser":
        assert response.status_code == 302 and owner == new_owner.pk
    else:
        assert admin_refused(response, user), (persona, response.status_code)
        assert owner == world.owner.pk


def test_staff_with_permissions_may_still_look_in_the_admin(client, world):
    user = _with_every_model_permission(make_user("perry", staff=True))
    client_as(client, user)
    page = client.get(reverse("admin:connections_connection_change", args=[world.connection.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


# --- the demo mail box --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_mail_box_is_for_superusers(client, world, persona, settings, tmp_path):
    from django.core.mail import send_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    send_mail("Token expires in 7 days", "Rotate it soon.", None, ["ops@example.org"])
    user = getattr(world, persona)
    response = client_as(client, user).get(reverse("mailbox"))
    if persona == "superuser":
        assert response.status_code == 200 and "Token expires in 7 days" in response.content.decode()
    else:
        assert refused(response, user), (persona, response.status_code)
        assert b"Token expires" not in response.content


def test_a_staff_user_reaches_no_connection_by_any_route(client, world):
    """End to end: a staff user adds himself to a team holding a role, then tries to open the connection."""
    other = make_connection(world.owner, name="Other")
    for connection in (world.connection, other):
        assert not can_open(client, world.staff, connection)
    client_as(client, world.staff).post(
        reverse("accounts:team_edit", args=[world.team.pk]),
        {"name": world.team.name, "members": [*world.team.user_set.values_list("pk", flat=True), world.staff.pk]},
    )
    assert not can_open(client, world.staff, world.connection)
    assert not world.team.user_set.filter(pk=world.staff.pk).exists()
