"""Screens for a brand's Qualtrics users and groups: thin subclasses of the portal's CRUD views.

Every Qualtrics read or write goes through brandadmin.selectors / brandadmin.services. A token that
is not a brand administrator's gets 403 from Qualtrics on these routes: the screens then explain that
in plain words instead of failing (`explain_for`, this app's case of the one error path: a list or a
form the token can never use gives its whole page to the explanation).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from connections.scoping import ConnectionViewMixin
from qualtrics.errors import PermissionDeniedError
from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView
from web.errors import EXPLAINABLE_ERRORS, error_response, error_text, explain, explained, handles_errors
from web.htmx import is_partial
from web.templatetags.crud import as_datetime

from . import selectors, services
from .forms import (
    GROUP_ID_RE,
    GroupForm,
    GroupSearchForm,
    MembersAddForm,
    TokenForm,
    UserForm,
    UserGroupAddForm,
    UserSearchForm,
    clean_ids,
)
from .templatetags.brandadmin import status_badge_html

FIRST_PAGE = "first"


def explain_for(exc: Exception, connection) -> dict:
    """An error on a users/groups screen explained; Qualtrics' 403 means the token is not a brand
    administrator's, which no screen here can work around."""
    error = explain(exc)
    if not isinstance(exc, PermissionDeniedError):
        return error
    who = f" ({connection.qualtrics_user_name})" if connection.qualtrics_user_name else ""
    return {
        **error,
        "title": "This connection's Qualtrics user is not a brand administrator",
        "hint": (
            f"Qualtrics lets only brand administrators manage users and groups, and the API token of "
            f"“{connection.name}”{who} belongs to a user who is not one. Use a connection made with a brand "
            "administrator's token, or ask a manager of this connection to rotate its token to one."
        ),
        "kind": "not-admin",
        "tone": "warning",
        "replaces_page": True,
    }


def error_page(request, exc: Exception, *, back_url: str, back_label: str, tab: str = ""):
    """An error on a users/groups screen: a page of the section that explains it (for htmx, the alert
    in place of what was asked for)."""
    connection = request.connection
    context = {
        "connection": connection,
        "back_url": back_url if back_url != request.path else "",
        "back_label": back_label,
        "tab": tab,
    }
    return error_response(request, explain_for(exc, connection), template="brandadmin/error.html", context=context,
                          status=200, in_place=True)


def on_user_page(request, exc, *, connection_id, user_id, **_kwargs):
    back = reverse("brandadmin:user_detail", kwargs={"connection_id": connection_id, "user_id": user_id})
    return error_page(request, exc, back_url=back, back_label="Back to the user", tab="users")


def on_group_page(request, exc, *, connection_id, group_id, **_kwargs):
    back = reverse("brandadmin:group_detail", kwargs={"connection_id": connection_id, "group_id": group_id})
    return error_page(request, exc, back_url=back, back_label="Back to the group", tab="groups")


def redirect_to(request, url: str):
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def status_badge(user: dict) -> str:
    return status_badge_html(user.get("accountStatus"))


def user_name_cell(user: dict) -> str:
    return selectors.user_display_name(user)


# --- shared behaviour ----------------------------------------------------------------------------


