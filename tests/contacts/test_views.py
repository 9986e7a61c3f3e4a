"""The XM Directory screens against the sandbox, with every persona that matters and htmx variants."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
import requests
from django.urls import reverse

from connections.models import AuditEvent
from contacts.models import ContactImport
from web.page_keys import remember_page

from .conftest import PEOPLE_HEADER, check_now, csv_upload, finish_check, people

pytestmark = pytest.mark.django_db


def url(name, xm, **kwargs):
    return reverse(f"contacts:{name}", kwargs={"connection_id": xm.connection.pk, "directory_id": xm.directory_id,
                                               **kwargs})


def first_contact(xm, **match):
    for contact in xm.client.contacts.list(xm.directory_id).iter_all():
        if all(contact.get(k) == val for k, val in match.items()):
            return contact
    raise AssertionError(f"no contact with {match}")


def seeded_list(xm, name="Newsletter subscribers"):
    lists = xm.client.mailing_lists.list(xm.directory_id, include_count=True).iter_all()
    return next(m for m in lists if m["name"] == name)


def body(response) -> str:
    return response.content.decode()


class TestAccess:
    def read_urls(self, xm):
        contact = first_contact(xm)
        newsletter = seeded_list(xm)["mailingListId"]
        member = next(iter(xm.client.mailing_lists.members.list(xm.directory_id, newsletter).iter_all()))
        return [
            reverse("contacts:home", args=[xm.connection.pk]),
            url("contact_list", xm),
            url("contact_detail", xm, contact_id=contact["contactId"]),
            url("mailinglist_list", xm),
            url("member_list", xm, mailing_list_id=newsletter),
            url("member_opted_out", xm, mailing_list_id=newsletter),
            url("member_bounced", xm, mailing_list_id=newsletter),
            url("member_detail", xm, mailing_list_id=newsletter, contact_id=member["contactId"]),
            url("import_list", xm, mailing_list_id=newsletter),
        ]

    def write_urls(self, xm):
        contact = first_contact(xm)
        newsletter = seeded_list(xm)["mailingListId"]
        member = next(iter(xm.client.mailing_lists.members.list(xm.directory_id, newsletter).iter_all()))
        return [
            url("contact_create", xm),
            url("contact_edit", xm, contact_id=contact["contactId"]),
            url("contact_delete", xm, contact_id=contact["contactId"]),
            url("mailinglist_create", xm),
            url("mailinglist_edit", xm, mailing_list_id=newsletter),
            url("mailinglist_delete", xm, mailing_list_id=newsletter),
            url("member_create", xm, mailing_list_id=newsletter),
            url("member_edit", xm, mailing_list_id=newsletter, contact_id=member["contactId"]),
            url("member_delete", xm, mailing_list_id=newsletter, contact_id=member["contactId"]),
            url("import_create", xm, mailing_list_id=newsletter),
        ]

    def test_it_sends_anonymous_users_to_log_in(self, xm, client):
        for target in self.read_urls(xm) + self.write_urls(xm):
            response = client.get(target)
            assert response.status_code == 302 and response["Location"].startswith(reverse("login")), target

    def test_it_hides_the_connection_from_outsiders(self, xm, login):
        client = login(xm.outsider)
        for target in self.read_urls(xm) + self.write_urls(xm):
            assert client.get(target).status_code == 404, target
        assert client.post(url("contact_create", xm), {"email": "x@example.org"}).status_code == 404

    def test_it_lets_viewers_read_but_not_write(self, xm, login):
        client = login(xm.viewer)
        for target in self.read_urls(xm):
            response = client.get(target, follow=True)
            assert response.status_code == 200, target
            assert "New contact" not in body(response) and "Add member" not in body(response)
        for target in self.write_urls(xm):
            assert client.get(target).status_code == 403, target
            assert client.post(target, {"name": "x", "email": "x@example.org"}).status_code == 403, target
        imp_url = url("contact_create", xm)
        assert "operator role" in body(client.post(imp_url, {"email": "x@example.org"}))

    def test_it_lets_operators_open_every_form(self, xm, login):
        client = login(xm.operator)
        for target in self.write_urls(xm):
            assert client.get(target).status_code == 200, target


class TestQualtricsReadInTheBackground:
    """A full list page reads Qualtrics on a background thread while its layout renders; htmx swaps of
    the table alone read it on the request's thread."""

    def spy_on_contact_page(self, monkeypatch) -> list[int]:
        from contacts import selectors

        threads: list[int] = []
        real = selectors.contact_page

        def spy(**kwargs):
            threads.append(threading.get_ident())
            return real(**kwargs)

        monkeypatch.setattr(selectors, "contact_page", spy)
        return threads

    def test_a_full_page_reads_beside_the_request_and_an_htmx_swap_on_it(self, xm, login, hx, monkeypatch):
        threads = self.spy_on_contact_page(monkeypatch)
        client = login(xm.viewer)
        page = body(client.get(url("contact_list", xm) + "?page_size=25"))
        part = body(client.get(url("contact_list", xm) + "?page_size=25", **hx))
        assert threads[0] != threading.get_ident() and threads[1] == threading.get_ident()
        rows = [line for line in page.splitlines() if "/contacts/CID_" in line]
        assert len(rows) == 25 and rows == [line for line in part.splitlines() if "/contacts/CID_" in line]
        assert 'data-testid="connection-switcher"' in page and "1–25 of 500 contacts" in page
        assert page.count(' id="crud-table"') == 1 and "crud-table-slot" not in page

    def test_the_layout_renders_while_qualtrics_answers(self, xm, login, monkeypatch):
        """The page's context processors and layout run before the answer is needed, not after it came."""
        from django.template.context import RequestContext

        from contacts import selectors

        laid_out = threading.Event()
        real_bind = RequestContext.bind_template

        def bind_template(self, template):
            laid_out.set()
            return real_bind(self, template)

        real_page = selectors.contact_page
        seen: list[bool] = []

        def answers_once_the_layout_is_under_way(**kwargs):
            seen.append(laid_out.wait(timeout=10))
            return real_page(**kwargs)

        monkeypatch.setattr(RequestContext, "bind_template", bind_template)
        monkeypatch.setattr(selectors, "contact_page", answers_once_the_layout_is_under_way)
        page = body(login(xm.viewer).get(url("contact_list", xm)))
        assert seen == [True] and "1–50 of 500 contacts" in page

    def test_a_slow_answer_leaves_a_loading_table_in_a_whole_page(self, xm, login, monkeypatch, settings):
        import time

        from contacts import selectors

        settings.LIST_TABLE_GRACE_SECONDS = 0.2
        real_page = selectors.contact_page
        answered = threading.Event()

        def slow(**kwargs):
            time.sleep(1.5)
            try:
                return real_page(**kwargs)
            finally:
                answered.set()

        monkeypatch.setattr(selectors, "contact_page", slow)
        client = login(xm.viewer)
        started = time.monotonic()
        page = body(client.get(url("contact_list", xm)))
        assert time.monotonic() - started < 1.5
        assert 'data-testid="table-loading"' in page and "Loading the contacts from Qualtrics" in page
        assert 'data-testid="search-form"' in page and 'data-testid="connection-switcher"' in page
        assert "/contacts/CID_" not in page and page.count(' id="crud-table"') == 1
        assert answered.wait(timeout=30)  # the read left behind ends within this test, against its sandbox

    def test_an_error_read_in_the_background_is_explained_in_the_table(self, xm, login):
        from connections.crypto import decrypt_token

        client = login(xm.viewer)
        client.get(url("contact_list", xm))  # the directory's name is cached for the heading
        requests.post(f"{xm.sandbox.root_url}/_sandbox/tokens/revoke",
                      json={"token": decrypt_token(xm.connection.token_encrypted)}, timeout=5).raise_for_status()
        response = client.get(url("contact_list", xm))
        html = body(response)
        assert response.status_code == 200 and 'data-testid="qualtrics-error"' in html
        assert "request id" in html and "/contacts/CID_" not in html
        assert 'data-testid="search-form"' in html  # the rest of the page is there, to try again

    def test_the_background_read_must_not_touch_the_database(self, xm, login, monkeypatch):
        from contacts import selectors
        from web.background import DatabaseFromBackground

        def queries_the_database(**kwargs):
            return ContactImport.objects.count()

        monkeypatch.setattr(selectors, "contact_page", queries_the_database)
        with pytest.raises(DatabaseFromBackground):
            login(xm.viewer).get(url("contact_list", xm))


