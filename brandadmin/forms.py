"""Forms of the brand administration screens. They validate input only; services do the writing."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from web.forms import DateInput, PortalForm

from .selectors import USER_STATUSES, Names, Seen, is_admin_type

USER_ID_RE = re.compile(r"^URH?_[A-Za-z0-9]{4,40}$")
GROUP_ID_RE = re.compile(r"^GR_[A-Za-z0-9]{4,40}$")
USER_TYPE_RE = re.compile(r"^UT_[A-Za-z0-9_]{3,40}$")
DIVISION_RE = re.compile(r"^DV_[A-Za-z0-9]{4,40}$")
GROUP_TYPE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,60}$")
OTHER = "__other__"

LANGUAGES = (
    ("en", "English"),
    ("en-GB", "English (United Kingdom)"),
    ("da", "Danish"),
    ("de", "German"),
    ("es", "Spanish"),
    ("es-ES", "Spanish (Spain)"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("fr-CA", "French (Canada)"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("ru", "Russian"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
    ("zh-S", "Chinese (simplified)"),
    ("zh-T", "Chinese (traditional)"),
)


def _time_zone_choices():
    zones = sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
    return [("", "— Brand default —")] + [(name, name.replace("_", " ")) for name in zones]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def user_type_label(user_type: str, count: int | None = None, name: str = "") -> str:
    label = f"{name} ({user_type})" if name and name != user_type else user_type
    if is_admin_type(user_type) and "administrator" not in label.casefold():
        label += " — brand administrator"
    if count:
        label += f" ({_plural(count, 'user')})"
    return label


class ChoiceOrOtherMixin:
    """A select of the values seen on the brand plus “another…”, and a text field for that other value.

    A well-formed value submitted from the select stays valid even when the brand's values could not
    be read again (Qualtrics briefly failing must not make the form refuse what it offered a moment ago).
    """

    def submitted(self, field: str) -> str:
        if not self.is_bound:
            return ""
        value = self.data.get(self.add_prefix(field)) or ""
        return value if value != OTHER else ""

    def choice_or_other(self, field: str, pattern: re.Pattern, message: str) -> str:
        if field in self.errors:
            return ""
        chosen = self.cleaned_data.get(field) or ""
        other = (self.cleaned_data.get(f"{field}_other") or "").strip()
        if chosen == OTHER or (not chosen and other):
            if not other:
                self.add_error(f"{field}_other", "Enter the ID, or choose one of the list above.")
                return ""
            if not pattern.match(other):
                self.add_error(f"{field}_other", message)
                return ""
            return other
        if not chosen:
            self.add_error(field, "Choose one.")
        return chosen


class UserForm(ChoiceOrOtherMixin, PortalForm):
    """Create or edit a Qualtrics user. `seen_*` are the values already used on the brand."""

    username = forms.CharField(
        max_length=200, help_text="What the user logs in with; often their e-mail address."
    )
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="E-mail", max_length=254)
    user_type = forms.ChoiceField(
        label="User type",
        help_text="Qualtrics cannot list user types: these are the ones on the brand's existing users.",
    )
    user_type_other = forms.CharField(
        label="Other user type ID",
        required=False,
        max_length=60,
        help_text="Only with “Another user type…” above: a user type ID such as UT_1a2B3c4D5e6F7g8.",
        widget=forms.TextInput(attrs={"placeholder": "UT_…", "autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Or tick the box below and the portal makes a strong one.",
    )
    generate_password = forms.BooleanField(
        label="Generate a strong password for me (shown once, after the user is created)", required=False
    )
    language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    time_zone = forms.ChoiceField(label="Time zone", required=False, choices=_time_zone_choices)
    division_id = forms.CharField(
        label="Division",
        required=False,
        max_length=60,
        help_text="A division ID (DV_…), or empty for none.",
        widget=forms.TextInput(attrs={"placeholder": "DV_…", "autocomplete": "off", "list": "division-options"}),
    )
    account_expiration_date = forms.DateField(
        label="Account expiration date",
        required=False,
        widget=DateInput(),
        help_text="The account stops working from this day (your time zone). Empty: it never expires.",
    )

    def __init__(self, *args, is_create: bool = True, seen_user_types: Seen | None = None,
                 seen_languages: Seen | None = None, names: Names | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_create = is_create
        names = names or Names()
        types = seen_user_types.values if seen_user_types else []
        choices = [("", "— Choose a user type —")]
        choices += [(value, user_type_label(value, count, names.user_type(value))) for value, count in types]
        for current in (self.initial.get("user_type"), self.submitted("user_type")):
            if current and USER_TYPE_RE.match(current) and current not in {value for value, _ in choices}:
                choices.append((current, user_type_label(current, name=names.user_type(current))))
        choices.append((OTHER, "Another user type… (enter its ID below)"))
        self.fields["user_type"].choices = choices
        if not types and not self.initial.get("user_type"):
            self.fields["user_type"].initial = OTHER

        languages = list(LANGUAGES)
        known = {code for code, _ in languages}
        extra = [code for code in (seen_languages.ids() if seen_languages else []) if code not in known]
        initial_language = self.initial.get("language")
        if initial_language and initial_language not in known and initial_language not in extra:
            extra.append(initial_language)
        languages += [(code, f"{code} (in use on this brand)") for code in extra]
        self.fields["language"].choices = languages

        initial_zone = self.initial.get("time_zone")
        if initial_zone and initial_zone not in dict(self.fields["time_zone"].choices):
            self.fields["time_zone"].choices = [*self.fields["time_zone"].choices, (initial_zone, initial_zone)]

        if not is_create:
            self.fields["password"].label = "New password"
            self.fields["password"].help_text = "Leave empty to keep the current password. At least 8 characters."
            self.fields["generate_password"].label = "Generate a strong new password (shown once, after saving)"
            self.fields["language"].required = False
            self.fields["division_id"].help_text = "A division ID (DV_…). Emptying it leaves the division as it is."
            self.fields["account_expiration_date"].help_text = (
                "The account stops working from this day (your time zone). Emptying it leaves the date as it is."
            )

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        if any(ch.isspace() for ch in value):
            raise ValidationError("A username cannot contain spaces.")
        return value

    def clean_division_id(self):
        value = (self.cleaned_data.get("division_id") or "").strip()
        if value and not DIVISION_RE.match(value):
            raise ValidationError("A division ID looks like DV_ followed by letters and digits.")
        return value

    def clean_account_expiration_date(self):
        value = self.cleaned_data.get("account_expiration_date")
        if value and value <= timezone.localdate() and value != self.initial.get("account_expiration_date"):
            raise ValidationError("That day has already begun or passed: pick a later date, or leave it empty.")
        return value

    def clean(self):
        cleaned = super().clean()
        cleaned["user_type"] = self.choice_or_other(
            "user_type", USER_TYPE_RE, "A user type ID looks like UT_ followed by letters and digits."
        )
        password = cleaned.get("password") or ""
        if cleaned.get("generate_password"):
            if password:
                self.add_error("password", "Either type a password or tick “Generate”, not both.")
        elif not password:
            if self.is_create:
                self.add_error("password", "Type a password, or tick “Generate a strong password for me”.")
        else:
            if len(password) < 8:
                self.add_error("password", "Use at least 8 characters.")
            elif password.casefold() == (cleaned.get("username") or "").casefold():
                self.add_error("password", "The password cannot be the username.")
        return cleaned


class GroupForm(ChoiceOrOtherMixin, PortalForm):
    name = forms.CharField(max_length=200)
    group_type = forms.ChoiceField(
        label="Group type",
        help_text="Qualtrics cannot list group types: these are the ones on the brand's existing groups.",
    )
    group_type_other = forms.CharField(
        label="Other group type ID",
        required=False,
        max_length=60,
        help_text="Only with “Another group type…” above: the group type's ID as Qualtrics shows it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    division_id = forms.CharField(
        label="Division",
        required=False,
        max_length=60,
        help_text="A division ID (DV_…), or empty for none.",
        widget=forms.TextInput(attrs={"placeholder": "DV_…", "autocomplete": "off", "list": "division-options"}),
    )

    def __init__(self, *args, seen_group_types: Seen | None = None, is_create: bool = True,
                 names: Names | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        names = names or Names()

        def shown(value: str) -> str:
            name = names.group_type(value)
            return f"{name} ({value})" if name != value else value

        types = seen_group_types.values if seen_group_types else []
        choices = [("", "— Choose a group type —")]
        choices += [(value, f"{shown(value)} ({_plural(count, 'group')})" if count else shown(value))
                    for value, count in types]
        for current in (self.initial.get("group_type"), self.submitted("group_type")):
            if current and GROUP_TYPE_RE.match(current) and current not in {value for value, _ in choices}:
                choices.append((current, shown(current)))
        choices.append((OTHER, "Another group type… (enter its ID below)"))
        self.fields["group_type"].choices = choices
        if not types and not self.initial.get("group_type"):
            self.fields["group_type"].initial = OTHER
        if not is_create:
            self.fields["division_id"].help_text = "A division ID (DV_…). Emptying it leaves the division as it is."

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_division_id(self):
        value = (self.cleaned_data.get("division_id") or "").strip()
        if value and not DIVISION_RE.match(value):
            raise ValidationError("A division ID looks like DV_ followed by letters and digits.")
        return value

    def clean(self):
        cleaned = super().clean()
        cleaned["group_type"] = self.choice_or_other(
            "group_type", GROUP_TYPE_RE, "Use the ID exactly as Qualtrics shows it (letters, digits, _ . : -)."
        )
        return cleaned


class UserSearchForm(PortalForm):
    q = forms.CharField(
        label="Search users",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, username or e-mail", "autocomplete": "off",
                   "class": "min-w-18"}
        ),
    )
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *USER_STATUSES])

    def clean_q(self):
        return " ".join((self.cleaned_data.get("q") or "").split())


class GroupSearchForm(PortalForm):
    q = forms.CharField(
        label="Search groups",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Group name or ID", "autocomplete": "off",
                   "class": "min-w-18"}
        ),
    )

    def clean_q(self):
        return " ".join((self.cleaned_data.get("q") or "").split())


def clean_ids(values, pattern: re.Pattern) -> list[str]:
    """Distinct, well-formed IDs from a submitted list; anything else raises ValidationError."""
    out: list[str] = []
    for raw in values:
        value = (raw or "").strip()
        if not value:
            continue
        if not pattern.match(value):
            raise ValidationError(f"“{value[:40]}” is not a Qualtrics ID of the expected kind.")
        if value not in out:
            out.append(value)
    return out


class MembersAddForm(forms.Form):
    """The users picked in the search-as-you-type picker (several `user_id` values)."""

    def __init__(self, data=None):
        super().__init__(data)
        self.user_ids: list[str] = []

    def clean(self):
        values = self.data.getlist("user_id") if hasattr(self.data, "getlist") else self.data.get("user_id", [])
        try:
            self.user_ids = clean_ids(values, USER_ID_RE)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        if not self.user_ids:
            raise ValidationError("Pick at least one user: search above, then tick the users to add.")
        if len(self.user_ids) > 100:
            raise ValidationError("Add at most 100 users at once.")
        return {}


class UserGroupAddForm(PortalForm):
    group_id = forms.ChoiceField(label="Group")

    def __init__(self, *args, groups: list[dict] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group_id"].choices = [("", "— Choose a group —")] + [
            (g["id"], g.get("name") or g["id"]) for g in groups if g.get("id")
        ]


class TokenForm(PortalForm):
    SHOW = "show"
    SAVE = "save"

    destination = forms.ChoiceField(
        label="What to do with the new token",
        widget=forms.RadioSelect,
        choices=[
            (SAVE, "Save it straight into a new portal connection (owned by you), without showing it"),
            (SHOW, "Show it to me once, to copy it elsewhere"),
        ],
        initial=SAVE,
    )
    connection_name = forms.CharField(
        label="Name of the new connection",
        required=False,
        max_length=100,
        help_text="Only when saving into a new connection. It uses this connection's datacenter and you become "
        "its owner; the token is checked with Qualtrics, then stored encrypted.",
    )
    confirm = forms.BooleanField(
        label="I understand that the user's current API token stops working everywhere, at once",
        required=True,
        error_messages={"required": "Tick this box to confirm: every script or integration using the old token "
                                    "will stop working."},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("destination") == self.SAVE and not (cleaned.get("connection_name") or "").strip():
            self.add_error("connection_name", "Name the new connection, or choose to show the token instead.")
        cleaned["connection_name"] = (cleaned.get("connection_name") or "").strip()
        return cleaned
