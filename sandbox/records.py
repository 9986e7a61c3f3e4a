"""The objects a brand holds, as plain dataclasses. Routes turn them into API shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ADMIN_USER_TYPE = "UT_BRANDADMIN"

CONTACT_FIELDS = ("firstName", "lastName", "email", "phone", "extRef", "language")


@dataclass
class User:
    id: str
    username: str
    first_name: str
    last_name: str
    email: str
    user_type: str
    created: datetime
    division_id: str | None = None
    language: str = "en"
    time_zone: str = "America/New_York"
    account_status: str = "active"
    expiration: datetime | None = None
    last_login: datetime | None = None
    password_changed: datetime | None = None
    api_token: str | None = None
    permissions: dict[str, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.user_type == ADMIN_USER_TYPE


@dataclass
class Group:
    id: str
    name: str
    type: str
    created: datetime
    division_id: str | None = None
    members: list[str] = field(default_factory=list)


@dataclass
class Message:
    id: str
    category: str
    description: str
    messages: dict[str, str]


@dataclass
class Contact:
    id: str
    created: datetime
    modified: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    embedded: dict[str, Any] = field(default_factory=dict)
    private_embedded: dict[str, Any] = field(default_factory=dict)
    unsubscribed: bool = False
    unsubscribe_date: datetime | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.fields.get(key)


@dataclass
class Membership:
    lookup_id: str
    contact_id: str
    added: datetime
    unsubscribed: bool = False
    unsubscribe_date: datetime | None = None
    bounced: bool = False
    bounce_date: datetime | None = None


@dataclass
class MailingList:
    id: str
    name: str
    owner_id: str
    created: datetime
    modified: datetime
    prioritize_list_metadata: bool = False
    members: dict[str, Membership] = field(default_factory=dict)

    def member_by_lookup(self, lookup_id: str) -> Membership | None:
        for membership in self.members.values():
            if membership.lookup_id == lookup_id:
                return membership
        return None


@dataclass
class Transaction:
    id: str
    contact_id: str
    mailing_list_id: str
    date: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TransactionBatch:
    id: str
    created: datetime
    transaction_ids: list[str] = field(default_factory=list)


@dataclass
class Sample:
    """A fixed subset of a mailing list's contacts."""

    id: str
    name: str
    mailing_list_id: str
    created: datetime
    contact_ids: list[str] = field(default_factory=list)


@dataclass
class ImportJob:
    id: str
    mailing_list_id: str
    started: datetime
    contacts: list[dict[str, Any]]
    batch_id: str | None = None
    fields: list[str] = field(default_factory=list)
    applied: bool = False
    added: int = 0
    updated: int = 0
    failed: int = 0
    transactions_created: int = 0
    invalid_emails: list[str] = field(default_factory=list)


@dataclass
class Directory:
    id: str
    name: str
    is_default: bool
    dedup: dict[str, bool]
    contacts: dict[str, Contact] = field(default_factory=dict)
    lists: dict[str, MailingList] = field(default_factory=dict)
    imports: dict[str, ImportJob] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    batches: dict[str, TransactionBatch] = field(default_factory=dict)
    samples: dict[str, Sample] = field(default_factory=dict)


@dataclass
class Response:
    id: str
    survey_id: str
    recorded: datetime
    started: datetime
    values: dict[str, Any]
    labels: dict[str, Any]
    distribution_id: str | None = None
    contact_id: str | None = None
    lookup_id: str | None = None
    # Embedded data fields, shown among `values` by the API.
    embedded: dict[str, Any] = field(default_factory=dict)
    # What the respondent saw: value keys (`displayedFields`) and, per question, the choices offered.
    displayed: list[str] = field(default_factory=list)
    displayed_values: dict[str, list[Any]] = field(default_factory=dict)
    # Randomised orders: a question's choice IDs, or a block randomizer's block names (keyed by its FlowID).
    display_order: dict[str, list[str]] = field(default_factory=dict)
    modified: datetime | None = None
    # Positions in the survey's record of changes (when recorded, when last changed); a continuation token
    # remembers the last position it covered.
    sequence: int = 0
    modified_sequence: int = 0
    quota_ids: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return bool(self.values.get("finished"))

    @property
    def last_modified(self) -> datetime:
        return self.modified or self.recorded


@dataclass
class Condition:
    """One test on a response: a question's answer, an embedded data field or a metadata value."""

    field: str
    operator: str  # "Selected" | "NotSelected" | "EqualTo" | "GreaterThanOrEqual" | "LessThanOrEqual"
    value: Any
    source: str = "question"  # "question" | "embedded" | "metadata"


@dataclass
class QuotaCombination:
    description: str
    occurrences: int
    conditions: list[Condition]
    count: int = 0