class TestTheDirectoryCount:
    """A contact page shows the directory's count beside its rows: read once a minute, not for every page,
    and again as soon as the portal wrote anything through the connection."""

    def test_it_is_read_once_then_again_after_a_write(self, xm, login, monkeypatch):
        from qualtrics.resources.directories import Directories

        reads: list[str] = []
        real = Directories.get

        def counting(self, directory_id):
            reads.append(directory_id)
            return real(self, directory_id)

        monkeypatch.setattr(Directories, "get", counting)
        client = login(xm.operator)
        for _ in range(3):
            assert "1–50 of 500 contacts" in body(client.get(url("contact_list", xm)))
        assert reads == [xm.directory_id]
        response = client.post(url("contact_create", xm), {"firstName": "Ada", "email": "ada@example.org"})
        assert response.status_code == 302, body(response)
        assert "1–50 of 501 contacts" in body(client.get(url("contact_list", xm)))
        assert reads == [xm.directory_id] * 2


class TestDirectoriesAndContacts:
    def test_it_goes_straight_to_the_only_directory(self, xm, login):
        client = login(xm.viewer)
        response = client.get(reverse("contacts:home", args=[xm.connection.pk]))
        assert response.status_code == 302 and response["Location"] == url("contact_list", xm)
        listing = client.get(reverse("contacts:home", args=[xm.connection.pk]) + "?all=1")
        html = body(listing)
        assert "Default Directory" in html and "E-mail" in html  # the dedup criteria
        assert xm.directory_id in html

    def test_it_pages_through_contacts_with_qualtrics_cursors(self, xm, login, hx):
        client = login(xm.viewer)
        first = client.get(url("contact_list", xm) + "?page_size=25")
        html = body(first)
        assert html.count('href="/c/') > 25 and "1–25 of 500 contacts" in html
        next_query = html.split('hx-get="?', 2)[1].split('"')[0].replace("&amp;", "&")
        second = client.get(url("contact_list", xm) + "?" + next_query, **hx)
        part = body(second)
        assert "<html" not in part and 'id="crud-table"' in part
        names_1 = {line for line in html.splitlines() if "/contacts/CID_" in line}
        names_2 = {line for line in part.splitlines() if "/contacts/CID_" in line}
        assert names_1 and names_2 and not names_1 & names_2

    def test_it_searches_by_email_and_ext_ref(self, xm, login, hx):
        target = first_contact(xm, extRef="CRM-100007")
        client = login(xm.viewer)
        response = client.get(url("contact_list", xm), {"field": "extRef", "comparison": "eq", "q": "CRM-100007"},
                              **hx)
        part = body(response)
        assert target["contactId"] in part and part.count("/contacts/CID_") == 1
        if target.get("email"):
            found = client.get(url("contact_list", xm), {"field": "email", "q": target["email"].upper()})
            assert target["contactId"] in body(found)
        none = client.get(url("contact_list", xm), {"field": "email", "q": "nobody@nowhere.example"})
        assert "No contact matches this search." in body(none)
        assert xm.calls("POST", "/contacts/search")

    def test_it_explains_the_search_cap(self, xm, login):
        client = login(xm.viewer)
        # Page 201 of 50 results a page, whose cursor is Qualtrics' skip token for result 10,000.
        key = remember_page(url("contact_list", xm), cursor="MTAwMDA=", number=201, previous="")
        response = client.get(url("contact_list", xm), {"field": "lastName", "comparison": "contains", "q": "a",
                                                        "page": key})
        assert response.status_code == 200
        assert "at most 10,000 results" in body(response)

    def test_it_shows_every_field_of_a_contact(self, xm, login):
        newsletter = seeded_list(xm)
        member = xm.client.mailing_lists.members.list(xm.directory_id, newsletter["mailingListId"]).items[0]
        response = login(xm.viewer).get(url("contact_detail", xm, contact_id=member["contactId"]))
        html = body(response)
        assert member["contactLookupId"] in html and "Newsletter subscribers" in html
        assert url("member_list", xm, mailing_list_id=newsletter["mailingListId"]) in html
        for part in ("CustomerTier", "Region", "Statistics", "Invite count", member["extRef"]):
            assert part in html
        assert "Edit" not in html.split('data-testid="contact-detail"')[1].split("</h1>")[1][:400]

    def test_it_explains_a_contact_that_is_gone(self, xm, login):
        response = login(xm.viewer).get(url("contact_detail", xm, contact_id="CID_doesnotexist123"))
        assert response.status_code == 404
        assert "Qualtrics could not find it" in body(response)

    def test_it_creates_a_contact_with_embedded_data(self, xm, login):
        client = login(xm.operator)
        response = client.post(url("contact_create", xm), {
            "firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.ORG", "phone": "+44 20 7946 0018",
            "extRef": "ADA-1", "language": "en-gb", "ed_name": ["Plan", "Team", ""], "ed_value": ["Gold", "R&D", ""],
        })
        assert response.status_code == 302, body(response)
        contact_id = response["Location"].rstrip("/").split("/")[-1]
        contact = xm.client.contacts.get(xm.directory_id, contact_id)
        assert (contact["email"], contact["phone"], contact["language"]) == ("Ada@example.org", "+442079460018",
                                                                            "en-gb")
        assert contact["embeddedData"] == {"Plan": "Gold", "Team": "R&D"}
        assert AuditEvent.objects.filter(action="qualtrics.post", target__contains="/contacts").exists()

    def test_it_refuses_bad_input_and_keeps_it(self, xm, login, hx):
        client = login(xm.operator)
        response = client.post(url("contact_create", xm), {
            "firstName": "Bob", "email": "bob@", "phone": "12", "language": "xx-yy",
            "ed_name": ["Points", "x" * 201, "Ok"], "ed_value": ["1", "2", "v" * 1025],
        }, **hx)
        html = body(response)
        assert response.status_code == 200 and "<html" not in html
        assert "is not a valid e-mail address" in html
        assert "is not a valid phone number" in html
        assert "is not a Qualtrics language code" in html
        assert "reserved by Qualtrics" in html and "at most 200 characters" in html and "at most 1,024" in html
        assert 'value="Bob"' in html and 'value="Points"' in html
        assert not xm.calls("POST", f"/directories/{xm.directory_id}/contacts")

    def test_it_offers_to_update_instead_of_creating_a_duplicate(self, xm, login):
        existing = first_contact(xm, extRef="CRM-100003")
        client = login(xm.operator)
        form = {"firstName": "Changed", "lastName": existing["lastName"], "extRef": "CRM-100003"}
        response = client.post(url("contact_create", xm), form)
        html = body(response)
        assert response.status_code == 200 and 'data-testid="duplicate-offer"' in html
        assert f'value="update:{existing["contactId"]}"' in html
        before = sum(1 for _ in xm.client.contacts.list(xm.directory_id).iter_all())
        response = client.post(url("contact_create", xm), {**form, "on_duplicate": f"update:{existing['contactId']}"})
        assert response.status_code == 302
        assert response["Location"] == url("contact_detail", xm, contact_id=existing["contactId"])
        assert xm.client.contacts.get(xm.directory_id, existing["contactId"])["firstName"] == "Changed"
        assert sum(1 for _ in xm.client.contacts.list(xm.directory_id).iter_all()) == before
        created = client.post(url("contact_create", xm), {**form, "on_duplicate": "create"})
        assert created.status_code == 302 and created["Location"] != response["Location"]

    def test_it_edits_embedded_data_rows(self, xm, login, hx):
        contact = first_contact(xm, extRef="CRM-100010")
        client = login(xm.operator)
        page = body(client.get(url("contact_edit", xm, contact_id=contact["contactId"])))
        assert 'name="ed_original" value="CustomerTier"' in page and 'value="Department"' in page
        row = client.get(url("embedded_row", xm), **hx)
        assert 'name="ed_name"' in body(row) and "<html" not in body(row)
        detail = xm.client.contacts.get(xm.directory_id, contact["contactId"])
        kept = {k: val for k, val in detail["embeddedData"].items() if k != "Region"}
        response = client.post(url("contact_edit", xm, contact_id=contact["contactId"]), {
            "firstName": "Edited", "lastName": detail["lastName"] or "", "email": detail["email"] or "",
            "phone": detail["phone"] or "", "extRef": "CRM-100010", "language": detail["language"] or "",
            "ed_original": list(detail["embeddedData"]),
            "ed_name": [*kept, "Plan"], "ed_value": [*kept.values(), "Platinum"],
        }, **hx)
        assert response.status_code == 200 and response["HX-Redirect"].endswith(f"{contact['contactId']}/")
        after = xm.client.contacts.get(xm.directory_id, contact["contactId"])
        assert after["firstName"] == "Edited" and after["embeddedData"]["Plan"] == "Platinum"
        assert "Region" not in after["embeddedData"]  # a removed row is gone from the contact, not left empty
        update = xm.calls("PUT", f"/contacts/{contact['contactId']}")[-1]
        assert update["body"]["embeddedData"]["Region"] is None

    def test_it_shows_qualtrics_errors_on_the_form(self, xm, login):
        xm.sandbox.configure(fail_rate=1.0)
        response = login(xm.operator).post(url("contact_create", xm), {"email": "new.person@example.org",
                                                                       "on_duplicate": "create"})
        html = body(response)
        assert response.status_code == 200 and "Qualtrics had a temporary problem" in html
        assert "request id" in html and 'value="new.person@example.org"' in html

    def test_it_confirms_then_deletes_a_contact(self, xm, login, hx):
        newsletter = seeded_list(xm)
        member = xm.client.mailing_lists.members.list(xm.directory_id, newsletter["mailingListId"]).items[0]
        client = login(xm.operator)
        target = url("contact_delete", xm, contact_id=member["contactId"])
        confirm = body(client.get(target, **hx))
        assert "<html" not in confirm and "leaves every mailing list" in confirm and "Newsletter subscribers" in confirm
        response = client.post(target, **hx)
        assert response["HX-Redirect"] == url("contact_list", xm)
        assert "Deleted" in body(client.get(url("contact_list", xm)))  # the toast on the page it goes to
        ids = {c["contactId"] for c in xm.client.mailing_lists.members.list(xm.directory_id,
                                                                            newsletter["mailingListId"]).iter_all()}
        assert member["contactId"] not in ids


