"""Date formats used by the API: ISO 8601 UTC with `Z`, epoch milliseconds, and `YYYY-MM-DD HH:MM:SS`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return int(moment.timestamp() * 1000)


def plain(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC, without a zone (webhook `CompletedDate`, survey metadata)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse(value: object) -> datetime | None:
    """Parse the date forms clients send; None when the value is not a recognisable date."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")), tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = int(digits[:2]) * 60 + int(digits[2:])
        moment -= sign * timedelta(minutes=offset_minutes)
    return moment


def zone(name: str) -> tzinfo | None:
    """The time zone of an IANA name (`America/Chicago`), or None when there is no such zone."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_in_zone(value: object, where: tzinfo) -> datetime | None:
    """Like `parse`, but a date without a zone of its own is read as local time in `where`."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value.strip())
    if not match or match.group(8):
        return parse(value)
    naive = parse(value)
    if naive is None:
        return None
    return naive.replace(tzinfo=where).astimezone(UTC)


def local(moment: datetime | None, where: tzinfo | None = None) -> str:
    """`YYYY-MM-DD HH:MM:SS` in `where` (UTC when None), as export files show dates."""
    if moment is None:
        return ""
    return moment.astimezone(where or UTC).strftime("%Y-%m-%d %H:%M:%S")
