"""Reads from a brand's XM Directory, and from the portal's import records.

Every Qualtrics call goes through `connection_client(connection, actor=actor)`. Functions are
keyword-only and named `<entity>_<action>`; views and tasks call these, never the client.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache

from connections.kept_reads import KeptRead
from connections.qualtrics_client import connection_client
from qualtrics import MissingScopeError, NotFoundError, Page, PermissionDeniedError, QualtricsError
from web import background
from web.errors import explain

from . import validation as v
from .models import ContactImport, ImportChunk, ImportRejection

SEARCH_CAP = 10_000
SEARCH_FIELDS = {
    "email": "E-mail",
    "extRef": "External reference",
    "firstName": "First name",
    "lastName": "Last name",
    "phone": "Phone",
}
OWNER_CHOICES_TTL = 300
DIRECTORY_COUNT_SECONDS = 60
OWNER_CHOICES_CAP = 1000
DEDUP_FIELD_NAMES = {"externalDataReference": "extRef"}


def _client(connection, actor):
    return connection_client(connection, actor=actor)


# --- Directories ------------------------------------------------------------------------------


def directory_list(*, connection, actor) -> list[dict]:
    """Every directory of the brand (there are few), default first."""
    directories = list(_client(connection, actor).directories.list().iter_all())
    return sorted(directories, key=lambda d: (not d.get("isDefault"), (d.get("name") or "").lower()))


def _directory_summaries(*, connection, actor) -> dict[str, dict] | None:
    """Each directory's name and de-duplication fields (cached for five minutes), or None when Qualtrics
    does not answer."""
    key = f"contacts:directory-summaries:{connection.pk}"
    summaries = cache.get(key)
    if summaries is None:
        try:
            directories = directory_list(connection=connection, actor=actor)
        except QualtricsError:
            return None
        summaries = {d.get("directoryId"): {"name": d.get("name") or "", "dedup": directory_dedup_fields(d)}
                     for d in directories}
        cache.set(key, summaries, OWNER_CHOICES_TTL)
    return summaries


def directory_name(*, connection, actor, directory_id: str) -> str:
    """The directory's name for page headings, or its ID if unknown."""
    summary = (_directory_summaries(connection=connection, actor=actor) or {}).get(directory_id) or {}
    return summary.get("name") or directory_id


def directory_dedup(*, connection, actor, directory_id: str) -> list[str] | None:
    """The contact fields the directory merges contacts on (["email"], ["extRef", "email"], or [] for none);
    None when Qualtrics did not say."""
    summary = (_directory_summaries(connection=connection, actor=actor) or {}).get(directory_id)
    return None if summary is None else list(summary["dedup"])


def dedup_sentence(fields: list[str] | None) -> str:
    """The directory's de-duplication rule in words, for the directory page and the create forms."""
    if fields is None:
        return ""
    if not fields:
        return ("This directory merges no contacts: every contact added is a new one, even with the same "
                "e-mail or external reference.")
    names = " and ".join(v.FIELD_LABELS.get(f, f).lower() for f in fields)
    return f"This directory treats contacts with the same {names} as one person (its de-duplication setting)."


def directory_get(*, connection, actor, directory_id: str) -> dict:
    """One directory from the list (Qualtrics has no single-directory route)."""
    return _client(connection, actor).directories.get(directory_id)


def directory_dedup_fields(directory: dict) -> list[str]:
    """The contact fields the directory merges contacts on (its de-duplication criteria)."""
    criteria = directory.get("deduplicationCriteria") or {}
    return [DEDUP_FIELD_NAMES.get(name, name) for name, on in criteria.items() if on]


def directory_dedup_label(directory: dict) -> str:
    fields = directory_dedup_fields(directory)
    return ", ".join(v.FIELD_LABELS.get(f, f) for f in fields) if fields else "None (every contact is new)"


# --- Directory contacts -----------------------------------------------------------------------


