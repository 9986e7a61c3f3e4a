"""The bounds of an uploaded CSV file, checked before it costs anything: size, encoding, NUL bytes,
header length and column count, row length.

Every CSV upload goes through `prepare()`, which streams the upload once, block by block, into a UTF-8
copy (the only form kept: the rest of the import reads UTF-8). Each block costs a few calls in C
(decode, search, encode), never a Python step per row, so a file at the size limit is prepared in well
under a second; the row-by-row check runs later, in a worker, through `records()`, which reads one row
at a time from a byte offset so that a check can resume where it stopped.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from web.sizes import binary_size

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 200  # Qualtrics' contact fields and embedded data: a wider file is not a contact list
MAX_HEADER_BYTES = 64 * 1024  # 200 columns of 200-character names, quoted, fit with room to spare
MAX_ROW_BYTES = 1024 * 1024  # 200 values of 1,024 characters (Qualtrics' limit), in UTF-8, fit
DELIMITERS = ",;\t|"
BLOCK = 256 * 1024  # one read; at most 3 times BLOCK once in UTF-8, below MAX_ROW_BYTES (see _LineWatch)

ACCEPTED = "UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or Windows-1252"
NUL_REFUSED = (
    "Row {row} contains a NUL character (a zero byte), which no contact field can hold. "
    "Remove it, or save the file again as “CSV UTF-8”."
)
ROW_TOO_LONG = (
    f"Row {{row}} is longer than {binary_size(MAX_ROW_BYTES)}, the most one row may hold. Check that its quotes "
    "are closed, or split its values."
)
SIGNATURES = {  # files often uploaded by mistake, recognised by their first bytes
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zipped file",
    b"\xd0\xcf\x11\xe0": "an Excel 97–2003 workbook (.xls)",
    b"%PDF": "a PDF document",
}


class CSVFormatError(ValueError):
    """The file cannot be read as a CSV with a header row; the message says why and what to do."""


def check_size(size: int, limit: int = MAX_FILE_BYTES) -> None:
    if size > limit:
        raise CSVFormatError(f"The file is {binary_size(size)}; the limit is {binary_size(limit)}.")
    if size == 0:
        raise CSVFormatError("The file is empty.")


def _refuse_encoding(detail: str) -> CSVFormatError:
    return CSVFormatError(f"The file is neither {ACCEPTED} text ({detail}). Save it as “CSV UTF-8” and try again.")


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, bytes of byte-order mark to skip) from the first bytes: a BOM decides; without one, UTF-8
    when the start reads as UTF-8, else Windows-1252 (prepare() confirms it over the whole file)."""
    for signature, what in SIGNATURES.items():
        if head.startswith(signature):
            raise CSVFormatError(f"This is {what}, not a CSV file. Save it as “CSV UTF-8” and try again.")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    start = head[:1024]
    if start.count(b"\0") * 4 > len(start):  # every other byte zero: UTF-16 that lost its mark
        raise CSVFormatError("The file seems to be UTF-16 text without a byte-order mark, which cannot be told "
                             f"apart reliably. The import reads {ACCEPTED}: save it as “CSV UTF-8” and try again.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252", 0
    return "utf-8", 0


class _LineWatch:
    """Notices, block by block and in C, a line longer than MAX_ROW_BYTES. A line that starts and ends
    inside one block is shorter than the block, so only the run of bytes since the last line break,
    carried from block to block, can exceed the limit."""

    def __init__(self):
        self.run = 0
        self.too_long = False

    def feed(self, data: bytes) -> None:
        first = data.find(b"\n")
        if first == -1:
            self.run += len(data)
        else:
            self.too_long |= self.run + first > MAX_ROW_BYTES
            self.run = len(data) - data.rfind(b"\n") - 1
        self.too_long |= self.run > MAX_ROW_BYTES


@dataclass
class Prepared:
    file: object  # a temporary binary file holding the UTF-8 copy, at position 0
    encoding: str  # what the upload was written in
    delimiter: str
    headers: list[str]


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "cp1252": "Windows-1252"}


def prepare(upload) -> Prepared:
    """The upload checked and copied to UTF-8, or CSVFormatError saying what is wrong with it."""
    check_size(upload.size if getattr(upload, "size", None) is not None else 0)
    upload.seek(0)
    head = upload.read(BLOCK)
    encoding, skip = detect_encoding(head)
    out = _transcode(upload, encoding, skip)
    if out is None:  # not UTF-8 after all: the whole file again as Windows-1252
        encoding = "cp1252"
        out = _transcode(upload, encoding, 0)
        if out is None:
            raise _refuse_encoding("it has bytes that no text in these encodings holds")
    try:
        file, flagged = out
        delimiter, headers = read_header(file)
        if flagged:  # a NUL or an overlong line somewhere: read the rows to name the first one
            for _ in records(file, delimiter=delimiter):
                pass
        if not _has_a_row(file, delimiter):
            raise CSVFormatError("The file has a header row but no contacts under it.")
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return Prepared(file=file, encoding=encoding, delimiter=delimiter, headers=headers)


