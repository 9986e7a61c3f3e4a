"""Forms of the connection screens. They validate input only; the services do the work."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from qualtrics import TOKEN_MASK
from web.forms import DateInput, PortalForm, PortalModelForm

from .audit_words import action_words, outcome_words
from .crypto import TokenDecryptionError, decrypt_token, encrypt_token
from .models import AuditEvent, AuthKind, Connection, Role
from .validators import KNOWN_DATACENTERS, validate_client_secret, validate_datacenter, validate_token_shape

PENDING_TOKEN_PREFIX = "connections.pending_token"


class PendingToken:
    """A token typed into a form that failed for another reason, kept (encrypted) in the session.

    A token is never rendered back into a page, so without this a user whose form had, say, a
    duplicate name would have to paste the token again. It lives only until the form succeeds.
    """

    def __init__(self, request, purpose: str):
        self.session = request.session
        self.key = f"{PENDING_TOKEN_PREFIX}:{purpose}"

    def store(self, token: str) -> None:
        self.session[self.key] = {"ciphertext": encrypt_token(token), "last4": token[-4:]}

    def get(self) -> str | None:
        data = self.session.get(self.key)
        if not data:
            return None
        try:
            return decrypt_token(data["ciphertext"])
        except (TokenDecryptionError, KeyError, TypeError):
            self.clear()
            return None

    @property
    def mask(self) -> str:
        data = self.session.get(self.key) or {}
        return f"{TOKEN_MASK}{data['last4']}" if data.get("last4") else ""

    def clear(self) -> None:
        self.session.pop(self.key, None)


class TokenInput(forms.PasswordInput):
    """A token box that never renders a value back."""

    def __init__(self, attrs=None):
        base = {"autocomplete": "new-password", "spellcheck": "false", "autocapitalize": "off",
                "class": "mono"}
        super().__init__(attrs={**base, **(attrs or {})}, render_value=False)


class DatacenterInput(forms.TextInput):
    """A text box with the known datacenter IDs offered as suggestions."""

    template_name = "connections/widgets/datacenter.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["datacenters"] = sorted(KNOWN_DATACENTERS.items())
        context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}-options"
        return context


class TokenFormMixin:
    """The token field: blank keeps what is saved (or what was typed before a failed submit)."""

    token_required = False
    validate_credential = staticmethod(validate_token_shape)

    def setup_token(self, *, saved_mask: str = "", pending: PendingToken | None = None):
        self.pending = pending
        self.saved_mask = saved_mask
        self.fields["token"].required = False
        self._describe_token()

    def _describe_token(self) -> None:
        field = self.fields["token"]
        notes = []
        if self.pending is not None and self.pending.mask:
            notes.append(f"Leave blank to use the token you entered a moment ago ({self.pending.mask}).")
            field.widget.attrs["placeholder"] = f"{self.pending.mask} (as entered)"
        elif self.saved_mask:
            notes.append(f"Saved token: {self.saved_mask}. Leave blank to keep it.")
            field.widget.attrs["placeholder"] = f"{self.saved_mask} (unchanged)"
        notes.append("Account settings → Qualtrics IDs → API → Token. It is stored encrypted and never shown again.")
        field.help_text = " ".join(notes)
        self._bound_fields_cache.pop("token", None)  # a bound field copies the help text when created

    def clean_token(self):
        token = (self.cleaned_data.get("token") or "").strip()
        if not token and self.pending is not None:
            token = self.pending.get() or ""
        if not token:
            if self.token_required:
                raise ValidationError("Paste the API token of the Qualtrics user this connection acts as.")
            return ""
        self.validate_credential(token)
        return token

    def keep_pending_token(self) -> None:
        """After a failed submit: remember a well-formed token so the user need not paste it again."""
        token = (self.cleaned_data.get("token") or "") if hasattr(self, "cleaned_data") else ""
        if self.pending is not None and token and "token" not in self.errors:
            self.pending.store(token)
            self._describe_token()

    def forget_pending_token(self) -> None:
        if self.pending is not None:
            self.pending.clear()
            self._describe_token()


class ConnectionForm(TokenFormMixin, PortalModelForm):
    datacenter = forms.CharField(
        label="Datacenter ID",
        # No placeholder: one read as a value already filled in.
        widget=DatacenterInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="The subdomain of your Qualtrics account, e.g. iad1 for iad1.qualtrics.com "
        "(Account settings → Qualtrics IDs).",
    )
    auth_kind = forms.ChoiceField(
        label="Sign in to Qualtrics with", initial=AuthKind.API_TOKEN, required=False, widget=forms.RadioSelect,
        choices=[(AuthKind.API_TOKEN, "A Qualtrics user's token"), (AuthKind.OAUTH, "An OAuth client")],
        help_text="An OAuth client (created by a brand administrator, with chosen scopes) acts as no one's "
        "personal token, can be limited to what the portal needs, and is revoked without touching a login.",
    )
    token = forms.CharField(label="API token", required=False, widget=TokenInput())
    client_id = forms.CharField(
        label="OAuth client ID", required=False, max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
        help_text="Account settings → Qualtrics IDs → OAuth clients (a brand administrator creates them).",
    )
    client_secret = forms.CharField(
        label="Client secret", required=False, widget=TokenInput(),
        help_text="Shown once by Qualtrics when the client is created. Stored encrypted and never shown again.",
    )
    scopes = forms.CharField(
        label="Scopes to ask for", required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "mono",
                                      "placeholder": "read:users read:directories write:mailing_lists"}),
        help_text="Separated by spaces: read:, write: or manage: with users, groups, directories, "
        "directory_contacts, mailing_lists, distributions, libraries, surveys, survey_responses… "
        "(manage:all for everything). Screens needing a scope the client lacks say so.",
    )
    confirm_brand_change = forms.BooleanField(
        label="Use the other brand", required=False, widget=forms.HiddenInput()
    )
    confirm_user_change = forms.BooleanField(
        label="Use this token's user", required=False, widget=forms.HiddenInput()
    )

    OAUTH_FIELDS = ("client_id", "client_secret", "scopes")

    class Meta:
        model = Connection
        fields = [
            "name",
            "description",
            "datacenter",
            "token",
            "qualtrics_username",
            "expires_on",
            "notify_days_before",
            "notify_emails",
            "enabled",
        ]
        labels = {
            "expires_on": "Token expiration date",
            "notify_days_before": "Notify this many days before",
            "notify_emails": "Extra notification e-mail addresses",
            "enabled": "Enabled",
        }
        help_texts = {
            "name": "Unique among your connections, e.g. “Acme production”.",
            "qualtrics_username": "Optional. The login of the token's user; used for workflow (JSON event) "
            "triggers.",
            "expires_on": "Optional. When set, the owner, the managers and the addresses below are e-mailed "
            "as the date approaches and on the day itself.",
            "notify_days_before": "1 to 100 days.",
            "notify_emails": "Optional. Separate addresses with commas or new lines.",
            "enabled": "A disabled connection is kept but skipped by alerts and the daily token check.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "expires_on": DateInput(),
            "notify_emails": forms.Textarea(attrs={"rows": 2, "placeholder": "ops@example.org"}),
            "notify_days_before": forms.NumberInput(attrs={"min": 1, "max": 100}),
        }

    def __init__(self, *args, pending: PendingToken | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        creating = self.instance.pk is None
        # A new connection needs a token, unless it signs in with an OAuth client instead.
        self.token_required = creating and not self.wants_oauth
        if not creating:  # the kind is chosen once; an OAuth client's secret is rotated, its ID kept
            for name in ("auth_kind", "client_id", "client_secret"):
                del self.fields[name]
            if self.instance.uses_oauth:
                self.pending = None  # no token to keep between submits
                del self.fields["token"]
                self.initial["scopes"] = self.instance.oauth_scopes_requested
                self.fields["scopes"].marked_required = True
                self.fields["scopes"].help_text += " A change is asked of Qualtrics before it is saved."
                self.fields["qualtrics_username"].help_text = "Not used: workflow triggers need an API token."
                return
            del self.fields["scopes"]
        self.setup_token(saved_mask=self.instance.token_mask if self.instance.pk else "", pending=pending)
        # Blank may be allowed (a token kept from a failed submit), but a new connection needs one.
        self.fields["token"].marked_required = creating
        for name in self.OAUTH_FIELDS:
            if name in self.fields:
                self.fields[name].marked_required = True

    def clean_token(self):
        return "" if self.wants_oauth else super().clean_token()

    @property
    def wants_oauth(self) -> bool:
        return "auth_kind" in self.fields and self.data.get("auth_kind") == AuthKind.OAUTH

    def clean(self):
        data = super().clean()
        if self.wants_oauth:
            for name in self.OAUTH_FIELDS:
                if not (data.get(name) or "").strip():
                    self.add_error(name, "Required for an OAuth client connection.")
        return data

    def clean_datacenter(self):
        value = (self.cleaned_data.get("datacenter") or "").strip().lower()
        validate_datacenter(value)
        return value

    def clean_name(self):
        return (self.cleaned_data.get("name") or "").strip()

    def _post_clean(self):
        # Model validation (uniqueness per owner, token fields) happens in the service.
        pass

    def ask_brand_confirmation(self) -> None:
        self.fields["confirm_brand_change"].widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
        self.fields["confirm_brand_change"].help_text = (
            "Tick this only if the connection should now act on the other brand."
        )

    def ask_user_confirmation(self) -> None:
        self.fields["confirm_user_change"].widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
        self.fields["confirm_user_change"].help_text = (
            "Tick this only if the connection should now act as the user this token belongs to."
        )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name != "token"}
        if self.wants_oauth:
            fields.update(auth_kind=AuthKind.OAUTH, **{name: data[name] for name in self.OAUTH_FIELDS})
        elif self.instance.pk and self.instance.uses_oauth:
            fields["oauth_scopes_requested"] = data["scopes"]
        return fields


class RotateForm(TokenFormMixin, PortalForm):
    token = forms.CharField(label="New API token", required=False, widget=TokenInput())
    expires_on = forms.DateField(
        label="Expiration date of the new token",
        required=False,
        widget=DateInput(),
        help_text="Leave blank if the new token has no planned expiration.",
    )
    confirm_brand_change = forms.BooleanField(
        label="Use the other brand", required=False, widget=forms.HiddenInput()
    )
    confirm_user_change = forms.BooleanField(
        label="Use this token's user", required=False, widget=forms.HiddenInput()
    )
    token_required = True

    def __init__(self, *args, pending: PendingToken | None = None, oauth: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if oauth:  # an OAuth client's connection rotates its client's secret the same way
            self.validate_credential = validate_client_secret
            self.fields["token"].label = "New client secret"
            del self.fields["expires_on"]  # a client's secret does not expire on a date the portal knows
        self.setup_token(pending=pending)
        self.fields["token"].marked_required = True
        if oauth:
            self.fields["token"].help_text = (
                "Generate it on the OAuth client in Qualtrics. It is stored encrypted and never shown again."
            )
            self._bound_fields_cache.pop("token", None)

    ask_brand_confirmation = ConnectionForm.ask_brand_confirmation
    ask_user_confirmation = ConnectionForm.ask_user_confirmation


class ShareForm(PortalForm):
    user = forms.ModelChoiceField(
        label="Person", queryset=get_user_model().objects.none(), required=False, empty_label="— choose a person —"
    )
    team = forms.ModelChoiceField(
        label="Team", queryset=Group.objects.none(), required=False, empty_label="— or a team —"
    )
    role = forms.TypedChoiceField(label="Role", choices=Role.choices, coerce=int, initial=Role.VIEWER)

    def __init__(self, *args, connection: Connection, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True).exclude(pk=connection.owner_id).order_by("username")
        )
        self.fields["user"].label_from_instance = _user_label
        self.fields["team"].queryset = Group.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("team")):
            raise ValidationError("Choose either one person or one team.")
        return data


def _user_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class AuditFilterForm(PortalForm):
    action = forms.ChoiceField(label="What", required=False)
    actor = forms.CharField(label="Who", required=False, widget=forms.TextInput(attrs={"placeholder": "Who"}))
    outcome = forms.ChoiceField(
        label="Outcome", required=False,
        choices=[("", "Any outcome"), *((value, outcome_words(value)) for value in AuditEvent.Outcome.values)],
    )
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, actions: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # In words, sorted by them; two codes with the same words (distribution.send/.sent) stay two choices.
        self.fields["action"].choices = [("", "Any action"),
                                         *sorted(((a, action_words(a)) for a in actions), key=lambda c: c[1])]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        data = getattr(self, "cleaned_data", {}) or {}
        return data.get("since"), data.get("until")
