"""Asking Qualtrics who is behind a token (its `whoami` call), for a saved connection or a new token."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from qualtrics import datacenter_from_notice

from ..bearer_tokens import OAuthClient
from ..models import Connection
from ..qualtrics_client import client_for_oauth, client_for_token, connection_client
from ..validators import validate_datacenter


@dataclass
class WhoAmI:
    """What Qualtrics says about the user behind a token."""

    brand_id: str = ""
    user_id: str = ""
    user_name: str = ""
    account_type: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    datacenter: str = ""
    notice: str = ""
    request_id: str = ""
    suggested_datacenter: str = ""
    scopes: tuple[str, ...] = ()  # granted to an OAuth client's bearer token (none for an API token)


class _CallRecorder:
    """A client hook that remembers the last call's record (request id, notice)."""

    def __init__(self):
        self.record = None

    def __call__(self, record) -> None:
        self.record = record


def suggested_datacenter_from(notice: str, current: str) -> str:
    """The datacenter Qualtrics' "Request proxied … use this host instead: sjc1.qualtrics.com" names."""
    candidate = datacenter_from_notice(notice) or ""
    try:
        validate_datacenter(candidate)
    except ValidationError:
        return ""
    return "" if candidate == current else candidate


def _whoami_with(client, recorder: _CallRecorder, datacenter: str) -> WhoAmI:
    result = client.whoami() or {}
    record = recorder.record
    notice = (getattr(record, "notice", "") or "") if record is not None else ""
    request_id = (getattr(record, "request_id", "") or "") if record is not None else ""
    return WhoAmI(
        brand_id=str(result.get("brandId") or ""),
        user_id=str(result.get("userId") or ""),
        user_name=str(result.get("userName") or ""),
        account_type=str(result.get("accountType") or ""),
        first_name=str(result.get("firstName") or ""),
        last_name=str(result.get("lastName") or ""),
        email=str(result.get("email") or ""),
        datacenter=str(result.get("datacenter") or ""),
        notice=notice,
        request_id=request_id,
        suggested_datacenter=suggested_datacenter_from(notice, datacenter),
        scopes=tuple(sorted(client.bearer.scopes or ())) if client.bearer is not None else (),
    )


def whoami_for_token(*, datacenter: str, token: str, retry=None) -> WhoAmI:
    """Ask Qualtrics who is behind a token that is not saved yet. Raises the client's typed errors."""
    recorder = _CallRecorder()
    with client_for_token(datacenter=datacenter, token=token, hooks=[recorder], retry=retry) as client:
        return _whoami_with(client, recorder, datacenter)


def whoami_for_connection(*, connection: Connection, actor=None, retry=None) -> WhoAmI:
    recorder = _CallRecorder()
    with connection_client(connection, actor=actor, retry=retry, hooks=[recorder]) as client:
        return _whoami_with(client, recorder, connection.datacenter)


def whoami_for_oauth(*, oauth: OAuthClient, retry=None) -> WhoAmI:
    """Ask Qualtrics for a bearer token for an OAuth client that is not saved yet, then who is behind it
    (with the scopes granted). Raises ClientRefusedError, InvalidScopeError and the other typed errors."""
    recorder = _CallRecorder()
    with client_for_oauth(oauth, hooks=[recorder], retry=retry) as client:
        return _whoami_with(client, recorder, oauth.datacenter)
