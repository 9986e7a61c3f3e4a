"""The Qualtrics API v3 client used by every screen and task of the portal.

Calls are grouped by resource, each reached as an attribute of the client, in the manner of
stripe-python's services::

    client = QualtricsClient.for_datacenter("iad1", token)
    client.whoami()
    client.users.get("UR_...")
    for member in client.mailing_lists.members.list(directory_id, mailing_list_id).iter_all():
        ...

A call returns the envelope's ``result``; a list call returns a ``Page``. The HTTP side (timeouts,
errors, retries, the rate budget, page URLs) is in ``qualtrics.http``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .exchange import ExchangeMixin
from .http import DATACENTER_ID, BaseClient, Hook, Timeout, timeout_pair
from .ratelimit import RateLimiter
from .relay import RelayMixin
from .resources import (
    ContactImports,
    Contacts,
    Directories,
    Distributions,
    Divisions,
    EventSubscriptions,
    Groups,
    Libraries,
    MailingLists,
    ResponseExports,
    Responses,
    Samples,
    SmsDistributions,
    SurveyDefinitions,
    Surveys,
    TransactionBatches,
    Transactions,
    Users,
    Workflows,
)
from .retry import RetryPolicy

DEFAULT_BASE_URL_TEMPLATE = "https://{datacenter}.qualtrics.com/API/v3"


class QualtricsClient(ExchangeMixin, RelayMixin, BaseClient):
    """Calls Qualtrics API v3 for one connection (a datacenter and a token)."""

    def __init__(self, base_url: str, token: str, **options: Any) -> None:
        super().__init__(base_url, token, **options)
        self._attach_resources()

    def _attach_resources(self) -> None:
        self.directories = Directories(self)
        self.contacts = Contacts(self)
        self.mailing_lists = MailingLists(self)
        self.contact_imports = ContactImports(self)
        self.transactions = Transactions(self)
        self.transaction_batches = TransactionBatches(self)
        self.samples = Samples(self)
        self.users = Users(self)
        self.groups = Groups(self)
        self.divisions = Divisions(self)
        self.libraries = Libraries(self)
        self.surveys = Surveys(self)
        self.survey_definitions = SurveyDefinitions(self)
        self.response_exports = ResponseExports(self)
        self.responses = Responses(self)
        self.distributions = Distributions(self)
        self.sms_distributions = SmsDistributions(self)
        self.workflows = Workflows(self)
        self.event_subscriptions = EventSubscriptions(self)

    @classmethod
    def for_datacenter(
        cls,
        datacenter: str,
        token: str,
        *,
        base_url_template: str = DEFAULT_BASE_URL_TEMPLATE,
        **options: Any,
    ) -> QualtricsClient:
        """A client for ``https://{datacenter}.qualtrics.com/API/v3`` (or another template).

        A template without ``{datacenter}`` names one fixed host, such as a local stand-in for Qualtrics.
        """
        if not isinstance(datacenter, str) or not DATACENTER_ID.fullmatch(datacenter):
            raise ValueError("a datacenter ID is letters, digits and dashes, such as iad1 or fra1")
        client = cls(base_url_template.replace("{datacenter}", datacenter), token, **options)
        client.datacenter = datacenter
        return client

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        limiter: RateLimiter | None = None,
        brand_key: str | None = None,
        hooks: Sequence[Hook] | None = None,
    ) -> QualtricsClient:
        """A copy sharing this client's session (and its pool) with some options changed."""
        clone = copy.copy(self)
        clone._owns_session = False
        if retry is not None:
            clone.retry = retry
        if timeout is not None:
            clone.timeout = timeout_pair(timeout)
        if limiter is not None:
            clone.limiter = limiter
        if brand_key is not None:
            clone.brand_key = brand_key
        if hooks is not None:
            clone.hooks = tuple(hooks)
        if clone.limiter is not None and not clone.brand_key:
            raise ValueError("brand_key is required with a limiter (the budget is per brand)")
        clone.last_meta = None
        clone.last_notice = None
        clone._attach_resources()
        return clone

    def __enter__(self) -> QualtricsClient:
        return self

    def whoami(self) -> dict[str, Any]:
        """The user behind the token: brandId, userId, userName, accountType, datacenter…"""
        return self._send("GET", "/whoami")