class BrandAdminMixin(ConnectionViewMixin):
    """Explains Qualtrics errors on the page (403: not a brand administrator)."""

    back_label = "Back to users"

    def back_url(self) -> str:
        return reverse("brandadmin:user_list", kwargs={"connection_id": self.connection.pk})

    def explain_error(self, exc: Exception) -> dict:
        return explain_for(exc, self.connection)

    def error_response(self, exc: Exception):
        return error_page(self.request, exc, back_url=self.back_url(), back_label=self.back_label,
                          tab=getattr(self, "tab", ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = getattr(self, "tab", "")
        return context

    def selector_kwargs(self) -> dict:
        return {"connection": self.connection, "actor": self.request.user}


class BrandAdminListMixin(BrandAdminMixin):
    """Lists read in the background; a 403 replaces the whole page with the explanation (no empty table,
    no search box: `explain_for` marks it so)."""

    fetch_in_background = True


class QualtricsFormMixin(BrandAdminMixin):
    """Form views: a 403 from Qualtrics on save reads as “not a brand administrator” on the form."""

    template_name = "brandadmin/form.html"
    partial_template_name = "crud/form.html"
    choices_error = None

    def save(self, form):
        return self.save_with_services(form)

    def load_choices(self, loader, default):
        """Values seen on the brand for a form's choices; an error is shown above the form instead, unless
        it means the form can never be saved: then, when the form is opened, the page explains that."""
        try:
            return loader()
        except EXPLAINABLE_ERRORS as exc:
            self.choices_error = self.explain_error(exc)
            if self.choices_error.get("replaces_page") and self.request.method == "GET":
                raise
            return default

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["choices_error"] = self.choices_error
        return context


# --- users ---------------------------------------------------------------------------------------


class UserListView(BrandAdminListMixin, CrudListView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    template_name = "brandadmin/user_list.html"
    partial_template_name = "crud/list.html"
    search_form_class = UserSearchForm
    tab = "users"
    columns = [
        Column("Name", user_name_cell, link=True),
        Column("Username", "username", kind="mono"),
        Column("E-mail", "email"),
        Column("User type", "userType", kind="badge"),
        Column("Status", status_badge),
    ]

    @property
    def empty_message(self):
        if self.request.GET.get("q") or self.request.GET.get("status"):
            return "No user matches this search."
        return "This brand has no users yet."

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.user_list(
            **self.selector_kwargs(), cursor=cursor, page_size=page_size,
            query=search.get("q", ""), status=search.get("status", ""),
        )


class UserDetailView(BrandAdminMixin, CrudDetailView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    template_name = "brandadmin/user_detail.html"
    tab = "users"

    def get_object(self):
        return selectors.user_get(**self.selector_kwargs(), user_id=self.kwargs["user_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = context["object"]
        context.update(
            details=user_details(user),
            extra_fields=extra_fields(user),
            display_name=selectors.user_display_name(user),
            is_enabled=(user.get("accountStatus") or "").casefold() != "disabled",
            can_manage=self.role >= Role.MANAGER,
        )
        return context


USER_FIELDS = (
    ("id", "User ID", "mono"),
    ("username", "Username", "mono"),
    ("firstName", "First name", "text"),
    ("lastName", "Last name", "text"),
    ("email", "E-mail", "text"),
    ("userType", "User type", "mono"),
    ("divisionId", "Division", "mono"),
    ("organizationId", "Organization", "mono"),
    ("language", "Language", "language"),
    ("timeZone", "Time zone", "text"),
    ("accountStatus", "Account status", "status"),
    ("accountCreationDate", "Account created", "date"),
    ("accountExpirationDate", "Account expires", "date"),
    ("lastLoginDate", "Last login", "date"),
    ("passwordLastChangedDate", "Password last changed", "date"),
    ("passwordExpirationDate", "Password expires", "date"),
    ("unsubscribed", "Unsubscribed", "bool"),
)
SHOWN_ELSEWHERE = {"groups"}


def user_details(user: dict) -> list[dict]:
    return [{"key": key, "label": label, "kind": kind, "value": user.get(key)} for key, label, kind in USER_FIELDS]


def flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        rows = []
        for key, inner in value.items():
            rows.extend(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return rows or [(prefix, "—")]
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value) if value else "—")]
    return [(prefix, value)]


def extra_fields(user: dict) -> list[dict]:
    """Every other field Qualtrics returned (response counts, permissions…), flattened."""
    known = {key for key, _label, _kind in USER_FIELDS} | SHOWN_ELSEWHERE
    out = []
    for key, value in user.items():
        if key in known:
            continue
        out.append({"key": key, "rows": flatten(value, "") if isinstance(value, dict) else [("", value)],
                    "nested": isinstance(value, dict)})
    return out


def changed_only(fields: dict, initial: dict) -> dict:
    """The fields whose value differs from what the form was filled with (sent on edit, nothing else)."""
    return {key: value for key, value in fields.items() if (value or None) != (initial.get(key) or None)}


class UserFormView(QualtricsFormMixin, CrudFormView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    form_class = UserForm
    tab = "users"
    generated_password = ""
    saved_id = ""

    def get_object(self):
        return selectors.user_get(**self.selector_kwargs(), user_id=self.kwargs["user_id"])

    def initial_from(self, user):
        expires = as_datetime(user.get("accountExpirationDate"))
        return {
            "username": user.get("username", ""),
            "first_name": user.get("firstName", ""),
            "last_name": user.get("lastName", ""),
            "email": user.get("email", ""),
            "user_type": user.get("userType", ""),
            "language": user.get("language", ""),
            "time_zone": user.get("timeZone", ""),
            "division_id": user.get("divisionId", "") or "",
            "account_expiration_date": timezone.localtime(expires).date() if isinstance(expires, datetime) else None,
        }

    @cached_property
    def choices(self):
        return self.load_choices(lambda: selectors.user_form_choices(**self.selector_kwargs()), None)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["is_create"] = self.is_create
        kwargs["seen_user_types"] = self.choices.user_types if self.choices else None
        kwargs["seen_languages"] = self.choices.languages if self.choices else None
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["divisions"] = self.choices.divisions.ids() if self.choices else []
        if not self.is_create and self.object:
            context["form_title"] = f"Edit user {self.object.get('username') or self.kwargs['user_id']}"
        return context

    def save_with_services(self, form):
        data = form.cleaned_data
        fields = {
            "username": data["username"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "user_type": data["user_type"],
            "language": data.get("language") or "",
            "time_zone": data.get("time_zone") or "",
            "division_id": data.get("division_id") or "",
            "account_expiration_date": data.get("account_expiration_date"),
        }
        password = data.get("password") or ""
        if data.get("generate_password"):
            password = self.generated_password = services.password_generate()
        if not self.is_create:
            services.user_update(**self.selector_kwargs(), user_id=self.kwargs["user_id"], password=password,
                                 **changed_only(fields, form.initial))
            self.saved_id = self.kwargs["user_id"]
        else:
            self.saved_id = services.user_create(**self.selector_kwargs(), password=password, **fields)
        return self.saved_id

    def object_name(self, form, result):
        return form.cleaned_data.get("username") or "user"

    def saved_response(self, form, result):
        response = super().saved_response(form, result)
        if self.saved_id and self.generated_password:
            # Show the generated password this once instead of redirecting; it is kept nowhere.
            context = self.get_context_data(
                form=form,
                saved_id=self.saved_id,
                saved_username=form.cleaned_data["username"],
                password=self.generated_password,
                detail_url=self.detail_url(self.saved_id),
            )
            services.password_shown_record(
                **self.selector_kwargs(), user_id=self.saved_id, username=form.cleaned_data["username"]
            )
            template = "brandadmin/password_once.html"
            response = render(self.request, f"{template}#once" if is_partial(self.request) else template, context)
            response["Cache-Control"] = "no-store"
        return response


class UserDeleteView(BrandAdminMixin, CrudDeleteView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    template_name = "crud/confirm_delete.html"
    tab = "users"

    def get_object(self):
        return selectors.user_get(**self.selector_kwargs(), user_id=self.kwargs["user_id"])

    def object_label(self, obj):
        return obj.get("username") or obj.get("id")

    def consequences(self, obj):
        name = selectors.user_display_name(obj)
        return (
            f"{name} can no longer log in to Qualtrics, and their API token stops working at once.",
            "Qualtrics deletes what the account owns (surveys, responses, libraries) unless it was transferred "
            "to another user first. Disabling the account instead keeps everything.",
            "The user is removed from every group.",
        )

    def delete(self, obj):
        services.user_delete(**self.selector_kwargs(), user_id=self.kwargs["user_id"])


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(on_user_page)
def user_toggle(request, connection_id, user_id):
    """Enable or disable a user's account (`enable` = "1" or "0")."""
    connection = request.connection
    detail = reverse("brandadmin:user_detail", kwargs={"connection_id": connection.pk, "user_id": user_id})
    enable = request.POST.get("enable") == "1"
    services.user_set_enabled(connection=connection, actor=request.user, user_id=user_id, enabled=enable)
    username = request.POST.get("username") or user_id
    messages.success(request, f"{'Enabled' if enable else 'Disabled'} the account of “{username}”.")
    return redirect_to(request, detail)


class UserTokenView(BrandAdminMixin, CrudFormView):
    """Create or rotate a user's API token: saved into a new connection, or shown once."""

    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    form_class = TokenForm
    template_name = "brandadmin/user_token.html"
    partial = "token"
    write_role = Role.MANAGER
    tab = "users"

    def get_object(self):
        return selectors.user_get(**self.selector_kwargs(), user_id=self.kwargs["user_id"])

    def get_initial(self):
        user = self.object or {}
        label = user.get("username") or self.kwargs["user_id"]
        return {"connection_name": f"{self.connection.name} · {label}"[:100], "destination": TokenForm.SAVE}

    def form_title(self):
        return "Create or rotate the API token"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["display_name"] = selectors.user_display_name(self.object or {})
        context["is_self"] = self.kwargs["user_id"] == self.connection.qualtrics_user_id
        return context

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    @property
    def username(self) -> str:
        return (self.object or {}).get("username", "")

    def save(self, form):
        data = form.cleaned_data
        save_as = data["connection_name"] if data["destination"] == TokenForm.SAVE else ""
        return services.user_token_issue(
            **self.selector_kwargs(), user_id=self.kwargs["user_id"], username=self.username, save_as=save_as
        )

    def saved_response(self, form, issued):
        if issued.saved is not None:
            messages.success(
                self.request,
                f"A new API token was created for “{self.username}” and saved into your new connection "
                f"“{issued.saved.name}”. It was not displayed.",
            )
            return redirect_to(self.request, issued.saved.get_absolute_url())
        context = self.get_context_data(form=form, token=issued.token, problem=issued.problem)
        template = "brandadmin/user_token.html"
        response = render(self.request, f"{template}#token" if is_partial(self.request) else template, context)
        response["Cache-Control"] = "no-store"
        return response


# --- the user's groups (a card on the user page) -------------------------------------------------


def _user_groups_context(request, connection, user_id, *, error=None, form=None):
    kwargs = {"connection": connection, "actor": request.user}
    context = {"connection": connection, "user_id": user_id, "error": error,
               "can_write": request.connection_role >= Role.OPERATOR}
    found, failed = explained(lambda: (selectors.user_groups(**kwargs, user_id=user_id), selectors.group_all(**kwargs)),
                              explain=lambda exc: explain_for(exc, connection))
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
def user_groups(request, connection_id, user_id):
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


def _in_groups_card(request, exc, *, user_id, **_kwargs):
    """An error adding or removing a group, explained on the user's groups card."""
    return _after_user_group_change(request, request.connection, user_id, error=explain_for(exc, request.connection))


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(_in_groups_card)
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
            request, connection, user_id, error=explain_for(outcome.failed[0][1], connection)
        )
    messages.success(request, f"Added the user to the group “{_group_label(request, connection, group_ids[0])}”.")
    return _after_user_group_change(request, connection, user_id)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(_in_groups_card)
def user_group_remove(request, connection_id, user_id, group_id):
    connection = request.connection
    services.group_member_remove(connection=connection, actor=request.user, group_id=group_id, user_id=user_id)
    label = request.POST.get("group_label") or group_id
    messages.success(request, f"Removed the user from the group “{label}”.")
    return _after_user_group_change(request, connection, user_id)


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

        found, context["error"] = explained(search, explain=lambda exc: explain_for(exc, connection))
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
    return render(request, "brandadmin/group_detail.html#search-results", context)


# --- groups --------------------------------------------------------------------------------------


class GroupMixin(BrandAdminMixin):
    resource = "brandadmin:group"
    verbose_name = "group"
    object_kwarg = "group_id"
    tab = "groups"
    back_label = "Back to groups"

    def back_url(self):
        return reverse("brandadmin:group_list", kwargs={"connection_id": self.connection.pk})

    def get_object(self):
        return selectors.group_get(**self.selector_kwargs(), group_id=self.kwargs["group_id"])


class GroupListView(BrandAdminListMixin, GroupMixin, CrudListView):
    template_name = "brandadmin/group_list.html"
    partial_template_name = "crud/list.html"
    search_form_class = GroupSearchForm
    columns = [
        Column("Name", lambda g: g.get("name") or g.get("id"), link=True),
        Column("Group type", "type", kind="badge"),
        Column("Division", "divisionId", kind="mono"),
        Column("Group ID", "id", kind="mono"),
    ]

    @property
    def empty_message(self):
        if self.request.GET.get("q"):
            return "No group matches this search."
        return "This brand has no groups yet."

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.group_list(**self.selector_kwargs(), cursor=cursor, page_size=page_size,
                                    query=search.get("q", ""))


class GroupDetailView(BrandAdminListMixin, GroupMixin, CrudListView):
    """A group and its members (paged), with the picker to add members."""

    template_name = "brandadmin/group_detail.html"
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
        return selectors.group_member_list(**self.selector_kwargs(), group_id=self.kwargs["group_id"],
                                           cursor=cursor, page_size=page_size)

    def create_url(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(group=self.group, verbose_name_plural="members")
        return context


class GroupFormView(QualtricsFormMixin, GroupMixin, CrudFormView):
    form_class = GroupForm

    def initial_from(self, group):
        return {"name": group.get("name", ""), "group_type": group.get("type", ""),
                "division_id": group.get("divisionId", "") or ""}

    @cached_property
    def choices(self):
        return self.load_choices(lambda: selectors.group_form_choices(**self.selector_kwargs()), None)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["is_create"] = self.is_create
        kwargs["seen_group_types"] = self.choices.group_types if self.choices else None
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["divisions"] = self.choices.divisions.ids() if self.choices else []
        if not self.is_create and self.object:
            context["form_title"] = f"Edit group {self.object.get('name') or self.kwargs['group_id']}"
        return context

    def save_with_services(self, form):
        data = form.cleaned_data
        if self.is_create:
            return services.group_create(**self.selector_kwargs(), group_type=data["group_type"],
                                         name=data["name"], division_id=data.get("division_id") or "")
        fields = {"group_type": data["group_type"], "name": data["name"], "division_id": data.get("division_id")}
        services.group_update(**self.selector_kwargs(), group_id=self.kwargs["group_id"],
                              **changed_only(fields, form.initial))
        return self.kwargs["group_id"]


class GroupDeleteView(GroupMixin, CrudDeleteView):

    def consequences(self, group):
        members, _error = explained(selectors.group_members_all, **self.selector_kwargs(),
                                    group_id=self.kwargs["group_id"])
        count = None if members is None else len(members)
        if count == 0:
            first = "Nobody is in the group, so no user loses access."
        elif count == 1:
            first = "Its 1 member loses whatever access the group gave (shared surveys, libraries…)."
        elif count is None:
            first = "Its members lose whatever access the group gave them (shared surveys, libraries…)."
        else:
            first = f"Its {count} members lose whatever access the group gave them (shared surveys, libraries…)."
        return [first, "The users themselves are not deleted."]

    def delete(self, group):
        services.group_delete(**self.selector_kwargs(), group_id=self.kwargs["group_id"])


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(on_group_page)
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
        messages.error(request, f"Could not add {user_id}: {error_text(explain_for(exc, connection))}")
    return redirect_to(request, detail)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(on_group_page)
def group_member_remove(request, connection_id, group_id, user_id):
    connection = request.connection
    detail = reverse("brandadmin:group_detail", kwargs={"connection_id": connection.pk, "group_id": group_id})
    services.group_member_remove(connection=connection, actor=request.user, group_id=group_id, user_id=user_id)
    label = request.POST.get("username") or user_id
    messages.success(request, f"Removed “{label}” from the group.")
    return redirect_to(request, detail)

