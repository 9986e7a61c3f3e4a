from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from qualtrics import TOKEN_MASK
from qualtrics.scopes import missing_scope

from .crypto import encrypt_token
from .validators import validate_datacenter

if TYPE_CHECKING:
    from .services.whoami import WhoAmI


class Role(models.IntegerChoices):
    VIEWER = 10, "Viewer"
    OPERATOR = 20, "Operator"
    MANAGER = 30, "Manager"


class AuthKind(models.TextChoices):
    API_TOKEN = "token", "API token"
    OAUTH = "oauth", "OAuth client"


class Connection(models.Model):
    """A named, shareable connection to one Qualtrics brand through one user's API token, or through an
    OAuth client (client credentials) whose short-lived bearer tokens live only in the shared cache."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connections")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    datacenter = models.CharField(max_length=10, validators=[validate_datacenter])
    auth_kind = models.CharField("authentication", max_length=10, choices=AuthKind.choices,
                                 default=AuthKind.API_TOKEN)
    # API token connections: the token, encrypted; OAuth connections leave both empty.
    token_encrypted = models.TextField(editable=False, blank=True)
    token_last4 = models.CharField(max_length=4, editable=False, blank=True)
    # OAuth client connections: the client ID (not a secret), its secret encrypted like a token and never
    # shown in any part, the scopes asked for and those Qualtrics granted (space-separated, as OAuth has them).
    oauth_client_id = models.CharField("OAuth client ID", max_length=100, blank=True)
    oauth_secret_encrypted = models.TextField(editable=False, blank=True)
    oauth_scopes_requested = models.TextField("scopes asked for", blank=True)
    oauth_scopes_granted = models.TextField("scopes granted", blank=True, editable=False)
    qualtrics_username = models.CharField(
        "Qualtrics username", max_length=200, blank=True, help_text="Used for workflow (JSON event) triggers."
    )
    expires_on = models.DateField("token expiration date", null=True, blank=True)
    notify_days_before = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    notify_emails = models.TextField(
        "extra notification e-mails", blank=True, help_text="Comma- or line-separated addresses."
    )
    enabled = models.BooleanField(default=True)

    # Facts learned from whoami.
    brand_id = models.CharField(max_length=100, blank=True)
    qualtrics_user_id = models.CharField(max_length=40, blank=True)
    qualtrics_user_name = models.CharField(max_length=200, blank=True)
    account_type = models.CharField(max_length=60, blank=True)
    reported_datacenter = models.CharField(max_length=20, blank=True)
    suggested_datacenter = models.CharField(max_length=20, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True, blank=True)
    last_check_error = models.TextField(blank=True)
    token_rejected_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="connection_name_unique_per_owner",
                violation_error_message="You already have a connection with this name.",
            ),
            models.CheckConstraint(
                condition=Q(notify_days_before__gte=1) & Q(notify_days_before__lte=100),
                name="connection_notify_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never include the token or the client secret
        return f"<Connection {self.pk} {self.name!r} {self.datacenter} {self.credential_label}>"

    def get_absolute_url(self) -> str:
        return reverse("connections:connection_detail", args=[self.pk])

    @property
    def token_mask(self) -> str:
        return f"{TOKEN_MASK}{self.token_last4}" if self.token_last4 else ""

    def set_token(self, token: str) -> None:
        """Keep `token` encrypted (not saved yet); only its last four characters stay readable."""
        self.token_encrypted = encrypt_token(token)
        self.token_last4 = token[-4:]

    @property
    def budget_key(self) -> str:
        """Whose Qualtrics rate budget this connection's calls count against: its brand's, shared with every
        other connection to the brand (one until the brand is known)."""
        return self.brand_id or f"connection-{self.pk}"

    @property
    def uses_oauth(self) -> bool:
        return self.auth_kind == AuthKind.OAUTH

    @property
    def credential_label(self) -> str:
        """How the credentials are named in messages and the audit: the token's mask, or the client's ID
        (an OAuth secret shows nothing of itself, not even its end)."""
        return f"OAuth client {self.oauth_client_id}" if self.uses_oauth else f"token {self.token_mask}"

    @property
    def credential_noun(self) -> str:
        return "OAuth client" if self.uses_oauth else "API token"

    @property
    def secret_noun(self) -> str:
        """What a manager rotates: "the token", or "the client's secret"."""
        return "the client's secret" if self.uses_oauth else "the token"

    def set_oauth_client(self, client_id: str, secret: str) -> None:
        """Keep the client's secret encrypted (not saved yet), exactly as a token is."""
        self.auth_kind = AuthKind.OAUTH
        self.oauth_client_id = client_id
        self.oauth_secret_encrypted = encrypt_token(secret)
        self.token_encrypted = ""
        self.token_last4 = ""

    @property
    def ciphertext_field(self) -> str:
        """The field holding this connection's encrypted credential (the token, or the client's secret)."""
        return "oauth_secret_encrypted" if self.uses_oauth else "token_encrypted"

    @property
    def scopes_requested(self) -> list[str]:
        return self.oauth_scopes_requested.split()

    @property
    def scopes_granted(self) -> list[str]:
        return self.oauth_scopes_granted.split()

    def lacks_scope(self, family: str, *, write: bool = False) -> str:
        """The scope an OAuth connection would need for reading (or writing) `family` and was not
        granted, or "" (always "" for a token connection, whose user's permissions decide)."""
        if not self.uses_oauth:
            return ""
        return missing_scope(self.scopes_granted, family, write=write)

    def record_whoami(self, who: WhoAmI, *, at: datetime.datetime | None = None) -> list[str]:
        """Keep what Qualtrics said about the token's user when it accepted the token (not saved yet).

        A success clears any earlier failure or rejection. Returns the fields set, for
        `save(update_fields=…)`.
        """
        facts = {
            "brand_id": who.brand_id,
            "qualtrics_user_id": who.user_id,
            "qualtrics_user_name": who.user_name,
            "account_type": who.account_type,
            "reported_datacenter": who.datacenter,
            "suggested_datacenter": who.suggested_datacenter,
        }
        for name, value in facts.items():
            setattr(self, name, value[: self._meta.get_field(name).max_length])
        self.last_checked_at = at or timezone.now()
        self.last_check_ok = True
        self.last_check_error = ""
        self.token_rejected_at = None
        fields = [*facts, "last_checked_at", "last_check_ok", "last_check_error", "token_rejected_at"]
        if self.uses_oauth and who.scopes:
            self.oauth_scopes_granted = " ".join(who.scopes)
            fields.append("oauth_scopes_granted")
        return fields

    @property
    def is_brand_admin(self) -> bool:
        return self.account_type in {"UT_BRANDADMIN", "UT_BRAND_ADMIN"}

    @property
    def token_rejected(self) -> bool:
        return self.token_rejected_at is not None

    def mark_token_rejected(self, *, at: datetime.datetime | None = None) -> bool:
        """Note in the database that Qualtrics refused the token. The first time is kept, so the alert
        about it goes out once: True only when this call marked it."""
        return bool(
            Connection.objects.filter(pk=self.pk, token_rejected_at__isnull=True).update(
                token_rejected_at=at or timezone.now()
            )
        )

    @property
    def expiry_notice_key(self) -> str:
        """Names this connection's expiry banner among the notices a user put away (accounts.Profile)."""
        return f"expiry:{self.pk}"

    def expiry_status(self, today: datetime.date | None = None) -> str:
        """'none', 'ok', 'soon' (inside the notice window) or 'expired'."""
        if not self.expires_on:
            return "none"
        today = today or timezone.localdate()
        if self.expires_on <= today:
            return "expired"
        if (self.expires_on - today).days <= self.notify_days_before:
            return "soon"
        return "ok"

    @property
    def days_to_expiry(self) -> int | None:
        if not self.expires_on:
            return None
        return (self.expires_on - timezone.localdate()).days

    def notification_addresses(self) -> list[str]:
        raw = self.notify_emails.replace(";", ",").replace("\n", ",")
        return [a.strip() for a in raw.split(",") if a.strip()]


