"""The bounds of an uploaded CSV file (contacts/csvfile.py): what is accepted, and what is refused with
a message that says why and what to do."""

from __future__ import annotations

import codecs
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import csvfile


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("contacts.csv", data, content_type="text/csv")


def prepared(data: bytes) -> tuple[csvfile.Prepared, str]:
    result = csvfile.prepare(upload(data))
    try:
        return result, result.file.read().decode("utf-8")
    finally:
        result.file.close()


def refusal(data: bytes) -> str:
    with pytest.raises(csvfile.CSVFormatError) as caught:
        csvfile.prepare(upload(data))
    return str(caught.value)


class TestEncodings:
    TEXT = "Nom;Email;Ville\r\nJosé;jose@example.org;São Paulo\r\n"

    def test_it_reads_utf8_with_and_without_a_byte_order_mark(self):
        for data in (self.TEXT.encode(), codecs.BOM_UTF8 + self.TEXT.encode()):
            result, copy = prepared(data)
            assert (result.encoding, result.delimiter, result.headers) == ("utf-8", ";", ["Nom", "Email", "Ville"])
            assert copy == self.TEXT  # the kept copy: UTF-8, without the mark

    @pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
    def test_it_reads_utf16_by_its_byte_order_mark_and_keeps_utf8(self, bom, codec):
        result, copy = prepared(bom + self.TEXT.encode(codec))
        assert (result.encoding, result.headers) == (codec, ["Nom", "Email", "Ville"])
        assert copy == self.TEXT

    def test_utf16_without_its_byte_order_mark_is_refused_with_a_way_out(self):
        assert refusal(self.TEXT.encode("utf-16-le")).startswith(
            "The file seems to be UTF-16 text without a byte-order mark")

    def test_it_reads_windows_1252_when_the_file_is_not_utf8(self):
        result, copy = prepared(self.TEXT.encode("cp1252"))
        assert result.encoding == "cp1252" and copy == self.TEXT

    def test_a_file_utf8_at_first_and_windows_1252_later_is_read_as_windows_1252_throughout(self):
        data = ("Email,City\r\n" + "a@example.org,Paris\r\n" * 30_000).encode() + "b@example.org,Málaga\r\n".encode(
            "cp1252")
        result, copy = prepared(data)
        assert result.encoding == "cp1252" and copy.endswith("b@example.org,Málaga\r\n")

    def test_bytes_of_no_accepted_encoding_are_refused_naming_the_encodings(self):
        message = refusal(b"email\n\x81\x8d\x90@x\n")
        assert message.startswith("The file is neither UTF-8 (with or without a byte-order mark), UTF-16 with a "
                                  "byte-order mark, or Windows-1252 text")
        assert "Save it as “CSV UTF-8”" in message

    def test_a_file_marked_utf8_with_other_bytes_is_refused_with_where(self):
        message = refusal(codecs.BOM_UTF8 + b"email\nann@example.org\n\xe9t\xe9@example.org\n")
        assert "(line 3 is not UTF-8, although the file starts as UTF-8)" in message

    def test_a_workbook_is_refused_as_not_a_csv(self):
        assert refusal(b"PK\x03\x04" + b"\x00" * 100).startswith("This is an Excel workbook (.xlsx)")

    def test_old_mac_line_endings_are_read(self):
        result, copy = prepared(b"Email,Name\rann@example.org,Ann\rbob@example.org,Bob\r")
        assert result.headers == ["Email", "Name"]
        assert [cells for _, cells, _ in csvfile.records(io.BytesIO(copy.encode()), delimiter=",")] == [
            ["ann@example.org", "Ann"], ["bob@example.org", "Bob"]]


