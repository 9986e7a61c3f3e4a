"""Prepare the demo: an admin user, a team, and connections to the local Qualtrics sandbox."""

from __future__ import annotations

import json
import urllib.request

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.services import profile_get_or_create
from connections.crypto import encrypt_token
from connections.models import Connection, ConnectionShare, Role
from connections.services import connection_test


class Command(BaseCommand):
    help = "Create (or refresh) the demo admin user and its connections to a running Qualtrics sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--sandbox", default="http://127.0.0.1:8765", help="The sandbox's root URL.")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="admin@example.org")
        parser.add_argument("--token", default="", help="A brand-admin token of the first brand to use.")
        parser.add_argument("--recent-responses", type=int, default=0, metavar="N",
                            help="Record N responses spread over the last 30 days to each active survey of the first "
                                 "brand (the demo's data is older, so its charts of recent days would be empty).")

    def handle(self, *args, **options):
        info = self._sandbox_info(options["sandbox"])
        with transaction.atomic():
            user = self._admin(options["username"], options["password"], options["email"])
            team, _ = Group.objects.get_or_create(name="Survey operations")
            team.user_set.add(user)
            for index, brand in enumerate(info["brands"]):
                tokens = [t["token"] for t in brand["tokens"] if t["admin"]]
                token = options["token"] if index == 0 and options["token"] in tokens else next(iter(tokens), None)
                if token is None:
                    continue
                self._connection(user, team, brand, token)
                if index == 0:
                    self._oauth_connection(user, team, brand)
                    if options["recent_responses"] > 0:
                        self._recent_responses(options["sandbox"], brand["datacenter"], token,
                                               options["recent_responses"])
        self.stdout.write(self.style.SUCCESS(f"Demo ready for {user.get_username()}."))

    def _sandbox_info(self, root: str) -> dict:
        try:
            with urllib.request.urlopen(f"{root.rstrip('/')}/_sandbox/info", timeout=10) as response:  # noqa: S310
                return json.load(response)
        except OSError as exc:
            raise CommandError(f"The Qualtrics sandbox does not answer at {root}: {exc}") from None

    def _recent_responses(self, root: str, datacenter: str, token: str, count: int) -> None:
        root = root.rstrip("/")
        surveys = _sandbox_json(f"{root}/{datacenter}/API/v3/surveys", token=token)["result"]["elements"]
        for survey in surveys:
            if survey.get("isActive"):
                _sandbox_json(f"{root}/_sandbox/bulk-responses", body={"surveyId": survey["id"], "count": count,
                                                                        "days": 30})

    def _admin(self, username, password, email):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
        user.email = email
        user.is_staff = user.is_superuser = True
        user.first_name = user.first_name or "Demo"
        user.set_password(password)
        user.save()
        profile_get_or_create(user=user)
        return user

    def _connection(self, user, team, brand: dict, token: str) -> Connection:
        name = f"{brand['brandId'].capitalize()} (sandbox)"
        connection, created = Connection.objects.get_or_create(
            owner=user,
            name=name,
            defaults={"datacenter": brand["datacenter"], "token_encrypted": encrypt_token(token),
                      "token_last4": token[-4:], "brand_id": brand["brandId"]},
        )
        if not created:
            connection.datacenter = brand["datacenter"]
            connection.token_encrypted = encrypt_token(token)
            connection.token_last4 = token[-4:]
            connection.save()
        ConnectionShare.objects.get_or_create(connection=connection, team=team, defaults={"role": Role.OPERATOR})
        connection_test(connection=connection, actor=user)
        return connection

    def _oauth_connection(self, user, team, brand: dict) -> Connection | None:
        """The first brand again, through its OAuth client, asking for less than everything: users and groups
        read-only, so the screens that would change them say which scope is missing."""
        client = next((c for c in brand.get("oauthClients", ()) if not c["revoked"]), None)
        if client is None:
            return None
        connection = Connection.objects.filter(owner=user, name=f"{brand['brandId'].capitalize()} (OAuth)").first()
        connection = connection or Connection(owner=user, name=f"{brand['brandId'].capitalize()} (OAuth)")
        connection.datacenter, connection.brand_id = brand["datacenter"], brand["brandId"]
        connection.oauth_scopes_requested = DEMO_SCOPES
        connection.set_oauth_client(client["clientId"], client["clientSecret"])
        connection.save()
        ConnectionShare.objects.get_or_create(connection=connection, team=team, defaults={"role": Role.OPERATOR})
        connection_test(connection=connection, actor=user)
        return connection


DEMO_SCOPES = " ".join([
    "read:users", "read:groups", "read:directories", "manage:directory_contacts", "manage:mailing_lists",
    "manage:mailing_list_contacts", "manage:contact_transactions", "manage:samples", "manage:surveys",
    "manage:survey_responses", "manage:distributions", "read:libraries",
])


def _sandbox_json(url: str, *, token: str = "", body: dict | None = None) -> dict:
    """GET (or POST `body` to) the local sandbox's `url` and read its JSON answer."""
    headers = {"Content-Type": "application/json", **({"X-API-TOKEN": token} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - the demo's own sandbox
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)
