"""Corrections found by using the directory screens as a new user would."""

from __future__ import annotations

import re

import pytest
import requests

from contacts import csvimport, validation

from .test_views import body, first_contact, seeded_list, url

pytestmark = pytest.mark.django_db


class TestPhoneNumbersInNationalFormats:
    @pytest.mark.parametrize("typed", ["(555) 201-3344", "555.201.3344", "555 201 3344", "+1 555 201 3344"])
    def test_they_are_accepted_and_normalised_with_the_region(self, typed):
        assert validation.clean_phone(typed, "US") == "+15552013344"

    def test_the_seed_datas_own_numbers_are_accepted_and_numbers_too_short_are_not(self, xm):
        seeded = next(c["phone"] for c in xm.client.contacts.list(xm.directory_id).iter_all() if c.get("phone"))
        assert seeded.startswith("+1555") and validation.clean_phone(seeded) == seeded
        for wrong in ("12", "1234567", "+1555123"):
            with pytest.raises(validation.ValidationError):
                validation.clean_phone(wrong, "US")

    def test_the_contact_form_saves_a_national_number_in_international_form(self, xm, login):
        response = login(xm.operator).post(url("contact_create", xm), {
            "firstName": "Nat", "email": "nat.national@example.org", "phone": "(555) 201-3344",
            "on_duplicate": "create"})
        assert response.status_code == 302, body(response)
        contact_id = response["Location"].rstrip("/").split("/")[-1]
        assert xm.client.contacts.get(xm.directory_id, contact_id)["phone"] == "+15552013344"

    def test_a_csv_row_with_a_national_number_is_kept(self):
        checker = csvimport.RowChecker(["email", "phone"], ["email", "phone"], phone_region="US")
        result = checker.check(2, ["row@example.org", "555.201.3344"])
        assert result.problems == [] and result.contact["phone"] == "+15552013344"


class TestFormMessages:
    def test_the_duplicate_notice_appears_once(self, xm, login):
        existing = first_contact(xm, extRef="CRM-100003")
        html = body(login(xm.operator).post(url("contact_create", xm),
                                            {"firstName": "Again", "extRef": "CRM-100003"}))
        assert 'data-testid="duplicate-offer"' in html
        assert html.count("already in the directory") == 1
        assert "already exists" not in html and 'data-testid="form-errors"' not in html
        assert html.count(f'value="update:{existing["contactId"]}"') == 1

    def test_an_invalid_value_is_explained_on_its_field_not_by_the_give_at_least_message(self, xm, login):
        client = login(xm.operator)
        html = body(client.post(url("contact_create", xm), {"email": "bob@"}))
        assert "is not a valid e-mail address" in html and "Give at least" not in html
        html = body(client.post(url("contact_create", xm), {"phone": "12", "extRef": "  "}))
        assert "is not a valid phone number" in html and "Give at least" not in html
        nothing = body(client.post(url("contact_create", xm), {"firstName": " ", "language": "en"}))
        assert "Give at least an e-mail, a phone number, an external reference or a name." in nothing
        assert not xm.calls("POST", f"/directories/{xm.directory_id}/contacts")


class TestDeduplicationShown:
    def test_the_directory_page_and_the_create_forms_say_which_fields_decide(self, xm, login):
        client = login(xm.viewer)
        listing = body(client.get(url("contact_list", xm)))
        rule = re.search(r'data-testid="dedup-rule">([^<]*)<', listing).group(1)
        assert "same e-mail as one person" in rule
        operator = login(xm.operator)
        for target in (url("contact_create", xm), url("member_create", xm, mailing_list_id=xm.mailing_list_id)):
            form = body(operator.get(target))
            assert 'data-testid="dedup-explained"' in form and "same e-mail as one person" in form
            assert "same external reference, then the same e-mail" in form


class TestTotalsAndPaging:
    def test_member_lists_show_the_lists_count(self, xm, login):
        newsletter = seeded_list(xm)
        html = body(login(xm.viewer).get(url("member_list", xm, mailing_list_id=newsletter["mailingListId"])))
        assert f"1–50 of {newsletter['contactCount']:,} members" in html

    def test_page_one_hundred_of_the_contacts_has_a_short_url(self, xm, login, hx):
        requests.post(f"{xm.sandbox.root_url}/_sandbox/contacts", json={"count": 2000},
                      timeout=30).raise_for_status()
        client = login(xm.viewer)
        query = "page_size=25"
        for number in range(2, 101):
            html = body(client.get(url("contact_list", xm) + "?" + query, **hx))
            query = re.search(r'href="\?([^"]*)"[^>]*>Next<', html).group(1).replace("&amp;", "&")
            assert len(url("contact_list", xm) + "?" + query) < 200, number
        html = body(client.get(url("contact_list", xm) + "?" + query, **hx))
        assert "2,476–2,500 of 2,500 contacts" in html
        assert html.count("/contacts/CID_") == 25


def test_removing_an_embedded_data_field_of_a_member_removes_it(xm, login):
    client = login(xm.operator)
    client.post(url("member_create", xm, mailing_list_id=xm.mailing_list_id), {
        "email": "rank@example.org", "ed_name": ["Rank", "Ship"], "ed_value": ["Captain", "Enterprise"],
        "on_duplicate": "create"})
    member = xm.members()[0]
    response = client.post(url("member_edit", xm, mailing_list_id=xm.mailing_list_id, contact_id=member["contactId"]),
                           {"email": "rank@example.org", "ed_original": ["Rank", "Ship"], "ed_name": ["Rank"],
                            "ed_value": ["Admiral"]})
    assert response.status_code == 302, body(response)
    assert xm.members()[0]["embeddedData"] == {"Rank": "Admiral"}
