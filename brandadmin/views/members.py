"""A group's members: the group's page lists them, with the picker that finds users to add."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from connections.access import connection_view
from connections.models import Role
from web.crud import Column, CrudListView
from web.errors import error_text, explained, handles_errors
from web.htmx import is_partial

from .. import selectors, services
from ..forms import GROUP_ID_RE, MembersAddForm
from .base import (
    BrandAdminListMixin,
    error_on_group_page,
    explain_brandadmin_error,
    redirect_to,
    status_badge,
    user_name_cell,
)
from .groups import GroupMixin


class GroupMemberListView(BrandAdminListMixin, GroupMixin, CrudListView):
    """The group's page: its facts, then its members (a paged list), with the picker to add members."""

    template_name = "brandadmin/group_members.html"
    partial_template_name = "crud/list.html"
    empty_message = "Nobody is in this group yet."

    def get(self, request, *args, **kwargs):
        self.group = self.get_object()
        return super().get(request, *args, **kwargs)

    @property
    def columns(self):
        columns = [
            Column("Name", user_name_cell, link=True),
            Column("Username", "username", kind="mono"),
            Column("E-mail", "email"),
            Column("Status", status_badge),
        ]
        if self.can_write:
            columns.append(Column("", self.remove_button, css="text-end"))
        return columns

    def row_url(self, item):
        try:
            return reverse("brandadmin:user_detail", kwargs={"connection_id": self.connection.pk,
                                                             "user_id": item.get("id")})
        except Exception:
            return None

    def remove_button(self, member: dict):
        url = reverse("brandadmin:group_member_remove", kwargs={
            "connection_id": self.connection.pk, "group_id": self.kwargs["group_id"], "user_id": member.get("id"),
        })
        return format_html(
            '<form method="post" action="{url}" class="d-inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            '<input type="hidden" name="username" value="{username}">'
            '<button class="btn btn-sm btn-outline-danger" type="submit" data-testid="remove-member" '
            'aria-label="Remove {username} from the group">Remove</button></form>',
            url=url, csrf=get_token(self.request), username=member.get("username") or member.get("id"),
        )

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.group_member_list(**self.connection_and_actor(), group_id=self.kwargs["group_id"],
                                           cursor=cursor, page_size=page_size)

    def create_url(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        names = selectors.names_for(connection=self.connection, actor=self.request.user)
        context.update(group=self.group, verbose_name_plural="members",
                       group_type_name=names.group_type(self.group.get("type")),
                       division_name=names.division(self.group.get("divisionId")))
        return context


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(error_on_group_page)
def group_member_add(request, connection_id, group_id):
    connection = request.connection
    detail = reverse("brandadmin:group_detail", kwargs={"connection_id": connection.pk, "group_id": group_id})
    form = MembersAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect_to(request, detail)
    outcome = services.group_members_add(
        connection=connection, actor=request.user, group_id=group_id, user_ids=form.user_ids
    )
    if outcome.added:
        count = len(outcome.added)
        messages.success(request, f"Added {count} user{'s' if count != 1 else ''} to the group.")
    for user_id, exc in outcome.failed:
        messages.error(request, f"Could not add {user_id}: {error_text(explain_brandadmin_error(exc, connection))}")
    return redirect_to(request, detail)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(error_on_group_page)
def group_member_remove(request, connection_id, group_id, user_id):
    connection = request.connection
    detail = reverse("brandadmin:group_detail", kwargs={"connection_id": connection.pk, "group_id": group_id})
    services.group_member_remove(connection=connection, actor=request.user, group_id=group_id, user_id=user_id)
    label = request.POST.get("username") or user_id
    messages.success(request, f"Removed “{label}” from the group.")
    return redirect_to(request, detail)


# --- the search-as-you-type picker ---------------------------------------------------------------


@require_GET
@connection_view(Role.VIEWER)
def user_search(request, connection_id):
    """Users matching `q`: an HTML fragment for htmx, or JSON (`format=json` or Accept: application/json).

    `group` (a group ID) leaves out that group's members.
    """
    connection = request.connection
    query = " ".join(request.GET.get("q", "").split())[:100]
    wants_json = request.GET.get("format") == "json" or (
        "application/json" in request.headers.get("Accept", "") and not is_partial(request)
    )
    group_id = request.GET.get("group", "")
    kwargs = {"connection": connection, "actor": request.user}
    context = {"query": query, "results": [], "error": None, "complete": True, "connection": connection}
    if len(query) >= 2:
        def search():
            exclude = []
            if group_id and GROUP_ID_RE.match(group_id):
                exclude = [m.get("id") for m in selectors.group_members_all(**kwargs, group_id=group_id)]
            return selectors.user_search(**kwargs, query=query, limit=10, exclude=exclude)

        found, context["error"] = explained(search, explain=lambda exc: explain_brandadmin_error(exc, connection))
        if found is not None:
            context.update(results=found.items, complete=found.complete)
    if wants_json:
        if context["error"]:
            return JsonResponse({"error": context["error"]}, status=502)
        return JsonResponse({
            "query": query,
            "complete": context["complete"],
            "results": [
                {"id": u.get("id"), "username": u.get("username"), "name": selectors.user_display_name(u),
                 "email": u.get("email"), "accountStatus": u.get("accountStatus")}
                for u in context["results"]
            ],
        })
    return render(request, "brandadmin/group_members.html#search-results", context)
