"""Forms of the transaction screens: add a transaction, upsert one, add transactions to a batch.

They only validate, with the same rules as the contact form; services do the work.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.safestring import mark_safe

from web.forms import DateTimeLocalInput, PortalForm

from . import validation as v

DATA_HELP = mark_safe("One value a line, written <code>name = value</code> (or a JSON object of names and values).")
DATA_MAX_FIELDS = 100
QUALTRICS_ID = re.compile(r"^[A-Za-z]{2,5}_[A-Za-z0-9]{5,40}$")


def parse_key_values(text: str) -> dict[str, str]:
    """`name = value` lines, or a JSON object of names to plain values; raises ValidationError saying what
    is not a name and a value."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"That is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(parsed, dict):
            raise ValidationError("Give names and values: a JSON object, not a list.")
        pairs = []
        for key, value in parsed.items():
            if isinstance(value, (dict, list)) or value is None:
                raise ValidationError(f"“{str(key)[:60]}” holds no plain value: give text, a number or true/false.")
            pairs.append((str(key), value if isinstance(value, str) else json.dumps(value)))
    else:
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if "=" not in line:
                raise ValidationError(f"Line {number}: write it as name = value.")
            key, value = (part.strip() for part in line.split("=", 1))
            if not key:
                raise ValidationError(f"Line {number}: the value has no name.")
            pairs.append((key, value))
    data: dict[str, str] = {}
    for key, value in pairs:
        key = v.check_embedded_name(key)
        if key.lower() in {k.lower() for k in data}:
            raise ValidationError(f"“{key[:60]}” is given twice.")
        data[key] = v.check_embedded_value(key, value)
    if len(data) > DATA_MAX_FIELDS:
        raise ValidationError(f"At most {DATA_MAX_FIELDS} values.")
    return data


def qualtrics_id(value: str, prefix: str, what: str) -> str:
    value = (value or "").strip()
    if value and not (value.startswith(prefix) and QUALTRICS_ID.match(value)):
        raise ValidationError(f"A {what} ID looks like {prefix}… (for example {prefix}1a2B3c4D5e6F7g8).")
    return value


class ListedChoiceField(forms.ChoiceField):
    """One of what Qualtrics listed when the form was shown. A value gone since (a list or batch deleted
    meanwhile) is left for the service to explain: it says what happened, where "not a valid choice"
    would not."""

    def valid_value(self, value) -> bool:
        return bool(QUALTRICS_ID.match(str(value)))


class TransactionForm(PortalForm):
    """A transaction of one contact: the list it belongs to, its date (in the user's time zone) and data."""

    mailing_list_id = ListedChoiceField(label="Mailing list", help_text="The list the transaction belongs to.")
    date = forms.DateTimeField(label="Date and time", widget=DateTimeLocalInput(),
                               help_text="When it happened, in your time zone.")
    data = forms.CharField(label="Transaction data", required=False, widget=forms.Textarea(attrs={"rows": 4,
                           "class": "mono", "placeholder": "OrderId = ORD-1001\nAmount = 49.90"}))
    batch_id = ListedChoiceField(label="Transaction batch", required=False,
                                 help_text="Optional: also put the transaction in this batch.")

    def __init__(self, *args, mailing_lists: list[tuple[str, str]], batches: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data"].help_text = DATA_HELP
        self.fields["mailing_list_id"].choices = [("", "— choose a list —"), *mailing_lists]
        self.fields["batch_id"].choices = [("", "— no batch —"), *batches]
        self.initial.setdefault("date", timezone.localtime().replace(second=0, microsecond=0))

    def clean_data(self):
        return parse_key_values(self.cleaned_data.get("data", ""))


class TransactionUpsertForm(TransactionForm):
    """A transaction for a contact found by ID, external reference, e-mail or phone, or created."""

    contact_id = forms.CharField(label="Contact ID", required=False, max_length=60,
                                 help_text="Optional: when given, the transaction goes to this contact.")
    extRef = forms.CharField(label="External reference", required=False, max_length=v.FIELD_MAX)
    email = forms.CharField(label="E-mail", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    firstName = forms.CharField(label="First name", required=False, max_length=v.FIELD_MAX)
    lastName = forms.CharField(label="Last name", required=False, max_length=v.FIELD_MAX)
    language = forms.CharField(label="Language", required=False, max_length=10)
    unsubscribed = forms.BooleanField(label="Unsubscribed from the directory", required=False)
    embedded = forms.CharField(label="Embedded data", required=False, widget=forms.Textarea(attrs={"rows": 3,
                               "class": "mono"}), help_text="Only for a contact created now.")

    lookup_fields = ("contact_id", "extRef", "email", "phone")
    new_contact_fields = ("firstName", "lastName", "language", "unsubscribed", "embedded")
    field_order = ["mailing_list_id", "contact_id", "extRef", "email", "phone", "firstName", "lastName", "language",
                   "unsubscribed", "embedded", "date", "data", "batch_id"]

    def clean_contact_id(self):
        return qualtrics_id(self.cleaned_data.get("contact_id", ""), "CID_", "contact")

    def clean_email(self):
        return v.clean_email(self.cleaned_data.get("email", ""))

    def clean_phone(self):
        return v.clean_phone(self.cleaned_data.get("phone", ""))

    def clean_language(self):
        return v.clean_language(self.cleaned_data.get("language", ""))

    def clean_embedded(self):
        return parse_key_values(self.cleaned_data.get("embedded", ""))

    def clean(self):
        data = super().clean()
        typed = any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.lookup_fields)
        if not typed:
            raise ValidationError("Give the contact ID, or an external reference, e-mail or phone number to find the "
                                  "contact by (a contact not found is created with them).")
        return data

    def lookup(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in ("extRef", "email", "phone")}

    def new_contact(self) -> dict:
        data = self.cleaned_data
        out = {name: data.get(name) or "" for name in ("firstName", "lastName", "language")}
        out["unsubscribed"] = bool(data.get("unsubscribed"))
        out["embeddedData"] = data.get("embedded") or {}
        return {key: value for key, value in out.items() if value not in ("", {})}


class BatchAddForm(PortalForm):
    """Transactions to add to a batch, by ID (pasted from a contact's Transactions tab or elsewhere)."""

    transaction_ids = forms.CharField(label="Transaction IDs", widget=forms.Textarea(attrs={
        "rows": 4, "class": "mono", "placeholder": "CTR_…"}), help_text="Separated by spaces, commas or lines.")

    def clean_transaction_ids(self):
        ids = [t for t in re.split(r"[\s,;]+", self.cleaned_data.get("transaction_ids", "")) if t]
        if not ids and self.fields["transaction_ids"].required:
            raise ValidationError("Give at least one transaction ID.")
        for value in ids:
            qualtrics_id(value, "CTR_", "transaction")
        return list(dict.fromkeys(ids))
