"""Files the import cannot read are refused at the upload with a message that says why and what to do;
the bounds themselves are tested in test_csvfile."""

from __future__ import annotations

import codecs

import pytest
from django.urls import reverse

from contacts.models import ContactImport

from .conftest import PEOPLE_HEADER, csv_upload, people


class TestUploadedFiles:
    @pytest.fixture
    def upload(self, xm, login):
        client = login(xm.operator)
        url = reverse("contacts:import_create", kwargs={"connection_id": xm.connection.pk,
                                                         "directory_id": xm.directory_id,
                                                         "mailing_list_id": xm.mailing_list_id})

        def _upload(data: bytes):
            from django.core.files.uploadedfile import SimpleUploadedFile

            return client.post(url, {"file": SimpleUploadedFile("contacts.csv", data, content_type="text/csv"),
                                     "phone_region": "GB"})

        return _upload

    def test_a_utf16_file_with_its_byte_order_mark_is_read(self, upload, client):
        text = "Email,First Name\r\nzoë@example.org,Zoë\r\n"
        for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            response = upload(bom + text.encode(codec))
            assert response.status_code == 302
            imp = ContactImport.objects.latest("pk")
            assert (imp.headers, imp.original_encoding, imp.encoding) == (["Email", "First Name"], "UTF-16", "utf-8")
            with imp.file.open("rb") as kept:
                assert kept.read().decode() == text
            page = client.get(response["Location"]).content.decode()
            assert "zoë@example.org" in page and "UTF-16" in page

    def test_bytes_of_no_accepted_encoding_are_refused_naming_the_encodings(self, upload):
        page = upload(b"Email,Name\r\nann@example.org,\x81\x8d\r\n").content.decode()
        assert "neither UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or " \
               "Windows-1252 text" in page
        assert not ContactImport.objects.exists()

    def test_too_many_columns_are_refused_with_the_count_and_the_cap(self, upload):
        header = ",".join(f"field{i}" for i in range(250))
        page = upload(f"Email,{header}\r\nann@example.org\r\n".encode()).content.decode()
        assert "The file has 251 columns; an import reads at most 200." in page
        assert not ContactImport.objects.exists()

    def test_a_row_longer_than_the_limit_is_refused_with_its_number(self, upload):
        data = csv_upload([*people(3), ["Long", "Row", "long@example.org", "EXT-L", "x" * 1_100_000]],
                          PEOPLE_HEADER).read()
        page = upload(data).content.decode()
        assert "Row 5 is longer than 1 MiB, the most one row may hold." in page
        assert not ContactImport.objects.exists()

    def test_a_nul_in_a_data_row_names_the_row(self, upload):
        data = csv_upload([*people(2), ["Nul", "Row", "nul\x00@example.org", "EXT-9", ""]], PEOPLE_HEADER).read()
        response = upload(data)
        assert response.status_code == 200
        assert "Row 4 contains a NUL character" in response.content.decode()

    def test_a_nul_in_the_header_names_row_one(self, upload):
        response = upload(b"Em\x00ail,First\r\nann@example.org,Ann\r\n")
        assert response.status_code == 200
        assert "Row 1 contains a NUL character" in response.content.decode()
