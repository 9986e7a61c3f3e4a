"""SMS distributions. Their routes answer slowly (the client gives them a longer read timeout)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from ..bodies import MessageRef, Recipients, body, format_datetime, query, with_id
from ..paging import DEFAULT_PAGE_SIZE, Page, clamp_page_size
from .base import Resource, path, segment


class SmsDistributions(Resource):
    def create(
        self,
        *,
        survey_id: str,
        name: str,
        send_date: datetime | str,
        method: Literal["Invite", "Interactive", "Reminder", "Thankyou", "ThankYou"] | str,
        recipients: Recipients | Mapping[str, Any] | None = None,
        message: MessageRef | Mapping[str, Any] | None = None,
        parent_distribution_id: str | None = None,
        survey_link_expiration_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Invite and Interactive need ``recipients``; Reminder and Thankyou need the parent
        distribution and no recipients; Interactive takes no ``message``. Result is the distribution.
        """
        fields = body(
            extra,
            survey_id=survey_id,
            name=name,
            send_date=format_datetime(send_date),
            method=method,
            recipients=dict(recipients) if recipients is not None else None,
            message=dict(message) if message is not None else None,
            parent_distribution_id=parent_distribution_id,
            survey_link_expiration_date=survey_link_expiration_date,
        )
        return with_id(self._client._send("POST", "/distributions/sms", json=fields))

    def list(self, *, survey_id: str, page_size: int = DEFAULT_PAGE_SIZE, page_url: str | None = None) -> Page:
        params = query(survey_id=survey_id, page_size=clamp_page_size(page_size))
        return self._client._page("/distributions/sms", params, page_url)

    def get(self, sms_distribution_id: str, *, survey_id: str) -> dict[str, Any]:
        target = path("distributions", "sms", segment(sms_distribution_id, "SMS distribution ID"))
        return self._client._send("GET", target, params=query(survey_id=survey_id))