class TestMailingLists:
    def test_it_lists_mailing_lists_with_owner_and_count(self, xm, login):
        html = body(login(xm.viewer).get(url("mailinglist_list", xm)))
        newsletter = seeded_list(xm)
        assert "Newsletter subscribers" in html and str(newsletter["contactCount"]) in html
        assert "CX Team" in html or "(" in html  # owners shown by name when the brand lists them

    def test_it_creates_renames_shares_and_deletes_a_list(self, xm, login):
        client = login(xm.operator)
        form = body(client.get(url("mailinglist_create", xm)))
        assert "Groups (shares the list with the group)" in form
        group = next(iter(xm.client.groups.list().iter_all()))
        response = client.post(url("mailinglist_create", xm), {"name": "Spring campaign", "owner": ""})
        assert response.status_code == 302
        list_id = response["Location"].split("/lists/")[1].split("/")[0]
        assert response["Location"] == url("member_list", xm, mailing_list_id=list_id)
        response = client.post(url("mailinglist_edit", xm, mailing_list_id=list_id),
                               {"name": "Spring campaign 2", "owner": group["id"]})
        assert response.status_code == 302
        found = xm.client.mailing_lists.get(xm.directory_id, list_id)
        assert (found["name"], found["ownerId"]) == ("Spring campaign 2", group["id"])
        confirm = body(client.get(url("mailinglist_delete", xm, mailing_list_id=list_id)))
        assert "Its 0 contacts leave the list" in confirm and "stay in the directory" in confirm
        assert client.post(url("mailinglist_delete", xm, mailing_list_id=list_id)).status_code == 302
        assert list_id not in {m["mailingListId"] for m in xm.client.mailing_lists.list(xm.directory_id).iter_all()}

    def test_it_refuses_a_too_long_name(self, xm, login):
        response = login(xm.operator).post(url("mailinglist_create", xm), {"name": "x" * 101})
        assert "at most 100 characters" in body(response)

    def test_it_shows_the_contact_count_before_deleting(self, xm, login):
        gold = seeded_list(xm, "Gold customers")
        confirm = body(login(xm.operator).get(url("mailinglist_delete", xm, mailing_list_id=gold["mailingListId"])))
        assert f"Its {gold['contactCount']} contacts leave the list" in confirm


