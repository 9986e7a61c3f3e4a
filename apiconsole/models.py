"""The console's own records: who may use it on a connection, shared saved requests, each user's calls.

Request bodies are kept (a saved request, a call to run again); answers never are, and the token never
reaches any of these rows (the client refuses a request that holds it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from connections.models import Connection

HISTORY_SIZE = 50


class Method(models.TextChoices):
    GET = "GET", "GET"
    POST = "POST", "POST"
    PUT = "PUT", "PUT"
    PATCH = "PATCH", "PATCH"
    DELETE = "DELETE", "DELETE"


class ConsoleAccess(models.Model):
    """Whether a connection's operators may use its console (managers always may)."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="console_access")
    operators_allowed = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "console access"
        verbose_name_plural = "console access"

    def __str__(self) -> str:
        who = "managers and operators" if self.operators_allowed else "managers"
        return f"Console of {self.connection}: {who}"


class RequestFields(models.Model):
    """What describes a request: the same on a saved request and on a call made."""

    method = models.CharField(max_length=6, choices=Method.choices, default=Method.GET)
    path = models.CharField(max_length=1000, help_text="Relative to the connection's /API/v3.")
    query = models.JSONField(default=list, blank=True, help_text="[[name, value], …]")
    headers = models.JSONField(default=list, blank=True, help_text="[[name, value], …], never credentials.")
    body = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_write(self) -> bool:
        return self.method != Method.GET


class SavedRequest(RequestFields):
    """A request kept by name on a connection, shared with everyone who may use its console."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="saved_console_requests")
    name = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("connection", Lower("name"), name="saved_request_name_unique_per_connection"),
        ]

    def __str__(self) -> str:
        return self.name


class ConsoleCall(RequestFields):
    """One call a user made through the console: their own history (the last HISTORY_SIZE are kept)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="console_calls")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_calls")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    request_id = models.CharField("Qualtrics request id", max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["connection", "actor", "-created_at"], name="console_call_history")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status or 'no answer'}"