def contact_page(*, connection, actor, directory_id: str, page_size: int, cursor: str | None) -> Page:
    """One page of a directory's contacts; the cursor is Qualtrics' nextPage URL. Its total is the
    directory's contact count."""
    # The count is kept a minute (and dropped by any write to a directory through the connection), so most
    # pages ask Qualtrics once; else both reads go at the same time, and the page waits once, not twice. The
    # cache is asked first and answers while the client is made.
    kept = KeptRead(connection, f"directory-count:{directory_id}", seconds=DIRECTORY_COUNT_SECONDS)
    try:
        client = _client(connection, actor)
    finally:
        found = kept.found  # read even when no client could be made: the answer holds a connection to the cache
    directory = None if found else background.start(client.directories.get, directory_id)
    page = client.contacts.list(directory_id, page_size=page_size, page_url=cursor)
    count = kept.value
    if directory is not None:
        count = directory.result().get("contactCount")
        kept.keep(count)
    return dataclasses.replace(page, total=count) if isinstance(count, int) else page


def contact_search_page(
    *, connection, actor, directory_id: str, field: str, value: str, comparison: str = "eq",
    page_size: int, skip_token: str | None, offset: int = 0,
) -> Page:
    """One page of a search (the search route). Qualtrics stops paging at 10,000 results: the page's
    notice says so once a search reaches that."""
    from qualtrics import BadRequestError

    if offset >= SEARCH_CAP:
        return Page([], notice=_search_cap_notice())
    try:
        page = _client(connection, actor).contacts.search(
            directory_id,
            filter={"filterType": field, "comparison": comparison, "value": value},
            page_size=page_size,
            skip_token=skip_token,
        )
    except BadRequestError as exc:
        message = exc.message or ""
        if skip_token and ("10,000" in message or "10000" in message):
            return Page([], notice=_search_cap_notice())
        raise
    items = [_with_contact_id(item) for item in page.items]
    notice = ""
    following = page.next_page
    if following and offset + len(items) >= SEARCH_CAP:
        following, notice = None, _search_cap_notice()
    return Page(items, following, notice=notice)


def _search_cap_notice() -> str:
    return (
        f"Qualtrics' contact search returns at most {SEARCH_CAP:,} results, and this search has reached "
        "that limit. Narrow it (search by e-mail or external reference), or export the directory to CSV "
        "to see every contact."
    )


def _with_contact_id(item: dict) -> dict:
    if "contactId" not in item and "id" in item:
        item = {**item, "contactId": item["id"]}
    return item


def contact_get(*, connection, actor, directory_id: str, contact_id: str) -> dict:
    contact = _client(connection, actor).contacts.get(directory_id, contact_id)
    contact.setdefault("contactId", contact_id)
    return contact


def contact_find_existing(*, connection, actor, directory_id: str, ext_ref: str = "", email: str = "") -> dict | None:
    """The directory contact with this external reference, else this e-mail, or None."""
    client = _client(connection, actor)
    for field, value in (("extRef", ext_ref), ("email", email)):
        if not value:
            continue
        page = client.contacts.search(
            directory_id, filter={"filterType": field, "comparison": "eq", "value": value}, page_size=2
        )
        if page.items:
            found = _with_contact_id(page.items[0])
            return {**found, "matched_on": field}
    return None


def contact_memberships(contact: dict) -> list[dict]:
    """A contact's mailing-list memberships as rows, by list name."""
    rows = []
    for list_id, membership in (contact.get("mailingListMembership") or {}).items():
        rows.append({"mailingListId": list_id, **(membership or {})})
    return sorted(rows, key=lambda m: (m.get("name") or "").lower())


# --- Mailing lists ----------------------------------------------------------------------------


def mailing_list_page(*, connection, actor, directory_id: str, page_size: int, cursor: str | None) -> Page:
    return _client(connection, actor).mailing_lists.list(
        directory_id, page_size=page_size, page_url=cursor, include_count=True
    )


def mailing_list_get(*, connection, actor, directory_id: str, mailing_list_id: str) -> dict:
    found = _client(connection, actor).mailing_lists.get(directory_id, mailing_list_id, include_count=True)
    found.setdefault("mailingListId", mailing_list_id)
    return found


def owner_choices_cache_key(connection) -> str:
    return f"contacts:owners:{connection.pk}"