class TestMembers:
    def test_it_pages_members_fifty_at_most(self, xm, login, hx):
        newsletter = seeded_list(xm)["mailingListId"]
        client = login(xm.viewer)
        html = body(client.get(url("member_list", xm, mailing_list_id=newsletter) + "?page_size=100"))
        assert html.count("/members/CID_") == 50 and "CGC_" in html
        calls = xm.calls("GET", f"/mailinglists/{newsletter}/contacts")
        assert "pageSize=50" in calls[-1]["query"]
        part = body(client.get(url("member_list", xm, mailing_list_id=newsletter), **hx))
        assert "<html" not in part and 'id="crud-table"' in part

    def test_it_shows_opted_out_and_bounced_members(self, xm, login):
        newsletter = seeded_list(xm)["mailingListId"]
        client = login(xm.viewer)
        opted = body(client.get(url("member_opted_out", xm, mailing_list_id=newsletter)))
        bounced = body(client.get(url("member_bounced", xm, mailing_list_id=newsletter)))
        assert "Opted out on" in opted and "Bounced on" in bounced
        expected = list(xm.client.mailing_lists.members.list_opted_out(xm.directory_id, newsletter).iter_all())
        assert opted.count("/members/CID_") == len(expected)

    def test_it_adds_edits_and_removes_a_member(self, xm, login):
        list_id = xm.mailing_list_id
        client = login(xm.operator)
        response = client.post(url("member_create", xm, mailing_list_id=list_id), {
            "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.org", "extRef": "GH-1",
            "ed_name": ["Rank"], "ed_value": ["Rear admiral"],
        })
        assert response.status_code == 302, body(response)
        contact_id = response["Location"].rstrip("/").split("/")[-1]
        member = xm.members()[0]
        assert member["contactId"] == contact_id and member["embeddedData"] == {"Rank": "Rear admiral"}
        again = body(client.post(url("member_create", xm, mailing_list_id=list_id),
                                 {"email": "grace@example.org", "firstName": "Grace"}))
        assert "already on this list" in again and url("member_edit", xm, mailing_list_id=list_id,
                                                       contact_id=contact_id) in again
        response = client.post(url("member_edit", xm, mailing_list_id=list_id, contact_id=contact_id), {
            "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.org", "extRef": "GH-1",
            "unsubscribed": "on", "ed_original": ["Rank"], "ed_name": ["Rank"], "ed_value": ["Admiral"],
        })
        assert response.status_code == 302
        member = xm.members()[0]
        assert member["mailingListUnsubscribed"] is True and member["embeddedData"]["Rank"] == "Admiral"
        detail = body(client.get(url("member_detail", xm, mailing_list_id=list_id, contact_id=contact_id)))
        assert member["contactLookupId"] in detail and "Opted out of this list" in detail
        confirm = body(client.get(url("member_delete", xm, mailing_list_id=list_id, contact_id=contact_id)))
        assert "stays in the directory" in confirm and "Remove from list" in confirm
        assert client.post(url("member_delete", xm, mailing_list_id=list_id, contact_id=contact_id)).status_code == 302
        assert xm.members() == []
        assert xm.client.contacts.get(xm.directory_id, contact_id)["email"] == "grace@example.org"


