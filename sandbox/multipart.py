"""Reading multipart/form-data request bodies (survey and response file uploads)."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from .envelope import bad_request


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse(content_type: str, body: bytes) -> dict[str, Part]:
    """The parts of a multipart/form-data body, by field name (400 when it is not one)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise bad_request("The multipart/form-data body could not be read")
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        parts[name] = Part(name, part.get_filename(), part.get_content_type(),
                           data if isinstance(data, bytes) else b"")
    return parts
