"""Builders for the portal's own records in tests."""

from __future__ import annotations

import secrets
import string

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from connections.crypto import encrypt_token
from connections.models import Connection, ConnectionShare, Role

from .fixtures.secrets import register_token

PASSWORD = "correct-horse-battery-staple"


def random_token(length: int = 40) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def make_user(username: str, *, email: str | None = None, superuser: bool = False, staff: bool = False, **extra):
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        email=email or f"{username}@example.org",
        password=PASSWORD,
        is_superuser=superuser,
        is_staff=staff or superuser,
        **extra,
    )
    return user


def make_team(name: str, *members) -> Group:
    team = Group.objects.create(name=name)
    team.user_set.add(*members)
    return team


def make_connection(owner, *, name: str = "Acme production", datacenter: str = "iad1", token: str | None = None,
                    brand_id: str = "acme", **fields) -> Connection:
    token = register_token(token or random_token())
    return Connection.objects.create(
        owner=owner,
        name=name,
        datacenter=datacenter,
        token_encrypted=encrypt_token(token),
        token_last4=token[-4:],
        brand_id=brand_id,
        **fields,
    )


def share(connection: Connection, *, user=None, team=None, role: Role = Role.VIEWER) -> ConnectionShare:
    return ConnectionShare.objects.create(connection=connection, user=user, team=team, role=role)


def make_oauth_connection(owner, *, client_id: str, secret: str, name: str = "Acme (OAuth)", datacenter: str = "iad1",
                          brand_id: str = "acme", scopes: str = "manage:all", granted: str | None = None,
                          **fields) -> Connection:
    """A connection signing in with an OAuth client; its secret joins the suite-wide leak guard."""
    register_token(secret)
    connection = Connection(owner=owner, name=name, datacenter=datacenter, brand_id=brand_id,
                            oauth_scopes_requested=scopes,
                            oauth_scopes_granted=scopes if granted is None else granted, **fields)
    connection.set_oauth_client(client_id, secret)
    connection.save()
    return connection
