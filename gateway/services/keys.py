"""Issuing and revoking keys: a connection's managers do both, and both are audited on the connection."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from connections.audit import audit_record
from connections.models import Connection, Role

from ..models import ApiKey, key_hash, new_key
from ..scopes import PRESETS, normalise_rules, parse_networks
from .calls import recent_keys


def _require_manager(connection: Connection, role: Role | None) -> None:
    if role is None or role < Role.MANAGER:
        raise PermissionDenied(f"Only a manager of “{connection.name}” issues and revokes its API keys.")


def api_key_issue(
    *,
    connection: Connection,
    actor,
    role: Role,
    name: str,
    preset: str,
    rules: str = "",
    expires_on: date | None = None,
    allowed_networks: str = "",
    per_minute_cap: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its text, which is returned this once and kept nowhere (only its hash is saved).

    A preset other than custom gives its own rules; custom takes `rules` (ValidationError when they do
    not parse).
    """
    _require_manager(connection, role)
    if preset not in PRESETS:
        preset = "custom"
    rules = normalise_rules(PRESETS[preset][1] if preset != "custom" else rules)
    networks = "\n".join(str(network) for network in parse_networks(allowed_networks))
    text, prefix = new_key()
    with transaction.atomic():
        key = ApiKey.objects.create(
            connection=connection, name=name.strip()[:100], prefix=prefix, hash=key_hash(text), preset=preset,
            rules=rules, expires_on=expires_on, allowed_networks=networks, per_minute_cap=per_minute_cap or None,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(actor=actor, connection=connection, action="gateway.key_issue", target=f"{key.prefix}…",
                     detail=f"Issued API key “{key.name}” ({PRESETS[preset][0]})")
    return key, text


def api_key_revoke(*, key: ApiKey, actor, role: Role) -> ApiKey:
    """Revoke `key`: its next call through this process is refused, and through every other process within
    GATEWAY_KEY_CACHE_SECONDS. Revoking a revoked key changes nothing."""
    _require_manager(key.connection, role)
    with transaction.atomic():
        changed = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor if getattr(actor, "pk", None) else None
        )
        key.refresh_from_db()
        recent_keys.forget(key.prefix)
        if changed:
            audit_record(actor=actor, connection=key.connection, action="gateway.key_revoke",
                         target=f"{key.prefix}…", detail=f"Revoked API key “{key.name}”")
    return key
