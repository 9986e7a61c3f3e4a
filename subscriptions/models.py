"""Event subscriptions the portal registered in Qualtrics, the events they brought, and where each goes on.

The database is the source of truth for everything that is still to do: an event is stored once (unique per
subscription and dedupe key) before the receiver answers; its processing and each of its deliveries are rows
claimed with a conditional UPDATE, and a beat sweep finds whatever is due whatever became of broker messages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection


class Topic(models.TextChoices):
    """What a subscription listens to (docs/qualtrics-api.md#event-subscriptions). Response and survey topics
    name one survey; the distribution topic is named only by third-party material (UNCONFIRMED)."""

    COMPLETED = "completed", "Completed responses"
    PARTIAL = "partial", "Partial responses"
    ACTIVATED = "activated", "Survey activated"
    DEACTIVATED = "deactivated", "Survey deactivated"
    DISTRIBUTION = "distribution", "Distribution created (unconfirmed topic)"


RESPONSE_TOPICS = (Topic.COMPLETED, Topic.PARTIAL)


def qualtrics_topic(kind: str, survey_id: str) -> str:
    """The topic string Qualtrics is given for a kind of event (and the survey it is about)."""
    return {
        Topic.COMPLETED: f"surveyengine.completedResponse.{survey_id}",
        Topic.PARTIAL: f"surveyengine.partialResponse.{survey_id}",
        # Qualtrics publishes these without the survey ID; the survey is told in the message and filtered here.
        Topic.ACTIVATED: "controlpanel.activateSurvey",
        Topic.DEACTIVATED: "controlpanel.deactivateSurvey",
        Topic.DISTRIBUTION: "controlpanel.createdDistribution",
    }[kind]


class Subscription(models.Model):
    """One event subscription this portal created in Qualtrics, and the receiver address it was given."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="event_subscriptions")
    qualtrics_id = models.CharField("Qualtrics ID", max_length=40, blank=True)
    kind = models.CharField("topic", max_length=16, choices=Topic.choices, default=Topic.COMPLETED)
    topics = models.CharField("Qualtrics topic", max_length=200)
    survey_id = models.CharField(max_length=40, blank=True)
    survey_name = models.CharField(max_length=300, blank=True)
    # The unguessable part of the receiver's address, and the key Qualtrics signs each message with.
    receiver_id = models.CharField(max_length=64, unique=True)
    shared_key_encrypted = models.TextField()
    publication_url = models.CharField(max_length=500)
    answer_fields = models.CharField(
        max_length=500, blank=True,
        help_text="Response fields shown in the live feed and forwarded, comma-separated (e.g. QID1, QID2_TEXT).",
    )
    # Each chosen field's question text, read from the survey's definition when the subscription was made
    # (the feed shows it in place of the QID); empty when Qualtrics could not give it.
    answer_labels = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.survey_name or self.survey_id or self.topics}"

    def get_absolute_url(self) -> str:
        return reverse("subscriptions:subscription_detail",
                       kwargs={"connection_id": self.connection_id, "subscription_id": self.pk})

    @property
    def chosen_fields(self) -> list[str]:
        return [f.strip() for f in self.answer_fields.split(",") if f.strip()][:10]


class EventState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Could not read the response"


class Event(models.Model):
    """One event Qualtrics posted, stored as it came (once: Qualtrics retries the same event)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="subscription_events")
    topic = models.CharField(max_length=200, help_text="As posted: the brand ID, then the topic.")
    dedupe_key = models.CharField(max_length=200)
    survey_id = models.CharField(max_length=40, blank=True)
    response_id = models.CharField(max_length=40, blank=True)
    message = models.TextField(help_text="The MSG field as posted (JSON text).")
    received_at = models.DateTimeField(default=timezone.now)
    duplicates = models.PositiveIntegerField(default=0, help_text="Times Qualtrics posted it again.")

    state = models.CharField(max_length=12, choices=EventState.choices, default=EventState.RECEIVED)
    # When a task was last published for it: the sweep publishes again only what has waited too long.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="What the feed shows: the chosen answers.")
    response = models.JSONField(null=True, blank=True, help_text="The response as Qualtrics gave it (forwarded).")
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "dedupe_key"], name="event_once")]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="event_due"),
            models.Index(fields=["connection", "-received_at"], name="event_feed"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.response_id}".strip()


class DestinationKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook (HTTPS)"


class EmailMode(models.TextChoices):
    EACH = "each", "One e-mail per event"
    DIGEST = "digest", "An hourly digest"


class Destination(models.Model):
    """Where a subscription's events go on: people by e-mail, or a webhook of the user's."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="destinations")
    kind = models.CharField(max_length=10, choices=DestinationKind.choices)
    emails = models.TextField(blank=True, help_text="One address per line.")
    email_mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.EACH)
    url = models.CharField("URL", max_length=2000, blank=True)
    signing_key_encrypted = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        if self.kind == DestinationKind.EMAIL:
            return f"E-mail to {', '.join(self.recipients)} ({self.get_email_mode_display().lower()})"
        return f"Webhook {self.url}"

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.emails.splitlines() if line.strip()]


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    SENT = "sent", "Delivered"
    DEAD = "dead", "Dead letter"


class Delivery(models.Model):
    """One event for one destination: claimed before it is sent, so it goes out once."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=36, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["event", "destination"], name="delivery_once")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.destination}: {self.get_state_display()}"