class ConnectionShare(models.Model):
    """A connection shared with one user or one team (Django group) in a role."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="connection_shares"
    )
    team = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="connection_shares")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="share_user_xor_team",
            ),
            models.UniqueConstraint(fields=["connection", "user"], name="share_unique_user"),
            models.UniqueConstraint(fields=["connection", "team"], name="share_unique_team"),
        ]

    def __str__(self) -> str:
        who = f"team {self.team}" if self.team_id else f"user {self.user}"
        return f"{self.connection} → {who} ({self.get_role_display()})"


class AlertKind(models.TextChoices):
    EXPIRY_NOTICE = "expiry_notice", "Expires soon"
    EXPIRED = "expired", "Expired"
    TOKEN_REJECTED = "token_rejected", "Token no longer accepted"


class AlertSent(models.Model):
    """One row per alert sent: the unique key makes each alert go out exactly once."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    key = models.CharField(
        max_length=100, help_text="The expiration date for expiry alerts, the rejection time for token alerts."
    )
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    # Who holds the row until it is delivered: the sweep that inserted it (rows are inserted in bulk, ignoring
    # the ones another sweep holds, and read back by this token), then the delivery that took it over.
    # Emptied when a delivery failed: the next sweep claims it again (services/alert_batches.py).
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "alert sent"
        verbose_name_plural = "alerts sent"
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["connection", "kind", "key"], name="alert_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.connection} ({self.key})"


class AuditEvent(models.Model):
    """Who did what through which connection, with Qualtrics' request id. Never holds a token."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        DENIED = "denied", "Denied"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    connection_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    target = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    request_id = models.CharField("Qualtrics request id", max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"
