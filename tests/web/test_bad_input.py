"""Bad input answered in plain words, never with a server error: control characters in any input, digits
that are not ASCII, numbers no database row can have."""

from __future__ import annotations

import pytest
from django.urls import reverse

from web.params import control_character_in, whole_number

pytestmark = pytest.mark.django_db


class TestWholeNumber:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [("3", 3), (" 12 ", 12), ("0", 1), ("-4", 1), ("999999", 100), ("²", 7), ("٣", 7), ("3.5", 7), ("", 7),
         (None, 7), ("1e3", 7), ("9" * 5000, 7), ("+5", 5), ("\x00", 7)],
    )
    def test_only_ascii_digits_count_and_the_bounds_hold(self, value, expected):
        assert whole_number(value, 7, minimum=1, maximum=100) == expected


class TestControlCharacters:
    @pytest.mark.parametrize("text", ["\x00", "a\x01b", "\x1b[31m", "\x7f", "\x85", "x\x9f"])
    def test_these_are_refused(self, text):
        assert control_character_in(text) is not None

    @pytest.mark.parametrize("text", ["plain", "tab\there", "two\r\nlines", "ünïcödé ²", "emoji 🙂", "\u2028"])
    def test_these_are_not(self, text):
        assert control_character_in(text) is None

    def test_a_nul_in_a_search_is_refused_with_a_message(self, login, personas):
        response = login(personas.viewer).get(reverse("connections:connection_list"), {"q": "\x00"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "The portal cannot accept this input" in body
        assert "The query parameter “q” contains a control character (U+0000)" in body

    def test_a_control_character_in_a_form_field_is_refused_and_nothing_saved(self, login, personas):
        response = login(personas.viewer).post(reverse("accounts:profile"), {"timezone": "Europe/Paris\x07"})
        assert response.status_code == 400
        assert "The form field “timezone” contains a control character (U+0007)" in response.content.decode()
        personas.viewer.refresh_from_db()
        assert not hasattr(personas.viewer, "profile") or personas.viewer.profile.timezone != "Europe/Paris\x07"

    def test_htmx_gets_the_refusal_as_a_toast(self, login, personas, hx):
        response = login(personas.viewer).get(reverse("connections:connection_list"), {"q": "a\x1bb"}, **hx)
        assert response.status_code == 200 and response["HX-Retarget"] == "#toasts"
        assert 'data-testid="input-refused"' in response.content.decode()

    def test_a_control_character_in_the_address_is_refused(self, login, personas):
        response = login(personas.viewer).get(
            f"/c/{personas.connection.pk}/directory/%00/contacts/"
        )
        assert response.status_code == 400


class TestNumbersInUrls:
    def test_an_id_no_database_row_can_have_is_not_found(self, login, personas):
        client = login(personas.viewer)
        for path in (f"/c/{'9' * 30}/", f"/c/{personas.connection.pk}/distributions/{'9' * 25}/",
                     f"/account/teams/{'9' * 40}/"):
            assert client.get(path).status_code in (403, 404), path
