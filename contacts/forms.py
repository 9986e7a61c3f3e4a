"""Forms of the XM Directory screens. They only validate; services do the work."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError

from web.forms import PortalForm
from web.sizes import binary_size

from . import csvfile, csvimport
from . import validation as v
from .countries import country_name
from .selectors import SEARCH_FIELDS
from .transaction_forms import ListedChoiceField

# By country name, the code beside it (what a CSV or Qualtrics shows).
PHONE_REGIONS = sorted(((code, f"{country_name(code)} ({code})") for code in phonenumbers.SUPPORTED_REGIONS),
                       key=lambda choice: choice[1].casefold())
IDENTITY_FIELDS = ("email", "phone", "extRef", "firstName", "lastName")


class ContactSearchForm(PortalForm):
    field = forms.ChoiceField(label="Search by", choices=list(SEARCH_FIELDS.items()), required=False)
    comparison = forms.ChoiceField(label="Match", choices=[("eq", "is"), ("contains", "contains")],
                                   required=False)
    q = forms.CharField(label="Search for", required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search contacts…"}))

    def clean(self):
        data = super().clean()
        data["field"] = data.get("field") or "email"
        data["comparison"] = data.get("comparison") or "eq"
        return data


class EmbeddedDataMixin:
    """Reads the embedded-data editor's rows (ed_name/ed_value lists, plus ed_original: the names the
    contact had when the form opened) and checks them with Qualtrics' limits."""

    def embedded_initial(self, embedded: dict | None):
        self.embedded_rows = [{"name": k, "value": "" if val is None else str(val), "error": ""}
                              for k, val in sorted((embedded or {}).items(), key=lambda kv: kv[0].lower())]
        self.embedded_original = [row["name"] for row in self.embedded_rows]

    def clean_embedded(self) -> None:
        data = self.data
        names = data.getlist("ed_name") if hasattr(data, "getlist") else []
        values = data.getlist("ed_value") if hasattr(data, "getlist") else []
        self.embedded_original = [n for n in (data.getlist("ed_original") if hasattr(data, "getlist") else []) if n]
        rows, embedded, bad = [], {}, False
        for i, raw_name in enumerate(names):
            value = values[i] if i < len(values) else ""
            row = {"name": raw_name, "value": value, "error": ""}
            if not raw_name.strip() and not value.strip():
                continue  # an empty row added and left blank
            try:
                name = v.check_embedded_name(raw_name)
                if name.lower() in {k.lower() for k in embedded}:
                    raise ValidationError(f"“{name}” appears twice.")
                embedded[name] = v.check_embedded_value(name, value)
            except ValidationError as exc:
                row["error"] = exc.messages[0]
                bad = True
            rows.append(row)
        self.embedded_rows = rows
        if bad:
            raise ValidationError("Fix the embedded-data rows marked below.")
        self.cleaned_data["embeddedData"] = embedded
        kept = {k.lower() for k in embedded}
        self.cleaned_data["removed_embedded"] = tuple(n for n in self.embedded_original if n.lower() not in kept)