class TestExport:
    def test_it_streams_a_directory_with_embedded_data_columns(self, xm, login):
        response = login(xm.viewer).get(url("contact_export", xm))
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header = rows[0]
        assert header[:8] == ["contactId", "firstName", "lastName", "email", "phone", "extRef", "language",
                              "unsubscribed"]
        assert {"CustomerTier", "Department", "Region", "SignupYear"} <= set(header)
        assert header[-1] == "otherEmbeddedData"
        assert len(rows) - 1 == sum(1 for _ in xm.client.contacts.list(xm.directory_id).iter_all())
        assert AuditEvent.objects.filter(action="contacts.export", target=xm.directory_id).exists()

    def test_it_keeps_embedded_keys_first_seen_after_the_first_page(self, xm, login):
        list_id = xm.mailing_list_id
        for i in range(55):
            extra = {"Late": "yes"} if i == 54 else {"Early": str(i)}
            xm.client.mailing_lists.members.create(xm.directory_id, list_id, email=f"e{i}@example.org",
                                                  embedded_data=extra)
        response = login(xm.viewer).get(url("member_export", xm, mailing_list_id=list_id))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header = rows[0]
        assert "Early" in header and "Late" not in header and "contactLookupId" in header
        assert len(rows) == 56
        last = dict(zip(header, rows[-1], strict=True))
        assert last["otherEmbeddedData"] == '{"Late": "yes"}'

    @pytest.mark.parametrize("export", ["contact_export", "member_export"])
    def test_formulas_typed_by_outsiders_are_defused(self, xm, login, export):
        xm.client.mailing_lists.members.create(
            xm.directory_id, xm.mailing_list_id, first_name='=HYPERLINK("http://evil.test","Open")',
            last_name="@SUM(1+1)", email="outsider@example.org", phone="+442079460018",
            embedded_data={"-Note": "\t=1+1", "Plan": "+cmd|' /C calc'!A0"},
        )
        list_id = {"mailing_list_id": xm.mailing_list_id} if export == "member_export" else {}
        response = login(xm.viewer).get(url(export, xm, **list_id))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header = rows[0]
        row = next(dict(zip(header, r, strict=True)) for r in rows[1:] if "outsider@example.org" in r)
        assert row["firstName"] == '\'=HYPERLINK("http://evil.test","Open")'
        assert row["lastName"] == "'@SUM(1+1)"
        assert row["phone"] == "+442079460018"  # a plain phone number can call nothing: kept as typed
        embedded = {"-Note": "\t=1+1", "Plan": "+cmd|' /C calc'!A0"}
        if "Plan" in header:
            assert row["Plan"] == "'+cmd|' /C calc'!A0" and row["'-Note"] == "'\t=1+1"
        else:  # keys first seen after the first page travel as JSON, a cell that starts with "{"
            assert json.loads(row["otherEmbeddedData"]) == embedded
        assert row["email"] == "outsider@example.org"


