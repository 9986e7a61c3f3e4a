"""What every page promises the browser: a Content-Security-Policy it keeps to, no caching of signed-in
pages, 405 for a POST to a page that only reads, and sizes in one unit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from web.sizes import binary_size

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *(ROOT / app / "templates" for app in ("connections", "contacts", "brandadmin",
                                                                              "distributions", "dashboard", "web"))]
EMAIL_TEMPLATES = ROOT / "templates" / "emails"  # e-mails are read in mail programs, not under the portal's policy

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"""\s(on[a-z]+|hx-on[:\w-]*)\s*=\s*["']""", re.I)
STYLE = re.compile(r"""(\sstyle\s*=\s*["']|<style\b)""", re.I)
JS_URL = re.compile(r"""=\s*["']\s*javascript:""", re.I)


def page_templates():
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if EMAIL_TEMPLATES not in path.parents:
                yield path


def test_no_template_has_inline_script_handler_style_or_javascript_url():
    found = []
    for path in page_templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in (("inline script", INLINE_SCRIPT), ("event handler", EVENT_HANDLER), ("style", STYLE),
                              ("javascript: URL", JS_URL)):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not found, "\n".join(found)


def test_no_form_widget_is_given_a_style_attribute():
    found = []
    for app in ("accounts", "connections", "contacts", "brandadmin", "distributions", "dashboard", "web"):
        for path in (ROOT / app).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(r"""["']style["']\s*:""", line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    assert not found, found


@pytest.mark.django_db
class TestContentSecurityPolicy:
    def test_every_page_carries_a_policy_without_unsafe_sources(self, login, personas):
        response = login(personas.viewer).get("/")
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["default-src"] == "'self'"
        assert directives["script-src"].startswith("'self'")
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "unsafe" not in policy

    def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(self, login, personas):
        html = login(personas.viewer).get("/").content.decode()
        meta = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", html)
        config = json.loads(meta.group(1))
        assert config["includeIndicatorStyles"] is False and config["allowEval"] is False
        assert "style" not in config["attributesToSettle"]

    def test_served_pages_have_no_inline_script_or_style(self, login, personas, client):
        pages = [client.get(reverse("login")).content.decode()]
        signed_in = login(personas.manager)
        for url in ("/", reverse("connections:connection_list"), personas.connection.get_absolute_url(),
                    reverse("connections:connection_share", args=[personas.connection.pk]),
                    reverse("accounts:profile")):
            pages.append(signed_in.get(url).content.decode())
        for html in pages:
            assert not INLINE_SCRIPT.search(html) and not EVENT_HANDLER.search(html) and not STYLE.search(html)


@pytest.mark.django_db
class TestCaching:
    def test_signed_in_pages_are_not_stored(self, login, personas, hx):
        client = login(personas.viewer)
        for response in (client.get("/"), client.get(reverse("connections:connection_list"), **hx),
                         client.get(personas.connection.get_absolute_url())):
            assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]

    def test_downloads_are_not_stored_either(self, login, personas):
        response = login(personas.owner).get(reverse("connections:connection_audit_csv", args=[personas.connection.pk]))
        assert response["Content-Type"].startswith("text/csv") and "no-store" in response["Cache-Control"]

    def test_pages_for_the_anonymous_are_left_as_they_are(self, client):
        response = client.get("/nothing-here/")
        assert response.status_code == 404 and "no-store" not in response.get("Cache-Control", "")


# Pages that only read: a POST to them is 405, as to every generic list and detail screen.
READ_ONLY = [
    ("dashboard", {}),
    ("mailbox", {}),
    ("accounts:team_list", {}),
    ("connections:connection_list", {}),
    ("connections:connection_detail", {"connection_id": 0}),
    ("connections:connection_audit", {"connection_id": 0}),
    ("connections:connection_audit_csv", {"connection_id": 0}),
    ("contacts:embedded_row", {"connection_id": 0, "directory_id": "POOL_x"}),
    ("contacts:contact_export", {"connection_id": 0, "directory_id": "POOL_x"}),
    ("contacts:mailinglist_detail", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x"}),
    ("contacts:member_export", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x"}),
    ("contacts:import_list", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x"}),
    ("contacts:import_detail", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x",
                                "import_id": 1}),
    ("contacts:import_progress", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x",
                                  "import_id": 1}),
    ("contacts:import_rejected", {"connection_id": 0, "directory_id": "POOL_x", "mailing_list_id": "CG_x",
                                  "import_id": 1}),
    ("contacts:contact_list", {"connection_id": 0, "directory_id": "POOL_x"}),
    ("brandadmin:user_list", {"connection_id": 0}),
    ("brandadmin:user_search", {"connection_id": 0}),
    ("distributions:distribution_list", {"connection_id": 0}),
    ("distributions:distribution_history", {"connection_id": 0, "distribution_id": 1}),
    ("distributions:picker_libraries", {"connection_id": 0}),
    ("surveys:survey_picker", {"connection_id": 0}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), READ_ONLY)
def test_a_page_that_only_reads_answers_post_with_405(login, personas, name, kwargs):
    superuser = type(personas.owner).objects.create_superuser("root", "root@example.org", "x")
    if "connection_id" in kwargs:
        kwargs = {**kwargs, "connection_id": personas.connection.pk}
    response = login(superuser).post(reverse(name, kwargs=kwargs))
    assert response.status_code == 405, (name, response.status_code)
    assert "GET" in response["Allow"]


class TestSizes:
    @pytest.mark.parametrize(
        ("size", "text"),
        [(0, "0 bytes"), (1, "1 byte"), (1023, "1,023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
         (100 * 1024**2, "100 MiB"), (100 * 1024**2 + 1, "100.0 MiB"), (106_000_000, "101.1 MiB"),
         (1024**3 - 1, "1.0 GiB"), (5 * 1024**4, "5 TiB"), (3 * 1024**5, "3,072 TiB")],
    )
    def test_binary_units_everywhere(self, size, text):
        assert binary_size(size) == text

    def test_the_upload_limit_and_the_refusal_speak_the_same_unit(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from contacts.forms import ImportUploadForm

        form = ImportUploadForm()
        assert "at most 100 MiB" in form.fields["file"].help_text
        form = ImportUploadForm(data={"phone_region": "US"},
                                files={"file": SimpleUploadedFile("big.csv", b"email\n", content_type="text/csv")})
        form.max_bytes = 4
        assert not form.is_valid()
        assert form.errors["file"] == ["The file is 6 bytes; the limit is 4 bytes."]

    def test_a_file_just_over_the_limit_reads_in_the_same_unit(self):
        # A file of 106 MB (decimal) against the 100 MiB limit used to read "106 MB; the limit is 104 MB".
        assert f"{binary_size(106_000_000)}; the limit is {binary_size(100 * 1024**2)}" == (
            "101.1 MiB; the limit is 100 MiB"
        )
