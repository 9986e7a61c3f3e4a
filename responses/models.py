"""The portal's records of work on survey responses: export files (one-off or made by a schedule), export
schedules, and response imports.

Responses themselves live in Qualtrics. An export is kept here so it survives a worker being killed: the row
holds where the Qualtrics job is (its progress ID, then its file ID), and whoever works on it holds a lease
taken with a conditional UPDATE, so two workers never download the same file twice. A schedule's run is an
export with the schedule and its slot, unique together: a slot runs once however many beats and workers run.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from connections.models import Connection


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    TSV = "tsv", "TSV (tab-separated)"
    JSON = "json", "JSON"
    NDJSON = "ndjson", "NDJSON (a JSON object per line)"
    SPSS = "spss", "SPSS (.sav)"
    XML = "xml", "XML"


EXTENSIONS = {"csv": "csv", "tsv": "tsv", "json": "json", "ndjson": "ndjson", "spss": "sav", "xml": "xml"}
CONTENT_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
                 "ndjson": "application/x-ndjson", "spss": "application/x-spss-sav", "xml": "application/xml"}


def export_upload_to(instance: ResponseExport, filename: str) -> str:
    return f"{settings.RESPONSES_EXPORT_FOLDER.strip('/')}/{instance.connection_id}/{instance.survey_id}/{filename}"


class ResponseExport(models.Model):
    """One export of a survey's responses into a file kept by the portal."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.CANCELLING)
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    class Stage(models.TextChoices):
        START = "start", "Asking Qualtrics to prepare the file"
        PREPARE = "prepare", "Qualtrics prepares the file"
        DOWNLOAD = "download", "Downloading the file"
        DONE = "done", "Done"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="response_exports")
    survey_id = models.CharField(max_length=64)
    survey_name = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    schedule = models.ForeignKey("ExportSchedule", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="runs")
    slot = models.DateTimeField(null=True, blank=True, help_text="The schedule's slot this run is for.")

    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    options = models.JSONField(default=dict, blank=True, help_text="The export's body as Qualtrics receives it.")
    incremental = models.BooleanField(default=False)
    continuation_token_sent = models.TextField(blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.START)
    progress_id = models.CharField(max_length=120, blank=True)
    file_id = models.CharField(max_length=200, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    continuation_token = models.TextField(blank=True, help_text="What Qualtrics gave for the next incremental run.")
    api_calls = models.PositiveIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0, help_text="Transient failures in a row.")

    file = models.FileField(upload_to=export_upload_to, max_length=400, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    response_count = models.PositiveIntegerField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    error = models.TextField(blank=True)
    error_request_id = models.CharField(max_length=64, blank=True)

    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    workers = models.PositiveSmallIntegerField(default=0, help_text="Times a worker took the export up.")

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="responseexport_active_idx"),
            models.Index(fields=["connection", "survey_id"], name="responseexport_survey_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "slot"], condition=Q(schedule__isnull=False),
                                    name="responseexport_one_run_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_name or self.survey_id} · {self.get_format_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("responses:export_detail", kwargs={"connection_id": self.connection_id,
                                                          "survey_id": self.survey_id, "export_id": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def can_cancel(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.COMPLETED and bool(self.file) and self.purged_at is None


class ExportSchedule(models.Model):
    """Exports of a survey made again and again: hourly, daily or weekly at a time in its creator's zone."""

    class Frequency(models.TextChoices):
        HOURLY = "hourly", "Every hour"
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    class Notify(models.TextChoices):
        NEVER = "never", "Nobody"
        SUCCESS = "success", "When a run succeeds"
        FAILURE = "failure", "When a run fails"
        BOTH = "both", "After every run"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="export_schedules")
    survey_id = models.CharField(max_length=64)
    survey_name = models.CharField(max_length=300, blank=True)
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    minute = models.PositiveSmallIntegerField(default=0, help_text="Minute past the hour (hourly runs).")
    time_of_day = models.TimeField(null=True, blank=True, help_text="Daily and weekly runs, in time_zone.")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday (weekly runs).")
    time_zone = models.CharField(max_length=64, default="UTC")
    incremental = models.BooleanField(default=True)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    options = models.JSONField(default=dict, blank=True)
    continuation_token = models.TextField(blank=True, help_text="Where the next incremental run starts.")
    notify_emails = models.TextField(blank=True, help_text="One address per line.")
    notify_on = models.CharField(max_length=8, choices=Notify.choices, default=Notify.FAILURE)
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["survey_name", "name", "pk"]
        indexes = [models.Index(fields=["enabled", "next_run_at"], name="exportschedule_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(minute__lte=59), name="exportschedule_minute_valid"),
            models.CheckConstraint(condition=Q(weekday__isnull=True) | Q(weekday__lte=6),
                                   name="exportschedule_weekday_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("responses:schedule_detail", kwargs={"connection_id": self.connection_id,
                                                            "survey_id": self.survey_id, "schedule_id": self.pk})

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.notify_emails.splitlines() if line.strip()]


class ResponseImport(models.Model):
    """Responses imported into a survey from a CSV or TSV file in Qualtrics' export layout."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.COMPLETED, Status.FAILED)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="response_imports")
    survey_id = models.CharField(max_length=64)
    survey_name = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    file = models.FileField(upload_to="response-imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=4, default="csv")
    size = models.PositiveBigIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0, help_text="Responses in the file (rows after the headers).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_id = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=64)
    percent = models.PositiveSmallIntegerField(default=0)
    imported = models.PositiveIntegerField(null=True, blank=True)
    survey_count_before = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.survey_name or self.survey_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
