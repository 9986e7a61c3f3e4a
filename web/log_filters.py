"""Logging filters the settings attach by dotted path."""

from __future__ import annotations

import logging


class RefusalsOnOneLine(logging.Filter):
    """Django logs every refused request (403 when a role is too low, 404 for a connection not shared)
    with the exception's traceback. Those refusals are the access rules working, not faults: one line
    each (method, path, status) keeps the log readable; server errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
