"""Files the import cannot read are refused at the upload with a message that says why and what to do."""

from __future__ import annotations

import codecs

import pytest
from django.urls import reverse

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

    def test_a_utf16_file_is_refused_with_a_way_out(self, upload):
        text = "Email,First Name\r\nann@example.org,Ann\r\n"
        for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            response = upload(bom + text.encode(codec))
            assert response.status_code == 200
            assert "The file is UTF-16 text" in response.content.decode()

    def test_a_nul_in_a_data_row_names_the_row(self, upload):
        data = csv_upload([*people(2), ["Nul", "Row", "nul\x00@example.org", "EXT-9", ""]], PEOPLE_HEADER).read()
        response = upload(data)
        assert response.status_code == 200
        assert "Row 4 contains a NUL character" in response.content.decode()

    def test_a_nul_in_the_header_names_row_one(self, upload):
        response = upload(b"Em\x00ail,First\r\nann@example.org,Ann\r\n")
        assert response.status_code == 200
        assert "Row 1 contains a NUL character" in response.content.decode()
