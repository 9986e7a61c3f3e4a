"""The brand administration forms: choices from the brand, “another…” IDs, passwords, member picks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from brandadmin.forms import OTHER, USER_ID_RE, GroupForm, MembersAddForm, TokenForm, UserForm, clean_ids
from brandadmin.selectors import Seen

TYPES = Seen(values=[("UT_BRANDADMIN", 2), ("UT_abcdefABCDEF123", 7)])


def user_data(**overrides):
    data = {"username": "kim@acme.example", "first_name": "Kim", "last_name": "Lee", "email": "kim@acme.example",
            "user_type": "UT_abcdefABCDEF123", "password": "longer-than-8", "language": "en"}
    data.update(overrides)
    return data


class TestUserForm:
    def test_it_labels_the_types_seen_and_offers_another(self):
        form = UserForm(seen_user_types=TYPES)
        choices = dict(form.fields["user_type"].choices)
        assert choices["UT_BRANDADMIN"] == "Brand administrator (UT_BRANDADMIN) (2 users)"
        assert choices["UT_abcdefABCDEF123"] == "UT_abcdefABCDEF123 (7 users)"
        assert OTHER in choices

    def test_it_shows_the_names_managers_gave_the_types(self):
        from brandadmin.selectors import Names

        form = UserForm(seen_user_types=TYPES, names=Names({("user_type", "UT_abcdefABCDEF123"): "Researcher"}))
        choices = dict(form.fields["user_type"].choices)
        assert choices["UT_abcdefABCDEF123"] == "Researcher (UT_abcdefABCDEF123) (7 users)"

    def test_it_starts_on_another_type_when_none_could_be_read(self):
        assert UserForm(seen_user_types=None).fields["user_type"].initial == OTHER

    def test_it_takes_a_typed_user_type_id(self):
        form = UserForm(user_data(user_type=OTHER, user_type_other="UT_zzzzzzzzzzzzzzz"), seen_user_types=TYPES)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["user_type"] == "UT_zzzzzzzzzzzzzzz"

    @pytest.mark.parametrize("other, error", [("", "Enter the ID"), ("GR_12345678", "looks like UT_")])
    def test_it_explains_a_missing_or_malformed_typed_id(self, other, error):
        form = UserForm(user_data(user_type=OTHER, user_type_other=other), seen_user_types=TYPES)
        assert not form.is_valid()
        assert error in " ".join(form.errors["user_type_other"])

    def test_it_keeps_a_submitted_type_valid_when_the_brand_could_not_be_read(self):
        form = UserForm(user_data(), seen_user_types=None)
        assert form.is_valid(), form.errors

    def test_it_refuses_a_password_equal_to_the_username_and_both_password_and_generate(self):
        same = UserForm(user_data(password="kim@acme.example"), seen_user_types=TYPES)
        assert "cannot be the username" in " ".join(same.errors["password"])
        both = UserForm(user_data(generate_password="on"), seen_user_types=TYPES)
        assert "not both" in " ".join(both.errors["password"])

    def test_it_lets_an_edit_keep_the_password(self):
        form = UserForm(user_data(password=""), seen_user_types=TYPES, is_create=False)
        assert form.is_valid(), form.errors
        assert form.fields["password"].label == "New password"

    def test_it_keeps_the_users_language_and_zone_when_the_lists_lack_them(self):
        form = UserForm(initial={"language": "xx-YY", "time_zone": "EST"}, seen_user_types=TYPES,
                        is_create=False)
        assert "xx-YY" in dict(form.fields["language"].choices)
        assert "EST" in dict(form.fields["time_zone"].choices)

    def test_it_checks_division_ids_and_usernames(self):
        form = UserForm(user_data(division_id="Research", username="kim lee"), seen_user_types=TYPES)
        assert set(form.errors) == {"division_id", "username"}

    def test_it_allows_an_unchanged_past_expiration_on_edit_only(self):
        past = datetime.date(2020, 1, 1)
        create = UserForm(user_data(account_expiration_date="2020-01-01"), seen_user_types=TYPES)
        assert "account_expiration_date" in create.errors
        edit = UserForm(user_data(account_expiration_date="2020-01-01", password=""), seen_user_types=TYPES,
                        is_create=False, initial={"account_expiration_date": past})
        assert edit.is_valid(), edit.errors


class TestGroupForm:
    def test_it_offers_the_group_types_seen_and_takes_another(self):
        seen = Seen(values=[("GT_aaaaaaaaaaaaaaa", 3)])
        form = GroupForm({"name": "  Pilots ", "group_type": OTHER, "group_type_other": "GT_bbbbbbbbbbbbbbb"},
                         seen_group_types=seen)
        assert dict(form.fields["group_type"].choices)["GT_aaaaaaaaaaaaaaa"] == "GT_aaaaaaaaaaaaaaa (3 groups)"
        assert form.is_valid(), form.errors
        assert (form.cleaned_data["name"], form.cleaned_data["group_type"]) == ("Pilots", "GT_bbbbbbbbbbbbbbb")

    def test_it_requires_a_type(self):
        form = GroupForm({"name": "Pilots", "group_type": ""}, seen_group_types=Seen())
        assert "group_type" in form.errors


class TestMemberPicks:
    def test_it_takes_several_distinct_user_ids(self):
        picks = "user_id=UR_aaaaaaaaaaaaaaa&user_id=UR_bbbbbbbbbbbbbbb&user_id=UR_aaaaaaaaaaaaaaa"
        form = MembersAddForm(QueryDict(picks))
        assert form.is_valid()
        assert form.user_ids == ["UR_aaaaaaaaaaaaaaa", "UR_bbbbbbbbbbbbbbb"]

    def test_it_refuses_nothing_or_something_else(self):
        assert "Pick at least one user" in " ".join(MembersAddForm(QueryDict("")).non_field_errors())
        assert not MembersAddForm(QueryDict("user_id=GR_aaaaaaaaaaaaaaa")).is_valid()
        with pytest.raises(ValidationError):
            clean_ids(["../etc"], USER_ID_RE)


class TestTokenForm:
    def test_it_needs_a_name_to_save_and_the_confirmation(self):
        form = TokenForm({"destination": "save", "connection_name": " "})
        assert set(form.errors) == {"connection_name", "confirm"}
        shown = TokenForm({"destination": "show", "confirm": "on"})
        assert shown.is_valid(), shown.errors
