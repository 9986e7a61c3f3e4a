"""Reading the file mail box that the demo's default EMAIL_URL writes to."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from django.conf import settings


def mailbox_enabled() -> bool:
    return settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")


def mailbox_messages(*, limit: int = 50) -> list[dict]:
    if not mailbox_enabled():
        return []
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    mails = []
    for path in files:
        # One file per connection to the backend; messages are separated by a line of 79 dashes.
        for chunk in reversed(path.read_bytes().split(b"\n" + b"-" * 79 + b"\n")):
            if not chunk.strip():
                continue
            msg = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            mails.append({
                "subject": msg.get("Subject", ""),
                "to": msg.get("To", ""),
                "date": msg.get("Date", ""),
                "body": body.get_content() if body is not None else "",
            })
    return mails[:limit]