def _transcode(upload, encoding: str, skip: int):
    """(UTF-8 copy, whether a NUL or an overlong line was seen), or None when the file is not `encoding`
    (only for a UTF-8 guess without a byte-order mark, which Windows-1252 may still read)."""
    upload.seek(skip)
    decoder = codecs.getincrementaldecoder(encoding)()
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    watch = _LineWatch()
    nul = False
    line = 0  # line breaks read so far, to say where a byte of another encoding is
    cr_only = None  # lines ended by CR alone (older Mac files) become LF, as the row reader splits at LF
    try:
        while True:
            block = upload.read(BLOCK)
            final = not block
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                if encoding == "utf-8" and not skip:
                    out.close()
                    return None
                # Give or take a character split between two blocks.
                line += block[:exc.start].decode(encoding, errors="replace").count("\n")
                name = ENCODING_NAMES[encoding]
                raise _refuse_encoding(f"line {line + 1:,} is not {name}, although the file starts as {name}") from None
            line += text.count("\n")
            if cr_only is None and text:
                cr_only = "\r" in text and "\n" not in text
            if cr_only:
                text = text.replace("\r", "\n")
            nul = nul or "\0" in text
            data = text.encode("utf-8")
            watch.feed(data)
            out.write(data)
            if final:
                break
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, nul or watch.too_long


def read_header(raw) -> tuple[str, list[str]]:
    """(delimiter, column names) of a UTF-8 file, reading at most MAX_HEADER_BYTES of it."""
    raw.seek(0)
    head = raw.read(MAX_HEADER_BYTES + 1)
    text = head.decode("utf-8", errors="replace")
    if not text.strip():
        raise CSVFormatError("The file is empty.")
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    lines = io.StringIO(text, newline="")
    try:
        headers = next(csv.reader(lines, delimiter=delimiter))
    except StopIteration:
        raise CSVFormatError("The file is empty.") from None
    except csv.Error as exc:
        raise CSVFormatError(f"The header row cannot be read: {exc}.") from None
    if len(head) > MAX_HEADER_BYTES and lines.tell() >= len(text):  # the header row did not end in the limit
        seen = len(headers)
        if seen > MAX_COLUMNS:
            raise CSVFormatError(
                f"The file has more than {seen:,} columns (counted in the first {binary_size(MAX_HEADER_BYTES)} of "
                f"its header row alone); an import reads at most {MAX_COLUMNS}. Keep only the columns you import."
            )
        raise CSVFormatError(f"The header row is longer than {binary_size(MAX_HEADER_BYTES)}, the most it may "
                             "hold. Check that its quotes are closed.")
    if any("\0" in h for h in headers):
        raise CSVFormatError(NUL_REFUSED.format(row=1))
    if len(headers) > MAX_COLUMNS:
        raise CSVFormatError(f"The file has {len(headers):,} columns; an import reads at most {MAX_COLUMNS}. "
                             "Keep only the columns you import.")
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise CSVFormatError("The first row must name the columns (it is empty).")
    return delimiter, headers


def _has_a_row(raw, delimiter: str, look: int = 1000) -> bool:
    """Whether a non-blank data row comes within the first `look` rows (or the file goes on beyond them:
    the worker's check then says whether any row holds a contact)."""
    for seen, (_number, cells, _end) in enumerate(records(raw, delimiter=delimiter)):
        if any(cell.strip() for cell in cells):
            return True
        if seen >= look:
            return True
    return False


def records(raw, *, delimiter: str, encoding: str = "utf-8", after: tuple[int, int] | None = None,
            ) -> Iterator[tuple[int, list[str], int]]:
    """(row number as a spreadsheet shows it, cells, byte offset just after the row) for each data row,
    blank rows included, from a binary file whose row 1 is the header. `after` (a row's end offset and
    its number, from an earlier read) resumes reading after that row.

    One row is in memory at a time, and a row longer than MAX_ROW_BYTES or holding a NUL is refused
    with its number (CSVFormatError). `encoding` is the stored file's: UTF-8, or an older import's."""
    offset, current = after or (0, 0)
    raw.seek(offset)
    if not offset and raw.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:  # an older import's UTF-8 copy
        raw.seek(0)
    row_bytes = 0
    end = raw.tell()

    def lines():
        nonlocal end, row_bytes
        while line := raw.readline(MAX_ROW_BYTES + 1):
            end += len(line)
            row_bytes += len(line)
            if row_bytes > MAX_ROW_BYTES:
                raise CSVFormatError(ROW_TOO_LONG.format(row=current + 1))
            text = line.decode(encoding, errors="replace")
            if "\0" in text:
                raise CSVFormatError(NUL_REFUSED.format(row=current + 1))
            yield text

    try:
        for cells in csv.reader(lines(), delimiter=delimiter):
            current += 1
            row_bytes = 0
            if current > 1:
                yield current, cells, end
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CSVFormatError(f"Row {current + 1} has a value of more than {csv.field_size_limit():,} characters. "
                                 "Check that its quotes are closed.") from None
        raise CSVFormatError(f"Row {current + 1} cannot be read: {exc}.") from None