class ContactForm(EmbeddedDataMixin, PortalForm):
    firstName = forms.CharField(label="First name", required=False, max_length=v.FIELD_MAX)
    lastName = forms.CharField(label="Last name", required=False, max_length=v.FIELD_MAX)
    email = forms.CharField(label="E-mail", required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label="Phone", required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel"}))
    extRef = forms.CharField(label="External reference", required=False, max_length=v.FIELD_MAX,
                             help_text="Your own ID for this person (Qualtrics' externalDataReference).")
    language = forms.CharField(label="Language", required=False, max_length=10,
                               widget=forms.TextInput(attrs={"list": "language-codes", "placeholder": "EN"}))
    unsubscribed = forms.BooleanField(label="Unsubscribed from the directory", required=False,
                                      help_text="Qualtrics sends an unsubscribed contact no e-mail.")
    on_duplicate = forms.CharField(required=False, widget=forms.HiddenInput)

    unsubscribed_field = "unsubscribed"

    def __init__(self, *args, embedded: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = (
            f"Saved in international (E.164) form. Numbers without a country code are read as "
            f"{v.default_phone_region()} numbers."
        )
        self.embedded_initial(embedded)

    def _unchanged(self, name: str) -> bool:
        """A value kept as Qualtrics has it is not checked again (older data may predate the rules)."""
        value = (self.cleaned_data.get(name) or "").strip()
        return bool(value) and value == (self.initial.get(name) or "").strip()

    def clean_email(self):
        if self._unchanged("email"):
            return self.cleaned_data["email"].strip()
        return v.clean_email(self.cleaned_data.get("email", ""))

    def clean_phone(self):
        if self._unchanged("phone"):
            return self.cleaned_data["phone"].strip()
        return v.clean_phone(self.cleaned_data.get("phone", ""))

    def clean_language(self):
        if self._unchanged("language"):
            return self.cleaned_data["language"].strip()
        return v.clean_language(self.cleaned_data.get("language", ""))

    def clean_on_duplicate(self):
        value = self.cleaned_data.get("on_duplicate") or "ask"
        if value not in ("ask", "create") and not (value.startswith("update:") and len(value) < 80):
            value = "ask"
        return value

    def clean(self):
        data = super().clean()
        self.clean_embedded()
        # Only when nothing was typed: a value typed but refused has its own message on its field.
        if not any((self.data.get(self.add_prefix(name)) or "").strip() for name in IDENTITY_FIELDS):
            raise ValidationError("Give at least an e-mail, a phone number, an external reference or a name.")
        return data

    def contact_data(self) -> dict:
        """The contact as Qualtrics spells it."""
        data = self.cleaned_data
        out = {key: data.get(key, "") for key in ("firstName", "lastName", "email", "phone", "extRef", "language")}
        out["unsubscribed"] = bool(data.get("unsubscribed"))
        out["embeddedData"] = data.get("embeddedData") or {}
        return out


class MemberForm(ContactForm):
    unsubscribed = forms.BooleanField(label="Opted out of this list", required=False,
                                      help_text="List-level opt-out; the contact stays on the list.")


class MailingListForm(PortalForm):
    name = forms.CharField(label="Name", max_length=100)
    owner = forms.ChoiceField(label="Owner", required=False)
    owner_id = forms.CharField(label="Owner ID", required=False, max_length=40,
                               help_text="A user (UR_…) or group (GR_…) ID. A group owner shares the list "
                                         "with that group.")

    def __init__(self, *args, owners: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        owners = owners or {"users": [], "groups": [], "error": ""}
        self.owner_error = owners.get("error", "")
        has_choices = bool(owners.get("users") or owners.get("groups"))
        if has_choices:
            choices = [("", "The connection's Qualtrics user")]
            if owners.get("users"):
                choices.append(("Users", owners["users"]))
            if owners.get("groups"):
                choices.append(("Groups (shares the list with the group)", owners["groups"]))
            current = self.initial.get("owner") or ""
            known = {value for _, pairs in choices[1:] for value, _ in pairs}
            if current and current not in known:
                choices.append(("Current", [(current, current)]))
            self.fields["owner"].choices = choices
            self.fields["owner"].help_text = "Choose a group to share the list with everyone in it."
            del self.fields["owner_id"]
        else:
            del self.fields["owner"]
            if self.initial.get("owner"):
                self.initial["owner_id"] = self.initial["owner"]

    def clean_owner_id(self):
        value = (self.cleaned_data.get("owner_id") or "").strip()
        if value and not (value.startswith(("UR_", "URH_", "GR_")) and len(value) <= 40):
            raise ValidationError("An owner is a user ID (UR_…) or a group ID (GR_…).")
        return value

    def owner_value(self) -> str:
        return self.cleaned_data.get("owner") or self.cleaned_data.get("owner_id") or ""


class AddToListForm(PortalForm):
    mailing_list_id = ListedChoiceField(label="Mailing list")

    def __init__(self, *args, mailing_lists: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailing_list_id"].choices = [("", "— choose a list —"), *mailing_lists]


class AddResultsForm(AddToListForm):
    """Every result of a contact search, onto a list: the search travels in hidden fields."""

    field = forms.ChoiceField(choices=list(SEARCH_FIELDS.items()), widget=forms.HiddenInput)
    comparison = forms.ChoiceField(choices=[("eq", "is"), ("contains", "contains")], widget=forms.HiddenInput)
    q = forms.CharField(max_length=200, widget=forms.HiddenInput)


class ImportUploadForm(PortalForm):
    file = forms.FileField(label="CSV file")
    phone_region = forms.ChoiceField(label="Country for phone numbers without a country code",
                                     choices=PHONE_REGIONS)

    max_bytes = csvfile.MAX_FILE_BYTES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone_region"].initial = v.default_phone_region()
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        self.fields["file"].help_text = (
            f"One contact per row, with a header row naming the columns. {csvfile.ACCEPTED}; comma, semicolon "
            f"or tab separated; at most {binary_size(self.max_bytes)}, {csvfile.MAX_COLUMNS} columns and "
            f"{binary_size(csvfile.MAX_ROW_BYTES)} a row."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            csvfile.check_size(upload.size, self.max_bytes)
        except csvfile.CSVFormatError as exc:
            raise ValidationError(str(exc)) from None
        return upload


class ImportMappingForm(PortalForm):
    """One select per column of the file; headers that name a field are matched already."""

    phone_region = forms.ChoiceField(label="Country for phone numbers without a country code",
                                     choices=PHONE_REGIONS)

    transaction_batch = forms.ChoiceField(label="Transaction batch", required=False,
                                          help_text="Where the rows' transactions go (columns mapped as "
                                                    "transaction data), if anywhere.")

    def __init__(self, *args, headers: list[str], mapping: list[str], batches: list[tuple[str, str]] = (),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transaction_batch"].choices = [("", "— no batch —"), ("new", "A new batch, made when the "
                                                    "import starts"), *batches]
        self.headers = headers
        choices = [(key, label) for key, label in csvimport.TARGET_LABELS.items()]
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=header or f"Column {index + 1}", choices=choices,
                                                  required=False)
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
            self.initial.setdefault(name, mapping[index] if index < len(mapping) else "")

    def column_fields(self):
        return [(self.headers[i], self[f"col_{i}"]) for i in range(len(self.headers))]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.headers))]
