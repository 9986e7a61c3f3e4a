"""The portal's own records for XM Directory work: bulk CSV imports into a mailing list.

Contacts and lists themselves live only in Qualtrics. An import is kept here so it survives a worker
being killed: the file stays under MEDIA_ROOT, each chunk of rows is a row with its own state, and a
chunk is claimed with a conditional UPDATE before it is sent, so no chunk is ever sent twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from connections.models import Connection


class ContactImport(models.Model):
    """Contacts sent to a mailing list through Qualtrics' import job: the rows of an uploaded CSV file, or
    contacts already in the directory (picked one by one, or every result of a search) put on the list."""

    class Source(models.TextChoices):
        FILE = "file", "CSV file"
        CONTACTS = "contacts", "Contacts of the directory"
        SEARCH = "search", "Results of a search"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        CHECKING = "checking", "Checking the file"
        READY = "ready", "Checked, ready to start"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        CANCELLING = "cancelling", "Cancelling"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.CANCELLING)
    MAPPABLE = (Status.UPLOADED, Status.CHECKING, Status.READY)  # the mapping may change: nothing was sent
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="contact_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    directory_id = models.CharField(max_length=64)
    mailing_list_id = models.CharField(max_length=64)
    mailing_list_name = models.CharField(max_length=200, blank=True)
    dedup_fields = models.JSONField(default=list, blank=True)

    file = models.FileField(upload_to="contact-imports/%Y/%m/", blank=True)
    file_purged_at = models.DateTimeField(null=True, blank=True,
                                          help_text="When the uploaded file was deleted (kept only for a while).")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20, default="utf-8-sig", help_text="The kept file's encoding.")
    original_encoding = models.CharField(max_length=20, blank=True,
                                         help_text="What the upload was written in (it is kept as UTF-8).")
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)

    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FILE)
    source_detail = models.JSONField(default=dict, blank=True,
                                     help_text="The contact IDs, or the search, of an import of existing contacts.")
    transaction_batch_id = models.CharField(max_length=64, blank=True,
                                            help_text="The transaction batch the rows' transactions go into.")

    mapping = models.JSONField(default=list, blank=True, help_text="One target per column.")
    phone_region = models.CharField(max_length=2, default="US")
    report = models.JSONField(default=dict, blank=True)
    # The worker's check of the file resumes after the last row it saved: its end in the file, its number.
    check_offset = models.PositiveBigIntegerField(default=0)
    check_row = models.PositiveIntegerField(default=0)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    chunk_size = models.PositiveIntegerField(default=500)
    planned = models.BooleanField(default=False)
    total_chunks = models.PositiveIntegerField(default=0)
    rows_to_send = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    invalid_emails = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    # Whoever runs the import holds a lease; another worker may take over only once it expires.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, help_text="When the next step is due.")

    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="contactimport_active_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(chunk_size__gte=1), name="contactimport_chunk_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.mailing_list_name or self.mailing_list_id}"

    @property
    def is_from_file(self) -> bool:
        return self.source == self.Source.FILE

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_checking(self) -> bool:
        return self.status == self.Status.CHECKING

    @property
    def check_percent(self) -> int:
        return min(99, int(self.check_offset * 100 / self.size)) if self.size else 0

    @property
    def can_start(self) -> bool:
        return self.status == self.Status.READY

    @property
    def can_cancel(self) -> bool:
        return self.status in (self.Status.READY, self.Status.QUEUED, self.Status.RUNNING)


class ImportKey(models.Model):
    """A de-duplication key the worker's check met in an import's file, with the row it was first met on.

    Kept in the database rather than in the worker, with the chunk whose rows it was met on (one transaction),
    so a check of any length costs the worker the same memory and a step that resumes it reads nothing back;
    dropped when the check ends.
    """

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField(help_text="A 64-bit digest of the row's de-duplication fields.")
    row = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_import", "key"], name="contacts_importkey_once")]

    def __str__(self) -> str:
        return f"key {self.key} first met on row {self.row}"


class ImportChunk(models.Model):
    """A slice of an import's rows, sent to Qualtrics as one transaction-contacts import job.

    pending -> sending (claimed; the POST may be on its way) -> sent (Qualtrics gave a job id) -> done.
    A chunk left in "sending" by a worker that died is never sent again blindly: the portal looks its
    contacts up in Qualtrics first (see services.contact_import_recover_chunk).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Processing in Qualtrics"
        DONE = "done", "Done"
        FAILED = "failed", "Refused"
        SKIPPED = "skipped", "Not sent"

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    row_count = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list, help_text="File row numbers, in payload order.")
    payload = models.JSONField(default=list, help_text="The contacts, as Qualtrics receives them.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    qualtrics_import_id = models.CharField(max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times the chunk was claimed for sending.")
    poll_failures = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    percent_complete = models.PositiveSmallIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    invalid_emails = models.JSONField(default=list, blank=True)
    recovered = models.BooleanField(default=False, help_text="Confirmed in Qualtrics after an interruption.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["contact_import", "index"]
        constraints = [
            models.UniqueConstraint(fields=["contact_import", "index"], name="importchunk_unique_index"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index + 1} of import {self.contact_import_id} ({self.status})"


class ImportRejection(models.Model):
    """A row of the file that was not imported, and why (found by the portal or by Qualtrics)."""

    class Source(models.TextChoices):
        FILE = "file", "Checked by the portal"
        QUALTRICS = "qualtrics", "Refused by Qualtrics"
        NOT_SENT = "not_sent", "Not sent"

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FILE)
    reason = models.TextField()

    class Meta:
        ordering = ["contact_import", "row_number"]
        indexes = [models.Index(fields=["contact_import", "row_number"], name="importrejection_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"
