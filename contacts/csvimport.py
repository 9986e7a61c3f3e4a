"""The contacts in an uploaded CSV: its column mapping and row-by-row checks.

Everything here streams: a file of any length is read one row at a time (csvfile.records), so memory
stays flat. The only thing kept per row is the key used to spot duplicates within the file.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from . import csvfile
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


def iter_rows(raw, *, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each non-blank data row; header is row 1."""
    for number, cells, _end in csvfile.records(raw, encoding=encoding, delimiter=delimiter):
        if any(cell.strip() for cell in cells):
            yield number, cells


@dataclass
class RowResult:
    row_number: int
    contact: dict | None  # what Qualtrics receives, or None when the row is rejected
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    key: int | None = None  # of a valid row, when its checker leaves duplicates to its caller

    def refuse_as_duplicate(self, problem: tuple[str, str]) -> None:
        self.contact = None
        self.problems.append(problem)


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
    external reference, else the e-mail) equals an earlier row's is reported and left out. With
    `keys_in_memory=False` the checker only gives each valid row its `key`: its caller finds the duplicates
    (the worker's check keeps the keys in the database, see services.import_check).
    """

    def __init__(self, headers: list[str], mapping: list[str], *, phone_region: str, dedup_fields=(),
                 keys_in_memory: bool = True):
        self.headers = headers
        self.mapping = list(mapping) + [IGNORE] * (len(headers) - len(mapping))
        self.phone_region = phone_region
        mapped = {t for t in self.mapping if t in v.CONTACT_FIELDS}
        key_fields = [f for f in dedup_fields if f in mapped]
        if not key_fields:
            key_fields = ["extRef"] if "extRef" in mapped else (["email"] if "email" in mapped else [])
        self.key_fields = key_fields
        self.seen = SeenKeys() if keys_in_memory else None

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
        result.contact = contact
        key = self._key(contact)
        if key is not None:
            if self.seen is None:
                result.key = key - (1 << 64) if key >= 1 << 63 else key  # as a signed 64-bit column holds it
            else:
                earlier = self.seen.add(key, row_number)
                if earlier is not None:
                    result.refuse_as_duplicate(self.duplicate_of(earlier))
        return result

    def duplicate_of(self, earlier: int) -> tuple[str, str]:
        """The problem of a row whose key row `earlier` had first."""
        label = " and ".join(v.FIELD_LABELS[f].lower() for f in self.key_fields)
        return ("duplicate", f"Same {label} as row {earlier}.")

    def _key(self, contact: dict) -> int | None:
        values = [_dedup_value(f, contact.get(f)) for f in self.key_fields]
        if not values or not all(values):
            return None
        digest = hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1  # 0 marks an empty slot in SeenKeys


class SeenKeys:
    """The de-duplication keys met so far (64-bit digests) and the first row of each, in two flat arrays
    (open addressing, linear probing): 12 bytes a slot, at most 70 % full, where a dict of them takes
    about 120 bytes a row. For the rows a checker meets in one go; the worker's check of a whole file keeps
    its keys in the database instead (services.import_check)."""

    def __init__(self):
        self._allocate(1024)

    def _allocate(self, capacity: int) -> None:
        self.keys = array("Q", bytes(8 * capacity))
        self.rows = array("I", bytes(4 * capacity))
        self.count = 0

    def add(self, key: int, row: int) -> int | None:
        """Keep `key` as met on `row`; the row it was first met on when it was met before (kept then)."""
        keys, mask = self.keys, len(self.keys) - 1
        slot = key & mask
        while keys[slot]:
            if keys[slot] == key:
                return self.rows[slot]
            slot = (slot + 1) & mask
        keys[slot] = key
        self.rows[slot] = row
        self.count += 1
        if self.count * 10 > len(keys) * 7:
            self._grow()
        return None

    def _grow(self) -> None:
        keys, rows = self.keys, self.rows
        self._allocate(len(keys) * 2)
        for key, row in zip(keys, rows, strict=True):
            if key:
                self.add(key, row)


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

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """A report saved part way through a check, to go on with."""
        return cls(rows=data.get("rows", 0), valid=data.get("valid", 0), issues=dict(data.get("issues") or {}),
                   samples=list(data.get("samples") or []), preview=list(data.get("preview") or []))

    def as_dict(self) -> dict:
        return {"rows": self.rows, "valid": self.valid, "rejected": self.rejected, "issues": self.issues,
                "samples": self.samples, "preview": self.preview}
