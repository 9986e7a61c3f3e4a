"""The signed-in user is kept in the cache between requests (accounts.signed_in), and never outlives a change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import signed_in
from accounts.models import Profile
from accounts.services import profile_update
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def user_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if 'FROM "auth_user"' in q["sql"]]


def test_a_second_page_reads_the_user_from_the_cache_not_the_database(client):
    user = make_user("kept")
    client.force_login(user)
    client.get(reverse("accounts:profile"))  # makes the profile, a change of the user: the next page reads anew
    client.get(reverse("accounts:profile"))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200 and page.context["user"].pk == user.pk
    assert user_queries(captured) == []


def deactivate(user):
    user.is_active = False
    user.save()


def change_password(user):
    user.set_password("a new and long passphrase")
    user.save()


@pytest.mark.parametrize("change", [deactivate, change_password, lambda user: user.delete()],
                         ids=["deactivated", "password-changed", "deleted"])
def test_a_change_that_signs_the_user_out_applies_to_the_very_next_request(client, change):
    user = make_user("leaving")
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).status_code == 200
    change(user)
    answer = client.get(reverse("accounts:profile"))
    assert answer.status_code == 302 and reverse("login") in answer["Location"]


def test_a_profile_change_shows_on_the_next_page(client):
    user = make_user("traveller")
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).context["user"].profile.timezone == "UTC"
    profile_update(user=user, timezone="Europe/Paris")
    assert client.get(reverse("accounts:profile")).context["user"].profile.timezone == "Europe/Paris"


def test_a_copy_read_while_the_user_changed_is_not_used():
    user = make_user("racing")
    loads: list[str] = []

    def read_during_a_change():
        loads.append("read")
        signed_in.user_changed(user.pk)  # a save committed while this request was reading the old row
        return user

    assert signed_in.signed_in_user(user.pk, read_during_a_change) is user
    assert signed_in.signed_in_user(user.pk, lambda: loads.append("again") or user) is user
    assert loads == ["read", "again"], "the copy read before the change was used"
    assert signed_in.signed_in_user(user.pk, lambda: pytest.fail("read again")).pk == user.pk


def test_the_change_is_stamped_again_once_the_transaction_commits(django_capture_on_commit_callbacks):
    user = make_user("committing")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Profile.objects.update_or_create(user=user, defaults={"timezone": "Asia/Tokyo"})
    assert callbacks, "no stamp waits for the commit"
    signed_in.signed_in_user(user.pk, lambda: user)  # a request that read the row before the commit
    for callback in callbacks:
        callback()
    assert signed_in.signed_in_user(user.pk, lambda: "read anew") == "read anew"