def owner_choices(*, connection, actor) -> dict:
    """The brand's users and groups a list may belong to: {"users": [(id, label)], "groups": [...],
    "error": explanation or ""}. Cached for five minutes per connection."""
    key = owner_choices_cache_key(connection)
    cached = cache.get(key)
    if cached is not None:
        return cached
    client = _client(connection, actor)
    result = {"users": [], "groups": [], "error": ""}
    try:
        for count, item in enumerate(client.users.list().iter_all(), start=1):
            name = " ".join(p for p in (item.get("firstName"), item.get("lastName")) if p)
            label = f"{name} ({item.get('username') or item.get('email') or item.get('id')})" if name else (
                item.get("username") or item.get("id"))
            result["users"].append((item["id"], label))
            if count >= OWNER_CHOICES_CAP:
                break
        for count, item in enumerate(client.groups.list().iter_all(), start=1):
            result["groups"].append((item["id"], item.get("name") or item["id"]))
            if count >= OWNER_CHOICES_CAP:
                break
    except PermissionDeniedError as exc:
        result["error"] = ("This connection's Qualtrics user may not list the brand's users and groups; "
                           "enter the owner's ID (UR_… or GR_…) instead.")
        if isinstance(exc, MissingScopeError):
            result["error"] = f"{explain(exc)['title']}. Enter the owner's ID (UR_… or GR_…) meanwhile."
    except QualtricsError:
        return result | {"error": "Qualtrics did not list the brand's users and groups just now."}
    result["users"].sort(key=lambda p: p[1].lower())
    result["groups"].sort(key=lambda p: p[1].lower())
    cache.set(key, result, OWNER_CHOICES_TTL)
    return result


def owner_label(*, owners: dict, owner_id: str) -> str:
    for pairs in (owners.get("users", []), owners.get("groups", [])):
        for value, label in pairs:
            if value == owner_id:
                return label
    return owner_id or ""


def list_owner_name(*, connection, actor, mailing_list: dict | None) -> str:
    """The name of a mailing list's owner (a user or a group of the brand), or its ID when it has none here."""
    owner_id = (mailing_list or {}).get("ownerId") or ""
    if not owner_id:
        return ""
    return owner_label(owners=owner_choices(connection=connection, actor=actor), owner_id=owner_id)


# --- Mailing-list members ---------------------------------------------------------------------

MEMBER_VIEWS = {
    "all": "list",
    "opted_out": "list_opted_out",
    "bounced": "list_bounced",
}


def member_page(
    *, connection, actor, directory_id: str, mailing_list_id: str, page_size: int, cursor: str | None,
    which: str = "all",
) -> Page:
    """One page (at most 50: the route's cap) of a list's members, opted-out or bounced members."""
    client = _client(connection, actor)
    method = getattr(client.mailing_lists.members, MEMBER_VIEWS[which])
    page = method(directory_id, mailing_list_id, page_size=min(page_size, 50), page_url=cursor)
    if which != "all":  # Qualtrics counts a list's members, not its opted-out or bounced ones
        return page
    count = client.mailing_lists.get(directory_id, mailing_list_id, include_count=True).get("contactCount")
    return dataclasses.replace(page, total=count) if isinstance(count, int) else page


def member_get(*, connection, actor, directory_id: str, mailing_list_id: str, contact_id: str) -> dict:
    member = _client(connection, actor).mailing_lists.members.get(directory_id, mailing_list_id, contact_id)
    member.setdefault("contactId", contact_id)
    return member


# --- Choices for the forms --------------------------------------------------------------------

CHOICES_CAP = 1000


def mailing_list_choices(*, connection, actor, directory_id: str) -> list[tuple[str, str]]:
    """(ID, name) of the directory's mailing lists, by name (at most a thousand)."""
    rows = []
    for number, item in enumerate(_client(connection, actor).mailing_lists.list(directory_id).iter_all(), start=1):
        rows.append((item["mailingListId"], item.get("name") or item["mailingListId"]))
        if number >= CHOICES_CAP:
            break
    return sorted(rows, key=lambda r: r[1].lower())


def batch_choices(*, connection, actor, directory_id: str) -> list[tuple[str, str]]:
    """(ID, label) of the directory's transaction batches, newest first (at most a thousand)."""
    rows = []
    for number, batch in enumerate(_client(connection, actor).transaction_batches.list(directory_id).iter_all(),
                                   start=1):
        rows.append(batch)
        if number >= CHOICES_CAP:
            break
    rows.sort(key=lambda b: str(b.get("creationDate") or ""), reverse=True)
    return [(b["id"], batch_label(b)) for b in rows]


def batch_label(batch: dict) -> str:
    """"BT_… · 12 transactions · created 1 Mar 2025 09:00" (in the user's time zone)."""
    from web.templatetags.crud import qdate

    count = len(batch.get("transactionIds") or [])
    created = qdate(batch.get("creationDate"))
    return f"{batch['id']} · {count} transaction{'' if count == 1 else 's'} · created {created}"


