"""Run-time settings of the sandbox: faults, rate limits and the switches for undocumented behaviour.

Where the API's behaviour is not documented, the default is the likeliest behaviour and the switch
offers the other one.
"""

from __future__ import annotations

import copy
from typing import Any

from .envelope import bad_request

# Per-route budgets, requests per minute, from the published per-endpoint table.
ROUTE_LIMITS: dict[str, int] = {
    "directory_contacts_read": 3000,
    "directory_contacts_write": 500,
    "mailing_lists_write": 500,
    "transaction_contacts_import": 100,
    "transaction_contacts_status": 500,
    "groups": 600,
    "group_members_read": 1000,
    "users": 3000,
    "event_subscriptions": 120,
    "distribution_history": 300,
    "distribution_links": 500,
    "sms_distributions": 1000,
    "export_responses_start": 100,
    "export_responses_progress": 1000,
    "export_responses_file": 100,
    "response_get": 240,
    "response_create": 120,
    "response_delete": 60,
}

DEFAULTS: dict[str, Any] = {
    # Milliseconds added to every API response.
    "latency_ms": 0,
    # Milliseconds a new connection waits before it is served: what its TCP and TLS handshakes cost over a
    # network (two round trips with TLS 1.3), which loopback hides. A kept-alive connection pays it once.
    "connect_latency_ms": 0.0,
    # Fraction of API requests answered with a transient 500.
    "fail_rate": 0.0,
    # "before": a failed request changes nothing; "after": it is processed, then answered with the 500.
    "fail_mode": "before",
    # Brand-wide budget in requests per minute; 0 turns it off.
    "rate_limit": 3000,
    "route_limits_enabled": True,
    # Overrides of ROUTE_LIMITS, by name (requests per minute).
    "route_limits": {},
    # Whether a 429 carries a Retry-After header (seconds).
    "retry_after": True,
    # Sandbox-clock seconds an async job (contact import, response export) takes to complete.
    "job_seconds": 2.0,
    # POST /directories/{id}/contacts when the directory's dedup criteria match: "merge" or "duplicate".
    "contact_dedup": "merge",
    # Result key of reminder/thank-you creation: "distributionId", "id" or "both".
    "reminder_result_key": "distributionId",
    # pageSize above a route's cap: "clamp" to the cap or answer 400 ("error").
    "page_size_over_cap": "clamp",
    # Export-responses calls sent through the wrong datacenter answer 400 instead of being proxied.
    "proxied_exports_fail": True,
    # Sent e-mail and SMS recipients open, start and finish surveys in a fixed, reproducible pattern.
    "simulate_engagement": True,
    # Seconds a webhook delivery may take.
    "webhook_timeout": 5.0,
    # Sandbox-clock seconds before each new attempt of a webhook that failed (no answer or not 2xx); one entry
    # per retry. Qualtrics' retry policy is not documented (one third-party source says five retries).
    "webhook_retry_delays": [60, 300, 900, 3600, 10800],
    # Response events: "documented" adds RecipientID, DistributionID and ResponseEventContext when the response
    # has them; "observed" sends only the five keys seen in captured deliveries.
    "webhook_message_fields": "documented",
    # Also publish topics named only by third-party material (controlpanel.createdDistribution).
    "webhook_unconfirmed_topics": True,
    # Lifetime of an OAuth access token, in sandbox-clock seconds (one hour per a client library).
    "oauth_token_seconds": 3600,
    # HTTP status of an API call whose bearer token lacks the scope the call needs: 403 or 401.
    "oauth_missing_scope_status": 403,
    # HTTP status of a JSON event sent to a workflow that does not exist: 404 or 400.
    "workflow_unknown_status": 404,
    # What a breakoutSets column of a multi-select question holds for a chosen answer: 1, or the choice's recode.
    "multiselect_export_value": "one",
    # Result key of POST /surveys/{id}/responses: "responseId", "id" or "both".
    "create_response_result_key": "responseId",
    # PUT /responses/{id}: whether the body must name the survey ("required") or may leave it out ("optional").
    "response_update_survey_id": "required",
    # Label columns of includeLabelColumns: the same name as the value column ("same") or "<name>_labels".
    "label_column_names": "same",
}

_CHOICES = {
    "fail_mode": ("before", "after"),
    "contact_dedup": ("merge", "duplicate"),
    "reminder_result_key": ("distributionId", "id", "both"),
    "page_size_over_cap": ("clamp", "error"),
    "webhook_message_fields": ("documented", "observed"),
    "oauth_missing_scope_status": (403, 401),
    "workflow_unknown_status": (404, 400),
    "multiselect_export_value": ("one", "recode"),
    "create_response_result_key": ("responseId", "id", "both"),
    "response_update_survey_id": ("required", "optional"),
    "label_column_names": ("same", "suffix"),
}


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)


def merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return `current` updated with `changes`, validating each value (400 on a bad one)."""
    updated = copy.deepcopy(current)
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise bad_request(f"Unknown setting: {key}. Known settings: {', '.join(sorted(DEFAULTS))}")
        updated[key] = _validated(key, value)
    return updated


def _validated(key: str, value: Any) -> Any:
    default = DEFAULTS[key]
    if key in _CHOICES:
        if isinstance(value, bool) or value not in _CHOICES[key]:
            raise bad_request(f"{key} must be one of {', '.join(map(str, _CHOICES[key]))}")
        return _CHOICES[key][_CHOICES[key].index(value)]
    if key == "route_limits":
        if not isinstance(value, dict):
            raise bad_request("route_limits must be an object of route name to requests per minute")
        for name, limit in value.items():
            if name not in ROUTE_LIMITS:
                raise bad_request(f"Unknown route limit: {name}. Known: {', '.join(sorted(ROUTE_LIMITS))}")
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise bad_request(f"route_limits.{name} must be a non-negative integer")
        return dict(value)
    if isinstance(default, list):
        numbers = isinstance(value, list) and all(
            isinstance(item, (int, float)) and not isinstance(item, bool) and item >= 0 for item in value)
        if not numbers or len(value) > 20:
            raise bad_request(f"{key} must be a list of at most 20 non-negative numbers of seconds")
        return [float(item) for item in value]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad_request(f"{key} must be true or false")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise bad_request(f"{key} must be a non-negative number")
        if key == "fail_rate" and value > 1:
            raise bad_request("fail_rate must be between 0 and 1")
        return type(default)(value)
    return value


def route_limit(config: dict[str, Any], name: str) -> int:
    """The per-minute budget of a route in this configuration; 0 means unlimited."""
    if not config["route_limits_enabled"]:
        return 0
    return int(config["route_limits"].get(name, ROUTE_LIMITS[name]))
