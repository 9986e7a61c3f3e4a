"""Writes on connections, one module per workflow. Callers import from here:

- whoami: asking Qualtrics who is behind a token;
- lifecycle: create, edit, delete (also from the Django admin), and the optional portal-wide limit;
- checks: testing a saved token (on demand, daily, or when other work finds it refused);
- rotation: replacing the token, moving to the datacenter Qualtrics suggested;
- sharing: sharing with people and teams;
- alerts: the e-mails about expiring and refused tokens;
- alert_batches: the daily sweeps' alerts in batches (one query for what is due, one insert that claims
  them, delivered by workers over one SMTP connection per batch);
- encryption: re-encrypting every token after the encryption key changed.
"""

from .alert_batches import Delivery, SweepReport, alerts_deliver, connections_expiry_sweep, recipients_by_connection
from .alerts import (
    alert_recipients,
    connection_expiry_alert_now,
    connection_expiry_alert_send,
    connection_token_rejected_alert_send,
)
from .checks import (
    CheckResult,
    HealthBatch,
    connection_mark_token_rejected,
    connection_test,
    connection_token_health_check,
    connections_token_health_batch,
)
from .encryption import ReencryptReport, tokens_reencrypt, tokens_undecryptable
from .lifecycle import (
    EDITABLE_FIELDS,
    connection_admin_save,
    connection_create,
    connection_delete,
    connection_limit_message,
    connection_limit_reached,
    connection_update,
)
from .rotation import connection_apply_suggested_datacenter, connection_rotate
from .sharing import connection_share, connection_unshare
from .validation import BrandMismatchError, UserChangeError
from .whoami import WhoAmI, suggested_datacenter_from, whoami_for_connection, whoami_for_token

__all__ = [
    "EDITABLE_FIELDS",
    "BrandMismatchError",
    "CheckResult",
    "Delivery",
    "HealthBatch",
    "ReencryptReport",
    "SweepReport",
    "UserChangeError",
    "WhoAmI",
    "alert_recipients",
    "alerts_deliver",
    "connection_admin_save",
    "connection_apply_suggested_datacenter",
    "connection_create",
    "connection_delete",
    "connection_expiry_alert_now",
    "connection_expiry_alert_send",
    "connection_limit_message",
    "connection_limit_reached",
    "connection_mark_token_rejected",
    "connection_rotate",
    "connection_share",
    "connection_test",
    "connection_token_health_check",
    "connection_token_rejected_alert_send",
    "connection_unshare",
    "connection_update",
    "connections_expiry_sweep",
    "connections_token_health_batch",
    "recipients_by_connection",
    "suggested_datacenter_from",
    "tokens_reencrypt",
    "tokens_undecryptable",
    "whoami_for_connection",
    "whoami_for_token",
]
