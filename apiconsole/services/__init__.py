"""Writes of the API console: calls (calls), saved requests (saved) and who may use it (access).

Views import from here.
"""

from .access import console_access_set
from .calls import ConsoleRequest, console_call_send, console_curl, console_request_check, console_scrub
from .saved import saved_request_delete, saved_request_save

__all__ = [
    "ConsoleRequest",
    "console_access_set",
    "console_call_send",
    "console_curl",
    "console_request_check",
    "console_scrub",
    "saved_request_delete",
    "saved_request_save",
]
