"""What a connection keeps of a token and of Qualtrics' answers about it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from connections.crypto import decrypt_token
from connections.models import Connection
from connections.services import WhoAmI
from tests.factories import make_connection, make_user, random_token

pytestmark = pytest.mark.django_db


def test_recording_whoami_keeps_the_facts_and_clears_an_earlier_failure():
    connection = make_connection(make_user("ada"), brand_id="old", last_check_ok=False,
                                 last_check_error="Qualtrics did not answer",
                                 token_rejected_at=timezone.now() - datetime.timedelta(days=1))
    at = timezone.now()
    who = WhoAmI(brand_id="acme", user_id="UR_1", user_name="ada@acme", account_type="UT_BRANDADMIN",
                 datacenter="iad1", suggested_datacenter="sjc1")

    fields = connection.record_whoami(who, at=at)
    connection.save(update_fields=fields)

    connection.refresh_from_db()
    assert (connection.brand_id, connection.qualtrics_user_id, connection.qualtrics_user_name) == (
        "acme", "UR_1", "ada@acme")
    assert (connection.account_type, connection.reported_datacenter, connection.suggested_datacenter) == (
        "UT_BRANDADMIN", "iad1", "sjc1")
    assert connection.last_checked_at == at
    assert connection.last_check_ok is True
    assert connection.last_check_error == ""
    assert connection.token_rejected_at is None


def test_recording_whoami_cuts_long_answers_to_the_columns():
    connection = make_connection(make_user("ada"))
    connection.record_whoami(WhoAmI(brand_id="b" * 500, user_name="u" * 500, datacenter="d" * 50))
    connection.save()
    connection.refresh_from_db()
    assert connection.brand_id == "b" * Connection._meta.get_field("brand_id").max_length
    assert connection.qualtrics_user_name == "u" * Connection._meta.get_field("qualtrics_user_name").max_length
    assert connection.reported_datacenter == "d" * Connection._meta.get_field("reported_datacenter").max_length


def test_a_token_is_kept_encrypted_and_shown_by_its_last_four_characters():
    connection = make_connection(make_user("ada"))
    token = random_token()
    connection.set_token(token)
    connection.save()
    connection.refresh_from_db()
    assert token not in connection.token_encrypted
    assert decrypt_token(connection.token_encrypted) == token
    assert connection.token_mask == f"••••{token[-4:]}"


def test_a_refused_token_is_marked_once_and_keeps_the_first_time():
    connection = make_connection(make_user("ada"))
    first = timezone.now() - datetime.timedelta(hours=2)
    assert connection.mark_token_rejected(at=first) is True
    assert connection.mark_token_rejected() is False
    connection.refresh_from_db()
    assert connection.token_rejected_at == first
