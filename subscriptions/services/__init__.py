"""Writes of the subscriptions app: registering subscriptions in Qualtrics (registering), taking in what Qualtrics
posts (receiving), reading the responses (processing), and forwarding each event exactly once (forwarding)."""

from .forwarding import (
    SIGNATURE_HEADER,
    delivery_replay,
    delivery_send,
    destination_create,
    destination_delete,
    digest_send,
    sign,
    subscriptions_sweep,
)
from .processing import event_process, summarize
from .receiving import MAX_BODY_BYTES, Refusal, event_receive
from .registering import (
    NotAnOrphan,
    base_url_warning,
    orphan_delete,
    receiver_id_of,
    receiver_url,
    shared_key,
    subscription_create,
    subscription_delete,
    subscription_test,
)

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "NotAnOrphan",
    "Refusal",
    "base_url_warning",
    "delivery_replay",
    "delivery_send",
    "destination_create",
    "destination_delete",
    "digest_send",
    "event_process",
    "event_receive",
    "orphan_delete",
    "receiver_id_of",
    "receiver_url",
    "shared_key",
    "sign",
    "subscription_create",
    "subscription_delete",
    "subscription_test",
    "subscriptions_sweep",
    "summarize",
]