class TestBounds:
    def test_a_file_over_the_limit_is_refused_in_mib(self):
        with pytest.raises(csvfile.CSVFormatError, match=r"^The file is 100.0 MiB; the limit is 100 MiB\.$"):
            csvfile.check_size(csvfile.MAX_FILE_BYTES + 1)
        csvfile.check_size(csvfile.MAX_FILE_BYTES)

    def test_columns_up_to_the_cap_are_read(self):
        header = ",".join(f"c{i}" for i in range(csvfile.MAX_COLUMNS))
        result, _ = prepared(f"{header}\n{'x,' * (csvfile.MAX_COLUMNS - 1)}x\n".encode())
        assert len(result.headers) == csvfile.MAX_COLUMNS

    def test_one_column_over_the_cap_is_refused_with_the_count_and_the_cap(self):
        header = ",".join(f"c{i}" for i in range(csvfile.MAX_COLUMNS + 1))
        assert refusal(f"{header}\nx\n".encode()) == (
            "The file has 201 columns; an import reads at most 200. Keep only the columns you import.")

    def test_two_hundred_thousand_columns_are_refused_from_the_first_64_kib(self):
        header = ",".join(f"c{i}" for i in range(200_000))  # 1.3 MB of header row
        message = refusal(f"{header}\n{header}\n".encode())
        seen = int(message.split("more than ", 1)[1].split(" ", 1)[0].replace(",", ""))
        assert 10_000 < seen < 200_000
        assert message.endswith("columns (counted in the first 64 KiB of its header row alone); an import reads at "
                                "most 200. Keep only the columns you import.")

    def test_an_overlong_header_of_few_columns_is_refused(self):
        message = refusal(("Email," + "N" * 70_000 + "\nann@example.org,x\n").encode())
        assert message.startswith("The header row is longer than 64 KiB")

    def test_an_overlong_row_is_refused_with_its_number(self):
        data = ("Email,Note\nann@example.org,ok\nbob@example.org," + "x" * (1024 * 1024 + 10) + "\n").encode()
        assert refusal(data).startswith("Row 3 is longer than 1 MiB, the most one row may hold.")

    def test_an_unclosed_quote_cannot_swallow_the_file(self):
        data = ("Email,Note\nann@example.org,\"open\n" + "bob@example.org,x\n" * 80_000).encode()
        assert refusal(data) == ("Row 2 has a value of more than 131,072 characters. Check that its quotes are "
                                 "closed.")

    def test_a_nul_is_refused_with_the_row_that_holds_it(self):
        rows = "".join(f"p{i}@example.org,\"two\nlines\"\n" for i in range(3))
        message = refusal(f"Email,Note\n{rows}nul\x00@example.org,x\n".encode())
        assert message.startswith("Row 5 contains a NUL character")  # rows spanning two lines count once

    def test_a_nul_in_the_header_is_row_one(self):
        assert refusal(b"Em\x00ail,First\r\nann@example.org,Ann\r\n").startswith("Row 1 contains a NUL character")

    @pytest.mark.parametrize("data,message", [
        (b"", "The file is empty."), (b"\n\n", "The file is empty."),
        (b"email\n", "no contacts under it"), (b",,\nx,y,z\n", "must name the columns"),
    ])
    def test_files_with_nothing_to_import_are_refused(self, data, message):
        assert message in refusal(data)


class TestRecords:
    DATA = b"Email,Name\nann@example.org,Ann\n\nbob@example.org,\"Bob\nBrown\"\ncat@example.org,Cat\n"

    def test_rows_are_numbered_as_a_spreadsheet_shows_them_with_where_they_end(self):
        read = list(csvfile.records(io.BytesIO(self.DATA), delimiter=","))
        assert [(n, cells) for n, cells, _ in read] == [
            (2, ["ann@example.org", "Ann"]), (3, []), (4, ["bob@example.org", "Bob\nBrown"]),
            (5, ["cat@example.org", "Cat"])]
        assert read[-1][2] == len(self.DATA)

    def test_reading_resumes_after_a_row_without_reading_the_rows_before(self):
        raw = io.BytesIO(self.DATA)
        number, _, end = list(csvfile.records(raw, delimiter=","))[2]
        assert [(n, cells) for n, cells, _ in csvfile.records(raw, delimiter=",", after=(end, number))] == [
            (5, ["cat@example.org", "Cat"])]


class TestMemory:
    def test_preparing_and_reading_a_large_file_keeps_memory_flat(self, tmp_path):
        import tracemalloc

        from django.core.files import File

        path = tmp_path / "large.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("Email,Name,Plan\n")
            for i in range(400_000):  # about 14 MiB
                handle.write(f"person{i}@example.org,Person {i},gold\n")
        tracemalloc.start()
        with path.open("rb") as raw:
            result = csvfile.prepare(File(raw, name="large.csv"))
        try:
            _, peak_prepare = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            count = sum(1 for _ in csvfile.records(result.file, delimiter=","))
            _, peak_read = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            result.file.close()
        assert count == 400_000
        assert peak_prepare < 4 * 1024 * 1024 and peak_read < 1024 * 1024


class TestSeenKeys:
    def test_it_remembers_the_first_row_of_each_key_through_growth(self):
        import random

        from contacts.csvimport import SeenKeys

        seen = SeenKeys()
        rng = random.Random(7)
        keys = list({rng.getrandbits(64) | 1 for _ in range(5000)})
        assert len(keys) == 5000 and [seen.add(key, row) for row, key in enumerate(keys, start=2)] == [None] * 5000
        assert [seen.add(key, 99_999) for key in keys] == list(range(2, 5002))
        assert seen.count == 5000 and len(seen.keys) == 8192
        colliding = [1024 * n + 5 for n in range(1, 4)]  # the same slot in the first table
        fresh = SeenKeys()
        assert [fresh.add(k, i) for i, k in enumerate(colliding)] == [None] * 3
        assert [fresh.add(k, 0) for k in colliding] == [0, 1, 2]
