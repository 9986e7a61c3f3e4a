"""Writes of the gateway: keys (issued and revoked by managers).

Views import from here.
"""

from .keys import api_key_issue, api_key_revoke

__all__ = ["api_key_issue", "api_key_revoke"]
