"""The one CSV writer every export uses."""

import csv
import io

import pytest

from web.csv import csv_cell, csv_lines, csv_response


class TestCell:
    @pytest.mark.parametrize(
        "typed",
        ['=HYPERLINK("http://evil.test")', "+cmd|' /C calc'!A0", "-1+A1", "@SUM(A1)", "\t=1", "\r=1", "=", "+"],
    )
    def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(self, typed):
        assert csv_cell(typed) == "'" + typed

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, ""),
            (True, "true"),
            (False, "false"),
            (42, "42"),
            (-1, "-1"),
            ("+44 20 7946 0018", "+44 20 7946 0018"),
            ("+1 (555) 201-3344", "+1 (555) 201-3344"),
            ("-2+3", "'-2+3"),
            ("-1+A1", "'-1+A1"),
            ("+1 555 CALL", "'+1 555 CALL"),
            ("Ada = Lovelace", "Ada = Lovelace"),
            (" =1", " =1"),
            ("'=already quoted", "'=already quoted"),
            ("Zoë", "Zoë"),
        ],
    )
    def test_other_values(self, value, text):
        assert csv_cell(value) == text


def test_lines_are_quoted_utf8_and_end_in_crlf():
    rows = [["name", "note"], ["Zoë", 'said "hi", twice\nthen left'], [None, "=1+1"]]
    lines = list(csv_lines(rows))
    assert all(isinstance(line, bytes) and line.endswith(b"\r\n") for line in lines)
    assert lines[0] == b"name,note\r\n"
    assert list(csv.reader(io.StringIO(b"".join(lines).decode("utf-8")))) == [
        ["name", "note"],
        ["Zoë", 'said "hi", twice\nthen left'],
        ["", "'=1+1"],
    ]


def test_rows_are_written_as_they_are_read():
    written = []

    def rows():
        for n in range(3):
            written.append(n)
            yield [n]

    lines = csv_lines(rows())
    assert next(lines) == b"0\r\n" and written == [0]


def test_the_response_is_a_streamed_download_never_cached():
    response = csv_response(iter([["a"], ["@b"]]), filename="export.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == b"a\r\n'@b\r\n"
