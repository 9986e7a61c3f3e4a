"""Writes of the gateway: keys (issued and revoked by managers) and calls (relayed and recorded).

Views import from here.
"""

from .calls import Answer, gateway_call
from .keys import api_key_issue, api_key_revoke

__all__ = ["Answer", "api_key_issue", "api_key_revoke", "gateway_call"]
