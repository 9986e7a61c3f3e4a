"""Request bodies and query parameters, with their keys spelled as Qualtrics spells them.

Resource methods take snake_case keyword arguments; ``body()`` and ``query()`` turn them into the
camelCase keys Qualtrics expects, drop the ones left at None and write dates in UTC with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict


def format_datetime(value: datetime | date | str) -> str:
    """ISO 8601 in UTC with a ``Z``, as Qualtrics expects for send dates and expirations."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime(value.year, value.month, value.day, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def body(extra: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
    """A JSON body from snake_case keyword arguments: None values dropped, keys in camelCase.

    ``extra`` is merged last, verbatim, for keys the method does not name.
    """
    out = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, datetime | date):
            value = format_datetime(value)
        out[camel(name)] = value
    out.update(extra or {})
    return out


def query(**fields: Any) -> dict[str, str]:
    """Query parameters: None dropped, booleans as Qualtrics spells them, keys in camelCase."""
    out = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime | date):
            value = format_datetime(value)
        out[camel(name)] = str(value)
    return out


def with_id(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """Reminder and thank-you creation may name the new ID ``distributionId``; expose it as ``id``."""
    if isinstance(result, dict) and "id" not in result and "distributionId" in result:
        return {**result, "id": result["distributionId"]}
    return result


class MessageRef(TypedDict, total=False):
    libraryId: str
    messageId: str
    messageText: str


class Recipients(TypedDict, total=False):
    mailingListId: str
    contactId: str
    sampleId: str
    transactionBatchId: str
    transactionId: str


class EmailHeader(TypedDict, total=False):
    fromEmail: str
    fromName: str
    replyToEmail: str
    subject: str


class SurveyLink(TypedDict, total=False):
    surveyId: str
    expirationDate: str
    type: Literal["Individual", "Multiple", "Anonymous"]


class ContactFilter(TypedDict, total=False):
    filterType: str
    comparison: str
    value: Any
