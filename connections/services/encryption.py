"""Re-encrypting every stored token (and OAuth client secret) when the encryption key is rotated."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ..audit import audit_record
from ..crypto import can_decrypt, encrypted_with_current_key, reencrypt_token
from ..models import Connection


@dataclass
class ReencryptReport:
    total: int = 0
    on_old_key: int = 0


def tokens_undecryptable() -> list[Connection]:
    """Connections whose stored token no configured key can decrypt."""
    return [
        c
        for c in Connection.objects.select_related("owner").order_by("pk")
        if not can_decrypt(getattr(c, c.ciphertext_field))
    ]


def tokens_reencrypt(*, dry_run: bool = False) -> ReencryptReport:
    """Re-encrypt every token with the first key, all or nothing. Raises TokenDecryptionError."""
    report = ReencryptReport()
    with transaction.atomic():
        for connection in Connection.objects.select_for_update().order_by("pk"):
            report.total += 1
            field = connection.ciphertext_field
            old_key = not encrypted_with_current_key(getattr(connection, field))
            report.on_old_key += int(old_key)
            if dry_run:
                continue
            fresh = reencrypt_token(getattr(connection, field))  # raises if no key fits: nothing is kept
            Connection.objects.filter(pk=connection.pk).update(**{field: fresh})
            if old_key:
                what = "OAuth client secret" if connection.uses_oauth else "token"
                audit_record(
                    connection=connection,
                    action="connection.token_reencrypt",
                    target=connection.name,
                    detail=f"{what} re-encrypted with the current encryption key",
                )
    return report
