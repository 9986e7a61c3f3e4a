"""Saved workflow triggers, and the runs that send their events.

A run is the portal's record of sending: one row per member (`RunItem`), claimed with a conditional
UPDATE before its event is sent, so the database, not the broker, knows what went out. Whatever happens
to workers and messages, an event is never sent twice without a person asking for it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection


class Auth(models.TextChoices):
    TOKEN = "token", "X-API-TOKEN header"
    BASIC = "basic", "Basic: the connection's username and API token"
    NONE = "none", "None (the trigger does not require authentication)"


class Trigger(models.Model):
    """A workflow's JSON-event trigger on one connection, with the payload to send it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="workflow_triggers")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    url = models.CharField("trigger URL", max_length=2000)
    url_form = models.CharField(max_length=12, help_text="Which documented URL form: urlTokenId or legacy.")
    auth = models.CharField("authentication", max_length=10, choices=Auth.choices, default=Auth.TOKEN)
    payload_template = models.TextField(help_text="JSON; {{placeholders}} inside strings take contact fields.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("connection", Lower("name"), name="trigger_name_unique_per_connection"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("workflows:trigger_detail", kwargs={"connection_id": self.connection_id, "trigger_id": self.pk})


class RunKind(models.TextChoices):
    SINGLE = "single", "One event"
    LIST = "list", "Mailing list"
    SEARCH = "search", "Contact search"


class RunState(models.TextChoices):
    PLANNING = "planning", "Reading the members"
    SENDING = "sending", "Sending"
    HELD = "held", "Held"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_RUN_STATES = (RunState.PLANNING, RunState.SENDING, RunState.HELD)


class Run(models.Model):
    """One sending of a trigger's events: a single event, or one per member of a list or a search."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="runs")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="workflow_runs")
    kind = models.CharField(max_length=10, choices=RunKind.choices)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.PLANNING)

    # What it sends: the trigger as it was when the run started.
    url = models.CharField(max_length=2000)
    auth = models.CharField(max_length=10, choices=Auth.choices)
    username = models.CharField(max_length=200, blank=True)
    payload_template = models.TextField(blank=True)

    # To whom.
    directory_id = models.CharField(max_length=40, blank=True)
    mailing_list_id = models.CharField(max_length=40, blank=True)
    search = models.JSONField(default=dict, blank=True, help_text="{field, comparison, value, key}")
    source_label = models.CharField(max_length=300, blank=True)
    skip_opted_out = models.BooleanField(default=True)

    # Reading the members: one planner at a time (a lease), resuming from the page it reached.
    plan_cursor = models.TextField(blank=True, help_text="The next page of members to read.")
    members_read = models.PositiveIntegerField(default=0)
    members_skipped = models.PositiveIntegerField(default=0)
    plan_notice = models.CharField(max_length=500, blank=True)
    lease_token = models.CharField(max_length=36, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)

    # Sending: when a sender last showed progress (None: none is at work).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=500, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="workflow_run_state")]

    def __str__(self) -> str:
        return f"{self.trigger} · {self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("workflows:run_detail", kwargs={"connection_id": self.connection_id, "run_id": self.pk})

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_RUN_STATES


class ItemState(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    IN_DOUBT = "in_doubt", "May have arrived"
    CANCELLED = "cancelled", "Not sent"


RETRYABLE_ITEM_STATES = (ItemState.FAILED, ItemState.IN_DOUBT)


class RunItem(models.Model):
    """One event of a run: one member, claimed before its event is sent."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="items")
    contact_id = models.CharField(max_length=40, blank=True)
    label = models.CharField(max_length=300, blank=True)
    fields = models.JSONField(default=dict, blank=True, help_text="The contact fields the payload uses.")
    payload = models.TextField(blank=True, help_text="A single event's payload as given.")
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.PENDING)

    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Calls made to Qualtrics for this member (not counting those the rate budget held back)."
    )
    waits = models.PositiveSmallIntegerField(default=0, help_text="Times it waited for the rate limit.")
    unreached = models.PositiveSmallIntegerField(default=0, help_text="Connections to Qualtrics never made.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    request_id = models.CharField("Qualtrics request id", max_length=64, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["run", "contact_id"], name="run_item_once_per_member")]
        indexes = [models.Index(fields=["run", "state"], name="run_item_state")]

    def __str__(self) -> str:
        return f"{self.label or self.contact_id or 'event'}: {self.get_state_display()}"
