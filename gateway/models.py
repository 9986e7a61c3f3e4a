"""API keys of a connection and the calls made with them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.models import Connection

from .scopes import PRESETS

KEY_PREFIX = "qpk_"
ID_LENGTH = 8
PREFIX_LENGTH = len(KEY_PREFIX) + ID_LENGTH
ID_ALPHABET = string.ascii_letters + string.digits


def key_hash(key: str) -> str:
    # The secret part is 256 random bits: a plain SHA-256 cannot be searched backwards, so a slow password
    # hash would only slow down every gateway call.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A new key and its visible prefix: ``qpk_`` + 8 letters and digits that find it, ``_`` + the secret."""
    prefix = KEY_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


class ApiKey(models.Model):
    """A key one integration uses to call Qualtrics through one connection, within its rules.

    Only a hash of the key is kept; the prefix is shown so people can tell keys apart.
    """

    Preset = models.TextChoices("Preset", [(name, label) for name, (label, _rules) in PRESETS.items()])

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    hash = models.CharField(max_length=64)
    preset = models.CharField(max_length=20, choices=Preset.choices, default="read_only")
    rules = models.TextField(help_text="One rule a line: METHODS PATTERN, such as GET /directories/**")
    expires_on = models.DateField(null=True, blank=True)
    allowed_networks = models.TextField(blank=True, help_text="CIDR networks, one a line; empty: any")
    per_minute_cap = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The expiry date the managers were told about: claimed with a conditional update, so each notice goes out
    # once however many workers sweep.
    expiry_notice_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["revoked_at", "name", "pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def matches(self, key: str) -> bool:
        return hmac.compare_digest(self.hash, key_hash(key))

    def is_expired(self, today=None) -> bool:
        return self.expires_on is not None and self.expires_on < (today or timezone.localdate())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"


class GatewayCall(models.Model):
    """One call made with a key: what was asked, what came back. Never a body, never a token."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="calls")
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    request_id = models.CharField("request id", max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # Who answered: Qualtrics, or the gateway refusing (then its error code).
    refused = models.BooleanField(default=False)
    error_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["key", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"

    @property
    def failed(self) -> bool:
        return self.status >= 400
