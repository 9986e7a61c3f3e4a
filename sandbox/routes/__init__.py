"""All API routes, under /API/v3."""

from __future__ import annotations

from ..routing import RouteTable
from . import (
    directories,
    distributions,
    divisions,
    groups,
    identity,
    imports,
    libraries,
    mailing_lists,
    sms,
    subscriptions,
    survey_definitions,
    survey_responses,
    surveys,
    transactions,
    users,
)

API = RouteTable.combine(
    identity.table,
    directories.table,
    mailing_lists.table,
    imports.table,
    transactions.table,
    users.table,
    groups.table,
    divisions.table,
    libraries.table,
    distributions.table,
    sms.table,
    surveys.table,
    subscriptions.table,
    survey_definitions.table,
    survey_responses.table,
)
