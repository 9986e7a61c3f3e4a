"""The groups of one user: the card on the user's page, and adding or removing one group there."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections.access import connection_view
from connections.models import Role
from web.errors import error_text, explained, handles_errors
from web.htmx import is_partial

from .. import selectors, services
from ..forms import GROUP_ID_RE, UserGroupAddForm, clean_ids
from .base import explain_brandadmin_error


def _user_groups_context(request, connection, user_id, *, error=None, form=None):
    kwargs = {"connection": connection, "actor": request.user}
    context = {"connection": connection, "user_id": user_id, "error": error,
               "can_write": request.connection_role >= Role.OPERATOR}
    found, failed = explained(lambda: (selectors.user_groups(**kwargs, user_id=user_id), selectors.group_all(**kwargs)),
                              explain=lambda exc: explain_brandadmin_error(exc, connection))
    if failed:
        context["error"] = error or failed
        return context
    memberships, groups = found
    member_of = {g.get("id") for g in memberships.groups}
    context.update(
        memberships=memberships,
        add_form=form or UserGroupAddForm(groups=[g for g in groups if g.get("id") not in member_of]),
    )
    return context


@require_GET
@connection_view(Role.VIEWER)
def user_groups_card(request, connection_id, user_id):
    """The “Groups” card of the user page (loaded with htmx after the page)."""
    context = _user_groups_context(request, request.connection, user_id)
    return render(request, "brandadmin/user_detail.html#groups", context)


def _after_user_group_change(request, connection, user_id, *, error=None):
    if is_partial(request):
        context = _user_groups_context(request, connection, user_id, error=error)
        return render(request, "brandadmin/user_detail.html#groups", context)
    if error:
        messages.error(request, error_text(error))
    return HttpResponseRedirect(
        reverse("brandadmin:user_detail", kwargs={"connection_id": connection.pk, "user_id": user_id})
    )


def _group_label(request, connection, group_id: str) -> str:
    groups, _error = explained(selectors.group_all, connection=connection, actor=request.user)
    return next((g.get("name") for g in groups or () if g.get("id") == group_id and g.get("name")), group_id)


def _error_in_groups_card(request, exc, *, user_id, **_kwargs):
    """An error adding or removing a group, explained on the user's groups card."""
    error = explain_brandadmin_error(exc, request.connection)
    return _after_user_group_change(request, request.connection, user_id, error=error)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(_error_in_groups_card)
def user_group_add(request, connection_id, user_id):
    connection = request.connection
    try:
        group_ids = clean_ids([request.POST.get("group_id", "")], GROUP_ID_RE)
    except ValidationError:
        group_ids = []
    if not group_ids:
        messages.error(request, "Choose a group to add the user to.")
        return _after_user_group_change(request, connection, user_id)
    outcome = services.group_members_add(
        connection=connection, actor=request.user, group_id=group_ids[0], user_ids=[user_id]
    )
    if outcome.failed:
        return _after_user_group_change(
            request, connection, user_id, error=explain_brandadmin_error(outcome.failed[0][1], connection)
        )
    messages.success(request, f"Added the user to the group “{_group_label(request, connection, group_ids[0])}”.")
    return _after_user_group_change(request, connection, user_id)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(_error_in_groups_card)
def user_group_remove(request, connection_id, user_id, group_id):
    connection = request.connection
    services.group_member_remove(connection=connection, actor=request.user, group_id=group_id, user_id=user_id)
    label = request.POST.get("group_label") or group_id
    messages.success(request, f"Removed the user from the group “{label}”.")
    return _after_user_group_change(request, connection, user_id)
