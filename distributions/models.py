"""The portal's own record of every distribution, and its timeline.

A distribution is composed and scheduled here; a Celery worker sends it to Qualtrics when it is due.
The row is the source of truth: whatever happens to broker messages, a periodic sweep finds due work
and a reaper reconciles rows a dead worker left behind.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


class Kind(models.TextChoices):
    INVITE = "invite", "Invite"
    INTERACTIVE = "interactive", "Interactive (two-way SMS)"
    REMINDER = "reminder", "Reminder"
    THANKYOU = "thankyou", "Thank you"


# The SMS `method` Qualtrics expects for each kind (docs/qualtrics-api.md#sms-distributions).
SMS_METHODS = {
    Kind.INVITE: "Invite",
    Kind.INTERACTIVE: "Interactive",
    Kind.REMINDER: "Reminder",
    Kind.THANKYOU: "ThankYou",
}
FOLLOW_UP_KINDS = (Kind.REMINDER, Kind.THANKYOU)


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    # A call to create it may have reached Qualtrics and no answer said whether it did: looked up
    # there (again and again, with back-off) before anything else happens. Never failed meanwhile.
    CHECKING = "checking", "Checking Qualtrics"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    HELD = "held", "Held"


# States a distribution can still be changed in, and the ones that have not gone out yet.
EDITABLE_STATES = (State.DRAFT, State.SCHEDULED, State.HELD)
CANCELLABLE_STATES = (State.DRAFT, State.SCHEDULED, State.HELD, State.QUEUED)
PENDING_STATES = (State.SCHEDULED, State.QUEUED, State.SENDING, State.CHECKING, State.HELD)
FINAL_STATES = (State.SENT, State.FAILED, State.CANCELLED)


class LinkType(models.TextChoices):
    INDIVIDUAL = "Individual", "Individual (one link per recipient)"
    MULTIPLE = "Multiple", "Multiple (reusable by each recipient)"
    ANONYMOUS = "Anonymous", "Anonymous"


class Distribution(models.Model):
    """One e-mail or SMS distribution of a survey through one connection."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="distributions")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVITE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="follow_ups",
        help_text="The sent distribution a reminder or thank-you follows.",
    )
    name = models.CharField(max_length=100, blank=True)

    survey_id = models.CharField(max_length=40, blank=True)
    survey_name = models.CharField(max_length=300, blank=True)

    # E-mail header.
    from_email = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    reply_to_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    subject_message_id = models.CharField(max_length=40, blank=True)

    # Message: a library message, or inline text.
    library_id = models.CharField(max_length=40, blank=True)
    message_id = models.CharField(max_length=40, blank=True)
    message_text = models.TextField(blank=True)
    message_preview = models.TextField(blank=True, help_text="The library message's text when it was chosen.")

    # Recipients.
    directory_id = models.CharField(max_length=40, blank=True)
    mailing_list_id = models.CharField(max_length=40, blank=True)
    mailing_list_name = models.CharField(max_length=300, blank=True)
    contact_lookup_id = models.CharField(max_length=40, blank=True)
    contact_label = models.CharField(max_length=300, blank=True)
    sample_id = models.CharField(max_length=40, blank=True)
    transaction_id = models.CharField(max_length=40, blank=True)
    transaction_batch_id = models.CharField(max_length=40, blank=True)

    # Survey link.
    link_type = models.CharField(max_length=12, choices=LinkType.choices, blank=True)
    link_expires_at = models.DateTimeField(null=True, blank=True)
    embedded_data = models.JSONField(default=dict, blank=True)

    send_at = models.DateTimeField(null=True, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # What Qualtrics knows.
    qualtrics_id = models.CharField("Qualtrics distribution id", max_length=40, blank=True)
    qualtrics_send_date = models.DateTimeField(null=True, blank=True)
    qualtrics_status = models.CharField(max_length=40, blank=True)
    qualtrics_stats = models.JSONField(default=dict, blank=True)
    stats_refreshed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    # The last failure, in Qualtrics' words.
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    last_error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error_request_id = models.CharField(max_length=64, blank=True)

    # Sending machinery.
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Calls made to create it in Qualtrics.")
    transient_failures = models.PositiveSmallIntegerField(default=0, help_text="5xx answers and broken connections.")
    rate_limited = models.PositiveIntegerField(
        default=0, help_text="Times Qualtrics (429) or the portal's rate budget asked it to wait."
    )
    needs_lookup = models.BooleanField(
        default=False, help_text="A send may have reached Qualtrics: look it up before any resend."
    )
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-send_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "send_at"], name="distribution_due"),
            models.Index(fields=["connection", "state", "send_at"], name="distribution_conn_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="interactive") | Q(channel="sms"), name="distribution_interactive_is_sms"
            ),
            models.CheckConstraint(
                condition=Q(send_at__isnull=False) | Q(state__in=("draft", "cancelled")),
                name="distribution_send_at_unless_draft",
            ),
        ]

    def __str__(self) -> str:
        label = self.name or self.survey_name or self.survey_id or "Untitled"
        return f"{label} · {self.get_channel_display()} {self.get_kind_display().lower()}"

    def get_absolute_url(self) -> str:
        return reverse(
            "distributions:distribution_detail",
            kwargs={"connection_id": self.connection_id, "distribution_id": self.pk},
        )

    @property
    def is_email(self) -> bool:
        return self.channel == Channel.EMAIL

    @property
    def is_sms(self) -> bool:
        return self.channel == Channel.SMS

    @property
    def is_follow_up(self) -> bool:
        return self.kind in FOLLOW_UP_KINDS

    @property
    def sms_method(self) -> str:
        return SMS_METHODS[Kind(self.kind)]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_cancellable(self) -> bool:
        # One that may exist in Qualtrics is looked up first: cancelling it here would not stop it there.
        return self.state in CANCELLABLE_STATES and not self.needs_lookup

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def can_follow_up(self) -> bool:
        """A sent invite may get reminders and thank-yous."""
        return self.state == State.SENT and self.kind in (Kind.INVITE, Kind.INTERACTIVE) and bool(self.qualtrics_id)

    @property
    def uses_library_message(self) -> bool:
        return bool(self.library_id and self.message_id)

    @property
    def recipients_label(self) -> str:
        if self.is_follow_up:
            return "Recipients of the parent distribution" + (
                " who did not finish" if self.kind == Kind.REMINDER else " who finished"
            )
        if self.transaction_batch_id:
            return f"Transaction batch {self.transaction_batch_id}"
        label = self.mailing_list_name or self.mailing_list_id or "—"
        if self.contact_lookup_id:
            return f"{self.contact_label or self.contact_lookup_id} in {label}"
        if self.sample_id:
            return f"Sample {self.sample_id} of {label}"
        if self.transaction_id:
            return f"Transaction {self.transaction_id} in {label}"
        return label

    @property
    def error_summary(self) -> str:
        if not self.last_error:
            return ""
        text = self.last_error
        if self.last_error_code:
            text += f" ({self.last_error_code})"
        return text


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    SCHEDULED = "scheduled", "Scheduled"
    EDITED = "edited", "Edited"
    QUEUED = "queued", "Queued for sending"
    ATTEMPT = "attempt", "Send attempt"
    RETRY = "retry", "Will retry"
    LOOKUP = "lookup", "Looked up in Qualtrics"
    CHECKING = "checking", "Checking Qualtrics"
    RECONCILED = "reconciled", "Reconciled"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    HELD = "held", "Held"
    RESUMED = "resumed", "Resumed"
    STATS = "stats", "Stats refreshed"


class DistributionEvent(models.Model):
    """One entry of a distribution's timeline."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    request_id = models.CharField("Qualtrics request id", max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["distribution", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "portal"
