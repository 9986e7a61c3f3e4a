"""A survey's responses per day over the last weeks, for its chart: counted from a small export.

Qualtrics has no call that counts a survey's responses by day, so a worker asks for an export of the window
holding only each response's recorded date (NDJSON, uncompressed: a line of some 60 bytes a response), reads
it as it streams in and counts per UTC hour. The counts are kept in the cache for a while; the page groups the
hours into days in the viewer's time zone. A count that fails keeps Qualtrics' words for a minute instead.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator

from django.core.cache import cache
from django.utils import timezone

from connections.models import Connection
from connections.qualtrics_client import connection_client
from qualtrics import QualtricsError
from web.errors import error_text

from .export_runner import EXPORT_RETRY, START_TIMEOUT, ExportTuning

logger = logging.getLogger(__name__)

DAYS = 30
KEPT_SECONDS = 15 * 60
FAILURE_KEPT_SECONDS = 60
COUNTING_SECONDS = 120  # while a worker counts, no other one is asked to (taken again after this)
GIVE_UP_SECONDS = 90


def cache_key(connection_id: int, survey_id: str) -> str:
    return f"responses:daily:{connection_id}:{survey_id}"


def counting_key(connection_id: int, survey_id: str) -> str:
    return f"responses:daily-counting:{connection_id}:{survey_id}"


def daily_counts_request(*, connection: Connection, survey_id: str) -> bool:
    """Ask a worker to count, unless one already is; True when this call asked."""
    from ..tasks import survey_daily_counts_task

    if not cache.add(counting_key(connection.pk, survey_id), 1, COUNTING_SECONDS):
        return False
    survey_daily_counts_task.delay(connection.pk, survey_id)
    return True


def daily_counts_forget(*, connection: Connection, survey_id: str) -> None:
    cache.delete_many([cache_key(connection.pk, survey_id), counting_key(connection.pk, survey_id)])


def hours_of(lines: Iterable[bytes]) -> Counter:
    """Responses per UTC hour (epoch seconds of its start) in an NDJSON export holding recorded dates."""
    hours: Counter = Counter()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        recorded = (json.loads(line).get("values") or {}).get("recordedDate")
        try:
            when = datetime.datetime.fromisoformat(str(recorded).replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        hours[int(when.timestamp()) // 3600 * 3600] += 1
    return hours


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *whole, pending = pending.split(b"\n")
        yield from whole
    if pending:
        yield pending


def survey_daily_counts_run(*, connection_id: int, survey_id: str, sleep=time.sleep, now=None) -> dict:
    """Count (in a worker): start the export, follow it with a growing wait, stream and count its lines, keep
    the counts. Returns what was kept."""
    now = now or timezone.now()
    connection = Connection.objects.get(pk=connection_id)
    since = now - datetime.timedelta(days=DAYS)
    body = {"compress": False, "surveyMetadataIds": ["recordedDate"], "questionIds": [], "embeddedDataIds": [],
            "startDate": since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    tuning = ExportTuning()
    try:
        client = connection_client(connection, retry=EXPORT_RETRY)
        job = client.response_exports.start(survey_id, format="ndjson", options=body, timeout=START_TIMEOUT)
        progress_id, started, polls = job["progressId"], time.monotonic(), 0
        while True:
            state = client.response_exports.progress(survey_id, progress_id)
            if state.get("status") == "complete" and state.get("fileId"):
                break
            if state.get("status") == "failed":
                raise _Failed("Qualtrics could not prepare the export the counts are made from.")
            if time.monotonic() - started > GIVE_UP_SECONDS:
                raise _Failed("Qualtrics took too long to prepare the export the counts are made from.")
            sleep(tuning.wait_before_poll(polls, percent=float(state.get("percentComplete") or 0),
                                          elapsed=time.monotonic() - started))
            polls += 1
        with client.response_exports.download(survey_id, state["fileId"]) as chunks:
            hours = hours_of(_lines(chunks))
    except (QualtricsError, _Failed) as exc:
        kept = {"error": error_text(exc) if isinstance(exc, QualtricsError) else str(exc), "at": now.timestamp()}
        cache.set(cache_key(connection_id, survey_id), kept, FAILURE_KEPT_SECONDS)
        cache.delete(counting_key(connection_id, survey_id))
        logger.info("Counting the responses of %s on connection %s failed: %s", survey_id, connection_id, kept["error"])
        return kept
    kept = {"hours": dict(hours), "since": since.timestamp(), "at": now.timestamp()}
    cache.set(cache_key(connection_id, survey_id), kept, KEPT_SECONDS)
    cache.delete(counting_key(connection_id, survey_id))
    return kept


class _Failed(Exception):
    pass
