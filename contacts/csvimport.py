"""Reading an uploaded CSV of contacts: its shape, column mapping and row-by-row checks.

Everything here streams: a file of any length is read one row at a time, so memory stays flat. The
only thing kept per row is the key used to spot duplicates within the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from . import validation as v

IGNORE = ""
EMBEDDED = "embedded"
TRANSACTION = "transaction"  # the row's transaction data: Qualtrics adds the contact a transaction with it
TARGETS = (*v.CONTACT_FIELDS, EMBEDDED, TRANSACTION)
TARGET_LABELS = {IGNORE: "— Ignore this column —", **v.FIELD_LABELS, EMBEDDED: "Embedded data (column name)",
                 TRANSACTION: "Transaction data (column name)"}

# Header spellings recognised for each contact field (compared without case, spaces, _ or -).
HEADER_ALIASES = {
    "firstName": {"firstname", "first", "givenname", "forename", "fname", "recipientfirstname"},
    "lastName": {"lastname", "last", "surname", "familyname", "lname", "recipientlastname"},
    "email": {"email", "emailaddress", "mail", "recipientemail", "e-mail"},
    "phone": {"phone", "phonenumber", "mobile", "mobilephone", "cell", "telephone", "tel", "sms"},
    "extRef": {"extref", "externalreference", "externaldatareference", "externalid", "externalref", "customerid"},
    "language": {"language", "lang", "locale"},
    "unsubscribed": {"unsubscribed", "optedout", "optout", "unsubscribe"},
}
SAMPLE_LIMIT = 50
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = ",;\t|"


class CSVFormatError(ValueError):
    """The file cannot be read as a CSV with a header row."""


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.strip().lower())


def auto_target(header: str) -> str:
    """The field a header names, embedded data for any other named column, or ignore when blank."""
    key = _norm(header)
    if not key:
        return IGNORE
    for target, aliases in HEADER_ALIASES.items():
        if key == target.lower() or key in aliases:
            return target
    try:
        v.check_embedded_name(header)
    except ValidationError:
        return IGNORE
    return EMBEDDED


def auto_mapping(headers: list[str]) -> list[str]:
    """Map each column; a field claimed by an earlier column is not claimed again."""
    mapping, taken = [], set()
    for header in headers:
        target = auto_target(header)
        if target in v.CONTACT_FIELDS:
            if target in taken:
                target = IGNORE
            taken.add(target)
        mapping.append(target)
    return mapping


@dataclass
class FileShape:
    encoding: str
    delimiter: str
    headers: list[str]
    row_count: int


NUL_REFUSED = (
    "Row {row} contains a NUL character (a zero byte), which no contact field can hold. "
    "Remove it, or save the file again as “CSV UTF-8”."
)


def _detect_encoding(raw) -> str:
    """The first encoding that decodes the whole file (read in blocks)."""
    raw.seek(0)
    if raw.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise CSVFormatError(
            "The file is UTF-16 text (“Unicode text” in Excel), which the import does not read. "
            "Save it as “CSV UTF-8” and try again."
        )
    for encoding in ENCODINGS:
        raw.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := raw.read(64 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise CSVFormatError("The file is neither UTF-8 nor Windows-1252 text. Save it as “CSV UTF-8” and try again.")


def _text(raw, encoding: str) -> io.TextIOWrapper:
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def inspect(raw) -> FileShape:
    """Encoding, delimiter, header and number of data rows of a binary file object (left open)."""
    encoding = _detect_encoding(raw)
    text = _text(raw, encoding)
    try:
        sample = text.read(64 * 1024)
        if not sample.strip():
            raise CSVFormatError("The file is empty.")
        try:
            delimiter = csv.Sniffer().sniff(sample.split("\n", 5)[0] if "\n" in sample else sample,
                                            delimiters=DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            headers = [h.strip() for h in next(reader)]
        except StopIteration:
            raise CSVFormatError("The file is empty.") from None
        except csv.Error as exc:
            raise CSVFormatError(f"The header row cannot be read: {exc}.") from None
        if any("\0" in h for h in headers):
            raise CSVFormatError(NUL_REFUSED.format(row=1))
        if not any(headers):
            raise CSVFormatError("The first row must name the columns (it is empty).")
        count = 0
        try:
            for number, row in enumerate(reader, start=2):  # numbered as iter_rows numbers them
                if any("\0" in cell for cell in row):
                    raise CSVFormatError(NUL_REFUSED.format(row=number))
                if any(cell.strip() for cell in row):
                    count += 1
        except csv.Error as exc:
            raise CSVFormatError(f"Row {reader.line_num} cannot be read: {exc}.") from None
    finally:
        text.detach()
    if count == 0:
        raise CSVFormatError("The file has a header row but no contacts under it.")
    return FileShape(encoding=encoding, delimiter=delimiter, headers=headers, row_count=count)


def iter_rows(raw, *, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each non-blank data row; header is row 1."""
    text = _text(raw, encoding)
    try:
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)
        for number, row in enumerate(reader, start=2):
            if any(cell.strip() for cell in row):
                yield number, row
    finally:
        text.detach()


@dataclass
class RowResult:
    row_number: int
    contact: dict | None  # what Qualtrics receives, or None when the row is rejected
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)


ISSUE_LABELS = {
    "invalid_email": "Invalid e-mail addresses",
    "invalid_phone": "Invalid phone numbers",
    "invalid_language": "Unknown language codes",
    "invalid_value": "Other invalid values",
    "duplicate": "Duplicates within the file",
    "no_identifier": "Rows with no e-mail, phone or external reference",
}