class TestImportScreens:
    def upload(self, client, xm, rows, header=PEOPLE_HEADER):
        return client.post(url("import_create", xm, mailing_list_id=xm.mailing_list_id),
                           {"file": csv_upload(rows, header), "phone_region": "GB"})

    def test_it_walks_through_upload_mapping_report_and_start(self, xm, login, enqueued, hx,
                                                              django_capture_on_commit_callbacks):
        client = login(xm.operator)
        response = self.upload(client, xm, [*people(5), ["Bad", "Row", "bad-email", "X-1", ""]])
        assert response.status_code == 302
        imp = ContactImport.objects.get()
        assert response["Location"] == url("import_map", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk)
        page = body(client.get(response["Location"]))
        assert "person0@example.net" in page and 'value="email" selected' in page
        assert 'value="embedded" selected' in page  # "Plan" becomes embedded data
        mapping = {f"col_{i}": t for i, t in enumerate(imp.mapping)}
        queued = client.post(response["Location"], {**mapping, "phone_region": "GB"}, **hx)
        part = body(queued)
        assert "<html" not in part and 'data-testid="import-checking"' in part and "import-report" not in part
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.CHECKING and not imp.report  # the worker checks the rows
        finish_check(imp)
        part = body(client.get(response["Location"], **hx))
        assert "<html" not in part and 'data-testid="import-report"' in part
        assert 'data-testid="rows-valid">5<' in part and 'data-testid="rows-rejected">1<' in part
        assert "Invalid e-mail addresses" in part and 'data-testid="start-import"' in part
        assert not xm.calls("POST", "/transactioncontacts")
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post(url("import_start", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk))
        assert started["Location"] == url("import_detail", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk)
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.QUEUED and enqueued == [((imp.pk,), 0)]
        assert AuditEvent.objects.filter(action="contacts.import.start").exists()

    def test_it_explains_a_file_it_cannot_read(self, xm, login):
        client = login(xm.operator)
        response = client.post(url("import_create", xm, mailing_list_id=xm.mailing_list_id),
                               {"file": csv_upload([], ["email"]), "phone_region": "US"})
        assert response.status_code == 200 and "no contacts under it" in body(response)
        assert not ContactImport.objects.exists()

    def test_it_polls_progress_and_stops_polling_when_done(self, xm, login, hx):
        from contacts import services

        xm.sandbox.configure(job_seconds=0)
        client = login(xm.operator)
        self.upload(client, xm, people(40))
        imp = ContactImport.objects.get()
        check_now(imp)
        services.contact_import_start(contact_import=imp, actor=xm.operator)
        progress_url = url("import_progress", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk)
        running = client.get(progress_url, **hx)
        assert running.status_code == 200 and 'hx-trigger="load delay:2s"' in body(running)
        assert "Waiting for a worker" in body(running)
        services.contact_import_run(import_id=imp.pk, sleep=lambda s: None)
        done = client.get(progress_url, **hx)
        assert done.status_code == 286 and "hx-trigger" not in body(done).split('id="list-summary"')[0]
        assert 'data-testid="summary-added">40<' in body(done)
        # The list's heading, loaded before the import, gets its new contact count out of band.
        summary = body(done).split('id="list-summary"', 1)[1]
        assert summary.startswith(' class=') and 'hx-swap-oob="true"' in summary.split(">", 1)[0]
        assert "about 40 contacts" in summary
        viewer_page = login(xm.viewer).get(url("import_detail", xm, mailing_list_id=xm.mailing_list_id,
                                                import_id=imp.pk))
        assert viewer_page.status_code == 200 and "cancel-import" not in body(viewer_page)

    def test_the_mapping_post_of_a_large_file_checks_no_row_and_the_page_follows_the_worker(
            self, xm, login, hx, enqueued, monkeypatch, django_capture_on_commit_callbacks):
        from contacts import csvimport

        checked = []
        real_check = csvimport.RowChecker.check
        monkeypatch.setattr(csvimport.RowChecker, "check",
                            lambda self, number, cells: checked.append(number) or real_check(self, number, cells))
        client = login(xm.operator)
        self.upload(client, xm, people(6000))
        imp = ContactImport.objects.get()
        map_url = url("import_map", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk)
        mapping = {f"col_{i}": t for i, t in enumerate(imp.mapping)}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(map_url, {**mapping, "phone_region": "GB"}, **hx)
        assert response.status_code == 200 and 'data-testid="import-checking"' in body(response)
        assert checked == []  # neither the upload nor the mapping read a row past the header and a sample
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.CHECKING and enqueued == [((imp.pk,), 0)]
        poll_url = url("import_progress", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk) + "?checking=1"
        polled = client.get(poll_url, **hx)
        assert 'data-testid="import-checking"' in body(polled) and 'hx-trigger="load delay:2s"' in body(polled)
        page = body(client.get(map_url))
        assert "Checking every row" in page and "Checking the file…</button>" in page and "start-import" not in page
        finish_check(imp)
        assert sorted(checked) == list(range(2, 6002))  # the worker checked each row once
        assert client.get(poll_url, **hx)["HX-Refresh"] == "true"  # the page reloads to show the report
        page = body(client.get(map_url))
        assert 'data-testid="rows-valid">6,000<' in page and 'data-testid="start-import"' in page
        assert imp.status == ContactImport.Status.READY and imp.planned and imp.total_chunks == 12

    def test_polling_slows_down_as_a_job_goes_on(self, xm, login, hx):
        import datetime

        from django.utils import timezone

        client = login(xm.operator)
        self.upload(client, xm, people(3))
        imp = ContactImport.objects.get()
        check_now(imp)
        from contacts import services

        services.contact_import_start(contact_import=imp, actor=xm.operator)
        progress_url = url("import_progress", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk)
        delays = []
        for minutes in (0, 1, 3, 60):
            ContactImport.objects.filter(pk=imp.pk).update(
                queued_at=timezone.now() - datetime.timedelta(minutes=minutes))
            delays.append(body(client.get(progress_url, **hx)).split('hx-trigger="load delay:', 1)[1].split('"')[0])
        assert delays == ["2s", "6s", "18s", "30s"]

    def test_it_cancels_from_the_page_and_offers_the_rows_not_sent(self, xm, login):
        from contacts import services

        client = login(xm.operator)
        self.upload(client, xm, people(12))
        imp = ContactImport.objects.get()
        check_now(imp)
        services.contact_import_start(contact_import=imp, actor=xm.operator)
        assert login(xm.viewer).post(url("import_cancel", xm, mailing_list_id=xm.mailing_list_id,
                                         import_id=imp.pk)).status_code == 403
        client = login(xm.operator)
        response = client.post(url("import_cancel", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk),
                               follow=True)
        assert "Import cancelled" in body(response)
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.CANCELLED

    def test_the_rejected_rows_defuse_formulas_from_the_file(self, xm, login):
        from contacts import services

        xm.sandbox.configure(job_seconds=0)
        client = login(xm.operator)
        self.upload(client, xm, [*people(2), ['=HYPERLINK("http://evil.test")', "-2+3", "", "", "@x"]])
        imp = ContactImport.objects.get()
        check_now(imp)
        services.contact_import_start(contact_import=imp, actor=xm.operator)
        services.contact_import_run(import_id=imp.pk, sleep=lambda s: None)
        response = client.get(url("import_rejected", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[1][:6] == ["4", '\'=HYPERLINK("http://evil.test")', "'-2+3", "", "", "'@x"]

    def test_it_downloads_the_rejected_rows(self, xm, login):
        from contacts import services

        xm.sandbox.configure(job_seconds=0)
        client = login(xm.operator)
        self.upload(client, xm, [*people(3), ["No", "Id", "", "", ""], ["Dup", "Row", "person1@example.net", "Z", ""]])
        imp = ContactImport.objects.get()
        check_now(imp)
        services.contact_import_start(contact_import=imp, actor=xm.operator)
        services.contact_import_run(import_id=imp.pk, sleep=lambda s: None)
        response = client.get(url("import_rejected", xm, mailing_list_id=xm.mailing_list_id, import_id=imp.pk))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0] == ["row", *PEOPLE_HEADER, "reason"]
        assert [r[0] for r in rows[1:]] == ["5", "6"]
        assert "No e-mail, phone or external reference" in rows[1][-1] and "Same e-mail as row 3" in rows[2][-1]
        imp.refresh_from_db()
        assert (imp.status, imp.added) == (ContactImport.Status.COMPLETED, 3)


class TestImportAccessAndPartials:
    def import_urls(self, xm):
        from contacts import selectors, services

        directory = selectors.directory_get(connection=xm.connection, actor=xm.owner, directory_id=xm.directory_id)
        imp = services.contact_import_create(connection=xm.connection, actor=xm.owner, directory=directory,
                                             mailing_list={"mailingListId": xm.mailing_list_id, "name": "x"},
                                             upload=csv_upload(people(3), PEOPLE_HEADER))
        check_now(imp)
        kw = {"mailing_list_id": xm.mailing_list_id, "import_id": imp.pk}
        reads = [url("import_detail", xm, **kw) + "?summary=1", url("import_progress", xm, **kw),
                 url("import_rejected", xm, **kw), url("import_list", xm, mailing_list_id=xm.mailing_list_id),
                 url("contact_export", xm), url("member_export", xm, mailing_list_id=xm.mailing_list_id)]
        writes = [url("import_map", xm, **kw), url("import_create", xm, mailing_list_id=xm.mailing_list_id)]
        posts = [url("import_start", xm, **kw), url("import_cancel", xm, **kw)]
        return imp, reads, writes, posts

    def test_import_screens_follow_the_roles(self, xm, client, login):
        imp, reads, writes, posts = self.import_urls(xm)
        for target in reads + writes + posts:
            assert client.get(target).status_code == 302, target
        outsider = login(xm.outsider)
        for target in reads + writes + posts:
            assert outsider.get(target).status_code == 404, target
        for target in posts:
            assert outsider.post(target).status_code == 404, target
        viewer = login(xm.viewer)
        for target in reads:
            assert viewer.get(target).status_code == 200, target
        for target in writes:
            assert viewer.get(target).status_code == 403, target
        for target in posts:
            assert viewer.post(target).status_code == 403, target
        imp.refresh_from_db()
        assert imp.status == ContactImport.Status.READY
        other = login(xm.operator)
        assert other.get(url("import_detail", xm, mailing_list_id="CG_other1234567", import_id=imp.pk)).status_code \
            == 404

    def test_detail_and_list_screens_render_partials_for_htmx(self, xm, login, hx):
        contact = first_contact(xm)
        newsletter = seeded_list(xm)["mailingListId"]
        member = next(iter(xm.client.mailing_lists.members.list(xm.directory_id, newsletter).iter_all()))
        client = login(xm.operator)
        for target, marker in [
            (url("contact_detail", xm, contact_id=contact["contactId"]), 'data-testid="contact-detail"'),
            (url("member_detail", xm, mailing_list_id=newsletter, contact_id=member["contactId"]),
             'data-testid="member-detail"'),
            (url("mailinglist_list", xm), 'id="crud-table"'),
            (url("member_bounced", xm, mailing_list_id=newsletter), 'id="crud-table"'),
            (url("member_delete", xm, mailing_list_id=newsletter, contact_id=member["contactId"]),
             'data-testid="confirm-delete"'),
        ]:
            part = body(client.get(target, **hx))
            assert marker in part and "<html" not in part, target

    def test_it_reports_an_invalid_mailing_list_form_in_place(self, xm, login, hx):
        part = body(login(xm.operator).post(url("mailinglist_create", xm), {"name": ""}, **hx))
        assert 'id="crud-form"' in part and "This field is required" in part and "<html" not in part


@pytest.mark.django_db
def test_a_lists_header_names_its_owner(login, xm):
    from connections.qualtrics_client import connection_client

    client = connection_client(xm.connection, audit=False)
    owner_id = client.mailing_lists.get(xm.directory_id, xm.mailing_list_id)["ownerId"]
    owner = client.users.get(owner_id)
    html = body(login(xm.viewer).get(url("member_list", xm, mailing_list_id=xm.mailing_list_id)))
    summary = html.split('data-testid="list-summary"', 1)[1].split("</div>", 1)[0]
    assert owner["username"] in summary and owner_id not in summary
