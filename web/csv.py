"""CSV downloads: one writer for every export, safe to open in a spreadsheet.

Exports carry text typed by people outside the organisation (contact names, embedded data, the cells
of an uploaded file, audit details). A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a leading tab or carriage return can hide such a start, so every cell starting
with one of them gets a leading apostrophe, which spreadsheets show as text (the OWASP advice on CSV
injection). Every cell is treated alike, headers included, with one exception: a cell that is only a
number or a phone number (digits, spaces, brackets, dots and dashes after an optional sign, such as
``-1`` or ``+44 20 7946 0018``) is left as it is, because a spreadsheet reads it as a number and it
can call nothing, and an apostrophe there would spoil the phone numbers of every exported contact.

Rows are written one at a time, so an export is streamed rather than built in memory.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ().-]*")


class _Line:
    """A file-like object whose ``write`` hands the text back, so ``csv.writer`` returns each line."""

    def write(self, text: str) -> str:
        return text


def csv_cell(value: Any) -> str:
    """The text of one cell: None empty, booleans as ``true``/``false``, a formula made harmless."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Each row as one line of CSV (quoted as needed, ending in CRLF), encoded in UTF-8."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row]).encode()


def csv_response(rows: Iterable[Iterable[Any]], *, filename: str) -> StreamingHttpResponse:
    """A download of ``rows`` streamed as it is written; never cached, since exports hold personal data."""
    streamed = StreamingHttpResponse(csv_lines(rows), content_type=CONTENT_TYPE)
    streamed["Content-Disposition"] = f'attachment; filename="{filename}"'
    streamed["Cache-Control"] = "no-store"
    return streamed
