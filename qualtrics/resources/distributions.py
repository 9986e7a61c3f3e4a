"""E-mail distributions: invitations, and the reminders and thank-yous that follow them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..bodies import EmailHeader, MessageRef, Recipients, SurveyLink, body, format_datetime, query, with_id
from ..paging import DEFAULT_PAGE_SIZE, Page, clamp_page_size, optional_page_size
from .base import Resource, path, segment


def distribution_path(distribution_id: str, *rest: str) -> str:
    return path("distributions", segment(distribution_id, "distribution ID"), *rest)


class Distributions(Resource):
    def create(
        self,
        *,
        message: MessageRef | Mapping[str, Any],
        recipients: Recipients | Mapping[str, Any],
        header: EmailHeader | Mapping[str, Any],
        send_date: datetime | str,
        survey_link: SurveyLink | Mapping[str, Any] | None = None,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send (or schedule, with a future ``send_date``) an e-mail; result ``{"id": "EMD_..."}``.

        ``recipients`` names exactly one target: a mailing list (optionally with a ``CGC_`` contact
        lookup ID or a sample), or a transaction batch alone. Omit ``survey_link`` for a plain e-mail.
        """
        fields = body(
            extra,
            message=dict(message),
            recipients=dict(recipients),
            header=dict(header),
            survey_link=dict(survey_link) if survey_link is not None else None,
            send_date=format_datetime(send_date),
            embedded_data=embedded_data,
        )
        return self._client._send("POST", "/distributions", json=fields)

    def list(
        self,
        *,
        survey_id: str,
        mailing_list_id: str | None = None,
        distribution_request_type: str | None = None,
        send_start_date: datetime | str | None = None,
        send_end_date: datetime | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_url: str | None = None,
    ) -> Page:
        params = query(
            survey_id=survey_id,
            mailing_list_id=mailing_list_id,
            distribution_request_type=distribution_request_type,
            send_start_date=send_start_date,
            send_end_date=send_end_date,
            page_size=clamp_page_size(page_size),
            use_new_pagination_scheme=True,
        )
        return self._client._page("/distributions", params, page_url)

    def get(self, distribution_id: str, *, survey_id: str) -> dict[str, Any]:
        """One distribution with its ``stats`` (sent, opened, finished…)."""
        params = query(survey_id=survey_id)
        return self._client._send("GET", distribution_path(distribution_id), params=params)

    def list_history(
        self, distribution_id: str, *, page_size: int | None = None, page_url: str | None = None
    ) -> Page:
        """Per-recipient status. Its route allows only 300 calls a minute: prefer ``stats``."""
        params = query(page_size=optional_page_size(page_size))
        return self._client._page(distribution_path(distribution_id, "history"), params, page_url)

    def _follow_up(
        self,
        kind: str,
        parent_distribution_id: str,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        fields = body(
            extra,
            header=dict(header),
            message=dict(message),
            send_date=format_datetime(send_date),
            embedded_data=embedded_data,
        )
        return with_id(self._client._send("POST", distribution_path(parent_distribution_id, kind), json=fields))

    def create_reminder(
        self,
        parent_distribution_id: str,
        *,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A reminder to the parent's recipients who have not finished; result has ``id``."""
        return self._follow_up("reminders", parent_distribution_id, header, message, send_date, embedded_data, extra)

    def create_thank_you(
        self,
        parent_distribution_id: str,
        *,
        header: EmailHeader | Mapping[str, Any],
        message: MessageRef | Mapping[str, Any],
        send_date: datetime | str,
        embedded_data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A thank-you to the parent's recipients who finished; result has ``id``."""
        return self._follow_up("thankyous", parent_distribution_id, header, message, send_date, embedded_data, extra)