@dataclass
class Quota:
    id: str
    name: str
    occurrences: int
    logic_type: str  # "Simple" | "Cross"
    conditions: list[Condition] = field(default_factory=list)
    combinations: list[QuotaCombination] = field(default_factory=list)
    count: int = 0
    action: str = "EndCurrentSurvey"


@dataclass
class SavedFilter:
    id: str
    name: str
    conditions: list[Condition]
    created: datetime


@dataclass
class Continuation:
    token: str
    created: datetime
    sequence: int


@dataclass
class ResponseImportJob:
    id: str
    survey_id: str
    started: datetime
    format: str  # "csv" | "tsv"
    text: str | None = None
    url: str | None = None
    error: str | None = None
    applied: bool = False
    response_ids: list[str] = field(default_factory=list)
    # Idempotency-Key header and a digest of the file: a repeated request is answered with the same job.
    idempotency_key: str | None = None
    digest: str = ""


@dataclass
class Survey:
    id: str
    name: str
    owner_id: str
    is_active: bool
    created: datetime
    modified: datetime
    # The definition as Qualtrics keeps it: questions by QID, blocks by block ID and the flow's elements,
    # each in the shape the survey-definitions API shows.
    questions: dict[str, dict[str, Any]]
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    flow: list[dict[str, Any]] = field(default_factory=list)
    flow_count: int = 1
    language: str = "EN"
    project_category: str = "CORE"
    description: str | None = None
    creator_id: str | None = None
    response_set_id: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    last_activated: datetime | None = None
    expiration_start: datetime | None = None
    expiration_end: datetime | None = None
    responses: dict[str, Response] = field(default_factory=dict)
    # Sessions not recorded yet (exported only with exportResponsesInProgress).
    in_progress: dict[str, Response] = field(default_factory=dict)
    quotas: dict[str, Quota] = field(default_factory=dict)
    filters: dict[str, SavedFilter] = field(default_factory=dict)
    continuations: dict[str, Continuation] = field(default_factory=dict)
    imports: dict[str, ResponseImportJob] = field(default_factory=dict)
    deleted_responses: int = 0
    sequence: int = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


@dataclass
class ExportJob:
    id: str
    survey_id: str
    started: datetime
    file_id: str
    filename: str
    content: bytes
    content_type: str
    continuation_token: str | None = None


@dataclass
class HistoryEntry:
    contact_id: str
    lookup_id: str
    mailing_list_id: str | None
    status: str
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    response_id: str | None = None
    session_id: str | None = None
    link: str | None = None
    transaction_id: str | None = None


@dataclass
class Distribution:
    """An e-mail, generated-link or SMS distribution; `channel` tells which."""

    id: str
    channel: str  # "email" | "sms"
    request_type: str
    owner_id: str
    survey_id: str | None
    send_date: datetime
    created: datetime
    modified: datetime
    parent_id: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    recipients: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)
    survey_link: dict[str, Any] | None = None
    embedded: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    description: str | None = None
    link_expiration: datetime | None = None
    sent: bool = False
    canceled: bool = False
    deleted: bool = False
    message_text: str = ""
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return not self.deleted and not self.canceled

    def entry_for(self, lookup_id: str) -> HistoryEntry | None:
        for entry in self.history:
            if entry.lookup_id == lookup_id:
                return entry
        return None


@dataclass
class Subscription:
    id: str
    topics: str
    publication_url: str
    encrypt: bool
    created: datetime
    shared_key: str | None = None
    success_emails: list[str] = field(default_factory=list)
    successful_calls: int = 0
    scope: str = "brand"


@dataclass
class Brand:
    id: str
    name: str
    datacenter: str
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    user_types: dict[str, str] = field(default_factory=dict)
    group_types: dict[str, str] = field(default_factory=dict)
    divisions: dict[str, str] = field(default_factory=dict)
    directories: dict[str, Directory] = field(default_factory=dict)
    library_messages: dict[str, dict[str, Message]] = field(default_factory=dict)
    surveys: dict[str, Survey] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    exports: dict[str, ExportJob] = field(default_factory=dict)

    def default_directory(self) -> Directory | None:
        for directory in self.directories.values():
            if directory.is_default:
                return directory
        return next(iter(self.directories.values()), None)

    def find_list(self, mailing_list_id: str) -> tuple[Directory, MailingList] | None:
        for directory in self.directories.values():
            mailing_list = directory.lists.get(mailing_list_id)
            if mailing_list is not None:
                return directory, mailing_list
        return None

    def find_batch(self, batch_id: str) -> tuple[Directory, TransactionBatch] | None:
        for directory in self.directories.values():
            batch = directory.batches.get(batch_id)
            if batch is not None:
                return directory, batch
        return None
