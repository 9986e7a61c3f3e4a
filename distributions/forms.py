"""Compose forms for e-mail and SMS distributions. They validate only: the rules live in rules.py."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.signing import Signer
from django.urls import reverse
from django.utils import timezone

from surveys.forms import survey_picker_field
from web.forms import DateInput, DateTimeLocalInput, PortalForm

from . import rules
from .models import Channel, Distribution, Kind, LinkType, State
from .pickers import MESSAGE_CATEGORIES
from .selectors import parents_for
from .services import COMPOSED_FIELDS

EMBEDDED_HELP = (
    "One field a line, written <code>name = value</code> (or a JSON object). Stored with each response."
)


class PickerSelect(forms.Select):
    """A select whose options an htmx call fills from Qualtrics (the current value stays selected)."""

    def __init__(self, *, picker: str, depends_on: tuple[str, ...] = (), attrs=None):
        super().__init__(attrs=attrs)
        self.picker = picker
        self.depends_on = depends_on

    def get_context(self, name, value, attrs):
        self.choices = [("", "—")] + ([(value, value)] if value else [])
        return super().get_context(name, value, attrs)


def parse_embedded_data(text: str) -> dict[str, Any]:
    """`name = value` lines, or a JSON object; raises ValidationError naming the line at fault."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"That is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        if not isinstance(data, dict):
            raise forms.ValidationError("Embedded data must be a JSON object of names and values.")
        return data
    data: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise forms.ValidationError(f"Line {number}: write it as name = value.")
        key, value = (part.strip() for part in line.split("=", 1))
        if not key:
            raise forms.ValidationError(f"Line {number}: the field has no name.")
        if key in data:
            raise forms.ValidationError(f"Line {number}: “{key}” is given twice.")
        data[key] = value
    return data


def format_embedded_data(data: dict | None) -> str:
    return "\n".join(f"{k} = {v}" for k, v in (data or {}).items())