# --- Transactions and transaction batches ---------------------------------------------------------


def contact_transaction_page(*, connection, actor, directory_id: str, contact_id: str, page_size: int,
                             cursor: str | None) -> Page:
    return _client(connection, actor).transactions.list_for_contact(directory_id, contact_id, page_size=page_size,
                                                                    page_url=cursor)


def batch_page(*, connection, actor, directory_id: str, page_size: int, cursor: str | None) -> Page:
    return _client(connection, actor).transaction_batches.list(directory_id, page_size=page_size, page_url=cursor)


def batch_get(*, connection, actor, directory_id: str, batch_id: str) -> dict:
    return _client(connection, actor).transaction_batches.get(directory_id, batch_id)


def batch_transaction_page(*, connection, actor, directory_id: str, batch_id: str, page_size: int,
                           cursor: str | None) -> Page:
    """One page of a batch's transactions, each with its contact (the batch's members) as `contact` (None for
    a contact deleted since) and the name of its mailing list as `listName`."""
    client = _client(connection, actor)
    page = client.transaction_batches.list_transactions(directory_id, batch_id, page_size=page_size, page_url=cursor)
    contact_ids = list(dict.fromkeys(t.get("contactId") for t in page.items if t.get("contactId")))

    def read(contact_id: str) -> dict | None:
        try:
            return client.contacts.get(directory_id, contact_id)
        except NotFoundError:
            return None

    # Qualtrics lists a batch's transactions without their contacts: read them side by side.
    with ThreadPoolExecutor(max_workers=8) as pool:
        contacts = dict(zip(contact_ids, pool.map(read, contact_ids), strict=True))
    names = dict(mailing_list_choices(connection=connection, actor=actor, directory_id=directory_id))
    items = [{**t, "contact": contacts.get(t.get("contactId")),
              "listName": names.get(t.get("mailingListId"), t.get("mailingListId"))} for t in page.items]
    total = len(client.transaction_batches.get(directory_id, batch_id).get("transactionIds") or [])
    return dataclasses.replace(page, items=items, total=total)


# --- Export -----------------------------------------------------------------------------------

EXPORT_FIELDS = ("contactId", "firstName", "lastName", "email", "phone", "extRef", "language", "unsubscribed")
MEMBER_EXTRA_FIELDS = ("contactLookupId", "mailingListUnsubscribed")
OTHER_EMBEDDED = "otherEmbeddedData"


def export_rows(*, connection, actor, directory_id: str, mailing_list_id: str | None = None) -> Iterator[list]:
    """The rows of a CSV export of a directory's contacts or a list's members, read page by page as they
    are written (``web.csv`` turns them into the file).

    Embedded-data columns come from the keys seen on the first page (one pass, memory flat). Keys that
    first appear later are written, as JSON, in a last column “otherEmbeddedData”, so nothing is lost.
    The first page is fetched before the first row is yielded, so an error there reaches the caller
    as an exception; an error later ends the file with a line saying the export is incomplete.
    """
    client = _client(connection, actor)
    if mailing_list_id:
        pages = _pages(lambda url: client.mailing_lists.members.list(
            directory_id, mailing_list_id, page_size=50, page_url=url, include_embedded=True))
        fields = EXPORT_FIELDS + MEMBER_EXTRA_FIELDS
    else:
        pages = _pages(lambda url: client.contacts.list(
            directory_id, page_size=100, page_url=url, include_embedded=True))
        fields = EXPORT_FIELDS
    first = next(pages)
    keys = sorted({k for item in first for k in (item.get("embeddedData") or {})}, key=str.lower)
    return _export_table(first, pages, fields, keys)


def _pages(fetch) -> Iterator[list]:
    url = None
    seen = set()
    while True:
        page = fetch(url)
        yield page.items
        if not page.next_page or page.next_page in seen:
            return
        seen.add(page.next_page)
        url = page.next_page


def _export_table(first: list, pages: Iterator[list], fields: tuple, keys: list[str]) -> Iterator[list]:
    known = set(keys)
    yield [*fields, *keys, OTHER_EMBEDDED]

    def row(item: dict) -> list:
        embedded = item.get("embeddedData") or {}
        other = {k: val for k, val in embedded.items() if k not in known}
        values = [item.get(f) for f in fields]
        values += [embedded.get(k) for k in keys]
        values.append(json.dumps(other, ensure_ascii=False) if other else "")
        return values

    for item in first:
        yield row(item)
    try:
        for elements in pages:
            for item in elements:
                yield row(item)
    except QualtricsError as exc:
        yield [f"# The export is incomplete: Qualtrics stopped answering ({exc.message})."]


