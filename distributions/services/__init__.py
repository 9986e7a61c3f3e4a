"""Writes of the distributions app: composing (compose), sending (sending) and stats (stats).

Views, tasks and other apps import from here.
"""

from .compose import (
    COMPOSED_FIELDS,
    DistributionInvalid,
    DistributionStateError,
    distribution_cancel,
    distribution_create,
    distribution_duplicate,
    distribution_schedule,
    distribution_update,
    distributions_cancel_for_connection,
    distributions_cancel_for_survey,
    event_add,
    message_text_of,
)
from .sending import SendOutcome, distribution_send, distributions_send_batch, find_in_qualtrics
from .stats import distribution_refresh_stats, distributions_refresh_stats_due
from .sweeping import distributions_reap, distributions_sweep

__all__ = [
    "COMPOSED_FIELDS",
    "DistributionInvalid",
    "DistributionStateError",
    "SendOutcome",
    "distribution_cancel",
    "distribution_create",
    "distribution_duplicate",
    "distribution_refresh_stats",
    "distribution_schedule",
    "distribution_send",
    "distribution_update",
    "distributions_cancel_for_connection",
    "distributions_cancel_for_survey",
    "distributions_reap",
    "distributions_refresh_stats_due",
    "distributions_send_batch",
    "distributions_sweep",
    "event_add",
    "find_in_qualtrics",
    "message_text_of",
]