class DistributionForm(PortalForm):
    """Fields shared by both channels. Subclasses drop what their channel and kind do not use."""

    name = forms.CharField(label="Name", max_length=100, required=False)
    survey_id = survey_picker_field()

    library_id = forms.CharField(label="Library", required=False, widget=PickerSelect(picker="libraries"))
    message_id = forms.CharField(
        label="Library message", required=False, widget=PickerSelect(picker="messages", depends_on=("library_id",))
    )
    message_text = forms.CharField(
        label="Or your own text", required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Use either a library message or your own text, not both.",
    )

    directory_id = forms.CharField(label="Directory", required=False, widget=PickerSelect(picker="directories"))
    mailing_list_id = forms.CharField(
        label="Mailing list", required=False,
        widget=PickerSelect(picker="mailing_lists", depends_on=("directory_id",)),
    )
    contact_lookup_id = forms.CharField(
        label="Only this contact", required=False,
        widget=PickerSelect(picker="contacts", depends_on=("directory_id", "mailing_list_id")),
        help_text="Optional: one contact of the list.",
    )
    sample_id = forms.CharField(
        label="Or a sample of the list", required=False,
        widget=PickerSelect(picker="samples", depends_on=("directory_id", "mailing_list_id")),
        help_text="Optional: only the contacts of one of the list's samples.",
    )
    transaction_batch_id = forms.CharField(
        label="Or a transaction batch", required=False,
        widget=PickerSelect(picker="transaction_batches", depends_on=("directory_id",)),
        help_text="Instead of a mailing list: everyone in the batch.",
    )

    link_expires_at = forms.DateTimeField(label="Survey link expires", required=False, widget=DateTimeLocalInput())
    send_now = forms.BooleanField(label="Send now", required=False)
    send_at = forms.DateTimeField(label="Send at", required=False, widget=DateTimeLocalInput(),
                                  help_text="In your time zone.")

    channel = Channel.EMAIL
    follow_up_fields_dropped = (
        "survey_id", "directory_id", "mailing_list_id", "contact_lookup_id", "sample_id", "transaction_batch_id",
        "transaction_id", "link_type", "link_expires_at",
    )

    def __init__(self, *args, connection, kind: str = Kind.INVITE, parent: Distribution | None = None,
                 instance: Distribution | None = None, **kwargs):
        self.connection = connection
        self.instance = instance
        self.fixed_parent = parent
        self.fixed_kind = kind
        if instance is not None:
            kwargs["initial"] = {**(kwargs.get("initial") or {}), **self.initial_from(instance)}
        super().__init__(*args, **kwargs)
        if kind in (Kind.REMINDER, Kind.THANKYOU) and parent is not None:
            for name in self.follow_up_fields_dropped:
                self.fields.pop(name, None)
        self.fields["send_at"].widget.attrs.setdefault("min", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    # Initial values ------------------------------------------------------------------------------

    @staticmethod
    def initial_from(d: Distribution) -> dict[str, Any]:
        initial = {name: getattr(d, name) for name in COMPOSED_FIELDS}
        initial["embedded_data"] = format_embedded_data(d.embedded_data)
        initial["kind"] = d.kind
        initial["parent"] = d.parent_id
        return initial

    # Picker wiring (used by the template) ---------------------------------------------------------

    def picker_url(self, field_name: str) -> str:
        widget = self.fields[field_name].widget
        return reverse(f"distributions:picker_{widget.picker}", kwargs={"connection_id": self.connection.pk})

    def message_category(self, subject: bool = False) -> str:
        kind = "subject" if subject else self.current_kind()
        kind = "invite" if kind == Kind.INTERACTIVE else kind
        return MESSAGE_CATEGORIES.get((self.channel, kind), "")

    def current_kind(self) -> str:
        return self.fixed_kind

    # Validation ----------------------------------------------------------------------------------

    def clean_embedded_data(self):
        return parse_embedded_data(self.cleaned_data.get("embedded_data", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("send_now"):
            cleaned["send_at"] = timezone.now().replace(microsecond=0)
        return cleaned

    def composed(self) -> dict[str, Any]:
        """The cleaned values of the composed fields this form has."""
        data = {name: self.cleaned_data.get(name) for name in COMPOSED_FIELDS if name in self.fields}
        for name, value in list(data.items()):
            if value is None and name not in ("send_at", "link_expires_at"):
                data[name] = {} if name == "embedded_data" else ""
        return data

    def parent_value(self) -> Distribution | None:
        return self.fixed_parent

    def candidate(self) -> Distribution:
        """An unsaved distribution with this form's values, for the rules and the preview."""
        d = Distribution(connection=self.connection, channel=self.channel, kind=self.current_kind(),
                         parent=self.parent_value(), state=State.DRAFT)
        if self.instance is not None:
            for name in COMPOSED_FIELDS:
                setattr(d, name, getattr(self.instance, name))
            d.pk = self.instance.pk
            d.reference = self.instance.reference
        for name, value in self.composed().items():
            setattr(d, name, value.strip() if isinstance(value, str) else value)
        if d.kind in (Kind.REMINDER, Kind.THANKYOU) and d.parent_id:
            d.survey_id, d.survey_name = d.parent.survey_id, d.parent.survey_name
        return d

    def check_rules(self, *, for_draft: bool = False) -> bool:
        """Run every rule; put each message beside its field. True when nothing is wrong."""
        if not self.is_valid():
            return False
        for field, messages in rules.problems(self.candidate(), for_draft=for_draft).items():
            for message in messages:
                self.add_rule_error(field, message)
        return not self.errors

    def add_rule_error(self, field: str | None, message: str) -> None:
        self.add_error(field if field in self.fields else None, message)

    # The preview step ----------------------------------------------------------------------------

    def digest(self) -> str:
        """A signature of what was previewed; scheduling needs the same values."""
        values = {name: self.data.get(name, "") for name in sorted(self.fields) if name != "preview_digest"}
        raw = json.dumps(values, sort_keys=True, default=str)
        return Signer(salt="distributions.preview").sign(raw).rsplit(":", 1)[1]

    def previewed(self) -> bool:
        return bool(self.data.get("preview_digest")) and self.data.get("preview_digest") == self.digest()


class EmailDistributionForm(DistributionForm):
    from_email = forms.CharField(label="From address", required=False, max_length=254)
    from_name = forms.CharField(label="From name", required=False, max_length=200)
    reply_to_email = forms.CharField(label="Reply-to address", required=False, max_length=254,
                                     help_text="Optional: the from address when empty.")
    subject = forms.CharField(label="Subject", required=False, max_length=500)
    subject_message_id = forms.CharField(
        label="Or a subject message", required=False,
        widget=PickerSelect(picker="messages", depends_on=("library_id",)),
    )
    link_type = forms.ChoiceField(label="Survey link", required=False,
                                  choices=[("", "—"), *LinkType.choices], initial=LinkType.INDIVIDUAL)
    embedded_data = forms.CharField(label="Embedded data", required=False,
                                    widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
                                    help_text=EMBEDDED_HELP)

    field_order = [
        "name", "survey_id", "from_email", "from_name", "reply_to_email", "subject", "library_id",
        "subject_message_id", "message_id", "message_text", "directory_id", "mailing_list_id", "contact_lookup_id",
        "sample_id", "transaction_batch_id", "link_type", "link_expires_at", "embedded_data", "send_now", "send_at",
    ]
    channel = Channel.EMAIL


SMS_METHOD_CHOICES = [
    (Kind.INVITE.value, "Invite"),
    (Kind.INTERACTIVE.value, "Interactive (two-way: questions asked one SMS at a time)"),
    (Kind.REMINDER.value, "Reminder (to the parent's recipients who have not finished)"),
    (Kind.THANKYOU.value, "Thank you (to the parent's recipients who finished)"),
]


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Distribution) -> str:
        when = timezone.localtime(obj.sent_at).strftime("%-d %b %Y %H:%M") if obj.sent_at else ""
        return f"{obj} · {obj.qualtrics_id} · sent {when}"


class SmsDistributionForm(DistributionForm):
    kind = forms.ChoiceField(label="Method", choices=SMS_METHOD_CHOICES, initial=Kind.INVITE,
                             widget=forms.RadioSelect)
    parent = ParentChoiceField(label="Parent SMS distribution", required=False, queryset=Distribution.objects.none(),
                               empty_label="— choose the sent SMS distribution it follows —",
                               help_text="Reminders and thank-yous only.")
    transaction_id = forms.CharField(label="Or one transaction", required=False,
                                     help_text="Optional: a transaction of the list.")

    field_order = [
        "kind", "parent", "name", "survey_id", "library_id", "message_id", "message_text", "directory_id",
        "mailing_list_id", "contact_lookup_id", "sample_id", "transaction_id", "transaction_batch_id",
        "link_expires_at", "send_now", "send_at",
    ]
    channel = Channel.SMS
    follow_up_fields_dropped = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents_for(connection=self.connection, channel=Channel.SMS)
        self.fields["name"].max_length = rules.SMS_NAME_LIMIT
        self.fields["name"].widget.attrs["maxlength"] = rules.SMS_NAME_LIMIT
        self.fields["name"].help_text = "Shown in Qualtrics' list of SMS distributions."
        if self.fixed_parent is not None and not self.is_bound:
            self.initial.setdefault("parent", self.fixed_parent.pk)
            self.initial.setdefault("kind", self.fixed_kind)
        self.fields["message_text"].widget.attrs["data-sms-counter"] = "true"
        self.fields["link_expires_at"].help_text = "Optional, invites only."
        if self.instance is not None:
            # The method and the parent make it another distribution: duplicate it to change them.
            for name in ("kind", "parent"):
                self.fields[name].disabled = True
            self.fields["kind"].help_text = "Fixed once created: duplicate it to use another method."
            self.fields["parent"].queryset = Distribution.objects.filter(pk=self.instance.parent_id)

    def current_kind(self) -> str:
        if self.instance is not None:
            return self.instance.kind
        if self.is_bound:
            value = self.data.get("kind")
            return value if value in Kind.values else Kind.INVITE
        return self.initial.get("kind") or self.fixed_kind

    def composed(self) -> dict[str, Any]:
        data = super().composed()
        data["transaction_id"] = self.cleaned_data.get("transaction_id") or ""
        return data

    def parent_value(self) -> Distribution | None:
        if self.instance is not None:
            return self.instance.parent
        if self.current_kind() in (Kind.REMINDER, Kind.THANKYOU):
            return self.cleaned_data.get("parent") if hasattr(self, "cleaned_data") else self.fixed_parent
        return None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") in (Kind.INVITE, Kind.INTERACTIVE) and cleaned.get("parent"):
            self.add_error("parent", "Only reminders and thank-yous have a parent: clear it, or change the method.")
        return cleaned


class DistributionFilterForm(PortalForm):
    q = forms.CharField(label="Search", required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, survey or ID"}))
    state = forms.ChoiceField(label="State", required=False, choices=[("", "Any state"), *State.choices])
    channel = forms.ChoiceField(label="Channel", required=False, choices=[("", "E-mail and SMS"), *Channel.choices])
    survey = forms.CharField(label="Survey", required=False,
                             widget=forms.TextInput(attrs={"placeholder": "Survey name or SV_ id"}))
    sent_from = forms.DateField(label="From", required=False, widget=DateInput(attrs={"title": "Send date from"}))
    sent_to = forms.DateField(label="To", required=False, widget=DateInput(attrs={"title": "Send date to"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sent_from") and cleaned.get("sent_to") and cleaned["sent_from"] > cleaned["sent_to"]:
            raise forms.ValidationError("The “from” date is after the “to” date.")
        return cleaned
