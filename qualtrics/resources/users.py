"""The brand's users (brand administrators only, except reading oneself)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..bodies import body, query
from ..paging import Page, optional_page_size
from .base import Resource, path, segment


def user_path(user_id: str, *rest: str) -> str:
    return path("users", segment(user_id, "user ID"), *rest)


class Users(Resource):
    def list(self, *, page_size: int | None = None, page_url: str | None = None) -> Page:
        return self._client._page("/users", query(page_size=optional_page_size(page_size)), page_url)

    def get(self, user_id: str) -> dict[str, Any]:
        return self._client._send("GET", user_path(user_id))

    def create(
        self,
        *,
        username: str,
        first_name: str,
        last_name: str,
        user_type: str,
        email: str,
        password: str,
        language: str = "en",
        time_zone: str | None = None,
        division_id: str | None = None,
        account_expiration_date: datetime | str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a user; result ``{"id": "UR_..."}``."""
        fields = body(
            extra,
            username=username,
            first_name=first_name,
            last_name=last_name,
            user_type=user_type,
            email=email,
            password=password,
            language=language,
            time_zone=time_zone,
            division_id=division_id,
            account_expiration_date=account_expiration_date,
        )
        return self._client._send("POST", "/users", json=fields)

    def update(
        self,
        user_id: str,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        user_type: str | None = None,
        email: str | None = None,
        language: str | None = None,
        time_zone: str | None = None,
        division_id: str | None = None,
        account_expiration_date: datetime | str | None = None,
        status: str | None = None,
        permissions: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        fields = body(
            extra,
            username=username,
            first_name=first_name,
            last_name=last_name,
            user_type=user_type,
            email=email,
            language=language,
            time_zone=time_zone,
            division_id=division_id,
            account_expiration_date=account_expiration_date,
            status=status,
            permissions=permissions,
        )
        return self._client._send("PUT", user_path(user_id), json=fields)

    def delete(self, user_id: str) -> None:
        self._client._send("DELETE", user_path(user_id))

    def create_api_token(self, user_id: str) -> dict[str, Any]:
        """Create or rotate the user's token (the old one stops working); ``{"apiToken": ...}``."""
        return self._client._send("POST", user_path(user_id, "apitoken"))