class RowChecker:
    """Turns rows into Qualtrics contacts with the same rules as the contact form.

    Duplicates: a row whose de-duplication key (the directory's criteria that are mapped, else the
    external reference, else the e-mail) equals an earlier row's is reported and left out.
    """

    def __init__(self, headers: list[str], mapping: list[str], *, phone_region: str, dedup_fields=()):
        self.headers = headers
        self.mapping = list(mapping) + [IGNORE] * (len(headers) - len(mapping))
        self.phone_region = phone_region
        mapped = {t for t in self.mapping if t in v.CONTACT_FIELDS}
        key_fields = [f for f in dedup_fields if f in mapped]
        if not key_fields:
            key_fields = ["extRef"] if "extRef" in mapped else (["email"] if "email" in mapped else [])
        self.key_fields = key_fields
        self.seen: dict[bytes, int] = {}  # 8-byte digest of each key -> its row: ~100 bytes a row

    @property
    def transaction_fields(self) -> list[str]:
        """The names of the transaction-data columns (Qualtrics' transactionMeta.fields)."""
        return [self.headers[i].strip() for i, t in enumerate(self.mapping) if t == TRANSACTION]

    def mapping_errors(self) -> list[str]:
        errors = []
        targets = [t for t in self.mapping if t in v.CONTACT_FIELDS]
        for target in set(targets):
            if targets.count(target) > 1:
                errors.append(f"{v.FIELD_LABELS[target]} is mapped from more than one column.")
        if not any(t in v.IDENTIFIERS for t in targets):
            errors.append("Map at least one of E-mail, Phone or External reference: Qualtrics needs one to "
                          "recognise a contact.")
        names = [self.headers[i] for i, t in enumerate(self.mapping) if t in (EMBEDDED, TRANSACTION)]
        for name in names:
            try:
                v.check_embedded_name(name)
            except ValidationError as exc:
                errors.append(f"Column “{name[:60]}”: {exc.messages[0]}")
        return errors

    def check(self, row_number: int, cells: list[str]) -> RowResult:
        result = RowResult(row_number, None)
        contact: dict = {}
        embedded: dict = {}
        transaction: dict = {}
        for index, target in enumerate(self.mapping):
            if target == IGNORE or index >= len(self.headers):
                continue
            raw = cells[index] if index < len(cells) else ""
            try:
                if target in (EMBEDDED, TRANSACTION):
                    name = self.headers[index].strip()
                    if raw.strip():
                        (embedded if target == EMBEDDED else transaction)[name] = v.check_embedded_value(
                            name, raw.strip())
                elif target == "email":
                    value = v.clean_email(raw)
                    if value:
                        contact["email"] = value
                elif target == "phone":
                    value = v.clean_phone(raw, self.phone_region)
                    if value:
                        contact["phone"] = value
                elif target == "language":
                    value = v.clean_language(raw)
                    if value:
                        contact["language"] = value
                elif target == "unsubscribed":
                    if raw.strip():
                        contact["unsubscribed"] = v.parse_bool(raw)
                else:
                    value = v.clean_text(raw, v.FIELD_LABELS[target])
                    if value:
                        contact[target] = value
            except ValidationError as exc:
                kind = {"email": "invalid_email", "phone": "invalid_phone", "language": "invalid_language"}.get(
                    target, "invalid_value"
                )
                result.problems.append((kind, exc.messages[0]))
        if embedded:
            contact["embeddedData"] = embedded
        if transaction:
            contact["transactionData"] = transaction
        if result.problems:
            return result
        if not any(contact.get(f) for f in v.IDENTIFIERS):
            result.problems.append(("no_identifier", "No e-mail, phone or external reference."))
            return result
        if self.key_fields:
            values = [_dedup_value(f, contact.get(f)) for f in self.key_fields]
            if all(values):
                key = hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).digest()
                earlier = self.seen.get(key)
                if earlier is not None:
                    label = " and ".join(v.FIELD_LABELS[f].lower() for f in self.key_fields)
                    result.problems.append(("duplicate", f"Same {label} as row {earlier}."))
                    return result
                self.seen[key] = row_number
        result.contact = contact
        return result


def _dedup_value(field_name: str, value) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return text.lower() if field_name == "email" else text


@dataclass
class Report:
    """What a check of the whole file found; stored as JSON on the import."""

    rows: int = 0
    valid: int = 0
    issues: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    preview: list = field(default_factory=list)

    def add(self, result: RowResult, preview_rows: int = 10) -> None:
        self.rows += 1
        if result.contact is not None:
            self.valid += 1
        for kind, message in result.problems:
            self.issues[kind] = self.issues.get(kind, 0) + 1
            if len(self.samples) < SAMPLE_LIMIT:
                self.samples.append({"row": result.row_number, "kind": kind, "message": message})
        if len(self.preview) < preview_rows:
            self.preview.append(
                {"row": result.row_number, "contact": result.contact,
                 "problems": [m for _, m in result.problems]}
            )

    @property
    def rejected(self) -> int:
        return self.rows - self.valid

    def as_dict(self) -> dict:
        return {"rows": self.rows, "valid": self.valid, "rejected": self.rejected, "issues": self.issues,
                "samples": self.samples, "preview": self.preview}


def check_file(raw, *, encoding: str, delimiter: str, checker: RowChecker) -> Report:
    report = Report()
    for number, cells in iter_rows(raw, encoding=encoding, delimiter=delimiter):
        report.add(checker.check(number, cells))
    return report