# --- Imports (portal records) -----------------------------------------------------------------


def contact_import_get(*, connection, import_id: int, mailing_list_id: str | None = None) -> ContactImport:
    from django.shortcuts import get_object_or_404

    filters = {"pk": import_id, "connection": connection}
    if mailing_list_id:
        filters["mailing_list_id"] = mailing_list_id
    return get_object_or_404(ContactImport, **filters)


def contact_import_list(*, connection, mailing_list_id: str):
    return ContactImport.objects.filter(connection=connection, mailing_list_id=mailing_list_id).select_related(
        "created_by"
    )


def contact_import_progress(*, contact_import: ContactImport) -> dict:
    """Counts for the progress bar and the summary."""
    chunks = contact_import.chunks.values_list("status", "row_count", "recovered", "percent_complete")
    by_status: dict[str, int] = {}
    rows_done = rows_total = recovered_rows = rows_not_sent = 0
    rows_under_way = 0.0  # rows of chunks Qualtrics is importing, by the share it says it has done
    for status, rows, recovered, percent_complete in chunks:
        by_status[status] = by_status.get(status, 0) + 1
        rows_total += rows
        if status in (ImportChunk.Status.DONE, ImportChunk.Status.FAILED, ImportChunk.Status.SKIPPED):
            rows_done += rows
        elif status == ImportChunk.Status.SENT:
            rows_under_way += rows * min(percent_complete or 0, 99) / 100
        if status == ImportChunk.Status.SKIPPED:
            rows_not_sent += rows
        if recovered:
            recovered_rows += rows
    total = contact_import.total_chunks or 0
    finished = sum(by_status.get(s, 0) for s in (ImportChunk.Status.DONE, ImportChunk.Status.FAILED,
                                                   ImportChunk.Status.SKIPPED))
    # By rows, not chunks: an import of one or two chunks would otherwise sit at 0 % until it jumps to done.
    rows_progress = rows_done + int(rows_under_way)
    percent = 100 if contact_import.is_finished else (
        min(int(rows_progress * 100 / rows_total), 99) if rows_total else 0
    )
    return {
        "chunks_total": total,
        "chunks_finished": finished,
        "chunks_failed": by_status.get(ImportChunk.Status.FAILED, 0),
        "chunks_skipped": by_status.get(ImportChunk.Status.SKIPPED, 0),
        "chunks_in_flight": by_status.get(ImportChunk.Status.SENT, 0) + by_status.get(ImportChunk.Status.SENDING, 0),
        "rows_total": rows_total,
        "rows_done": rows_done,
        "rows_progress": rows_progress,
        "recovered_rows": recovered_rows,
        # Rows Qualtrics took in (added or merged into an existing contact), also those of an import cancelled.
        "rows_imported": contact_import.added + contact_import.updated + recovered_rows,
        "rows_not_sent": rows_not_sent,
        "percent": percent,
    }


def contact_import_rejected_rows(*, contact_import: ContactImport) -> Iterator[list]:
    """The rows of a CSV of the file's rows that were not imported, each with its reasons, read from the file."""
    from .csvimport import iter_rows

    reasons: dict[int, list[str]] = {}
    for row_number, reason in contact_import.rejections.values_list("row_number", "reason").iterator():
        reasons.setdefault(row_number, []).append(reason)
    if not contact_import.file:  # deleted after the retention period: row numbers and reasons only
        yield ["row", "reason"]
        for number in sorted(reasons):
            yield [number, "; ".join(reasons[number])]
        return
    yield ["row", *contact_import.headers, "reason"]
    if not reasons:
        return
    with contact_import.file.open("rb") as raw:
        for number, cells in iter_rows(raw, encoding=contact_import.encoding, delimiter=contact_import.delimiter):
            if number in reasons:
                yield [number, *cells, "; ".join(reasons[number])]


def contact_import_rejection_count(*, contact_import: ContactImport) -> int:
    return ImportRejection.objects.filter(contact_import=contact_import).values("row_number").distinct().count()
