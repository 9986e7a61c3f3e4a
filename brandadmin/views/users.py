"""A brand's users: list and search, the user's page, create or edit, enable or disable, delete."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from connections.access import connection_view
from connections.models import Role
from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView
from web.errors import handles_errors
from web.htmx import is_partial
from web.templatetags.crud import as_datetime

from .. import selectors, services
from ..forms import UserForm, UserSearchForm
from .base import (
    BrandAdminFormMixin,
    BrandAdminListMixin,
    BrandAdminMixin,
    changed_only,
    error_on_user_page,
    redirect_to,
    status_badge,
    user_name_cell,
)


class UserListView(BrandAdminListMixin, CrudListView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    template_name = "brandadmin/user_list.html"
    partial_template_name = "crud/list.html"
    search_form_class = UserSearchForm
    tab = "users"
    @property
    def columns(self):
        names = selectors.names_for(connection=self.connection, actor=self.request.user)
        return [
            Column("Name", user_name_cell, link=True),
            Column("Username", "username", kind="mono"),
            Column("E-mail", "email"),
            Column("User type", lambda u: names.user_type(u.get("userType")), kind="badge"),
            Column("Status", status_badge),
        ]

    @property
    def empty_message(self):
        if self.request.GET.get("q") or self.request.GET.get("status"):
            return "No user matches this search."
        return "This brand has no users yet."

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.user_list(
            **self.connection_and_actor(), cursor=cursor, page_size=page_size,
            query=search.get("q", ""), status=search.get("status", ""),
        )


class UserDetailView(BrandAdminMixin, CrudDetailView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    template_name = "brandadmin/user_detail.html"
    tab = "users"

    def get_object(self):
        return selectors.user_get(**self.connection_and_actor(), user_id=self.kwargs["user_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = context["object"]
        context.update(
            details=user_details(user, selectors.names_for(connection=self.connection, actor=self.request.user)),
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


NAMED_FIELDS = {"userType": "user_type", "divisionId": "division"}


def user_details(user: dict, names: selectors.Names) -> list[dict]:
    """The account's fields; a user type or division shows its name (the ID beside it, smaller)."""
    rows = []
    for key, label, kind in USER_FIELDS:
        row = {"key": key, "label": label, "kind": kind, "value": user.get(key)}
        if key in NAMED_FIELDS and names.labelled(NAMED_FIELDS[key], user.get(key)):
            row.update(kind="named", name=names.name(NAMED_FIELDS[key], user.get(key)))
        rows.append(row)
    return rows


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



class UserFormView(BrandAdminFormMixin, CrudFormView):
    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    form_class = UserForm
    tab = "users"
    generated_password = ""
    saved_id = ""

    def get_object(self):
        return selectors.user_get(**self.connection_and_actor(), user_id=self.kwargs["user_id"])

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
        return self.load_choices(lambda: selectors.user_form_choices(**self.connection_and_actor()), None)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["is_create"] = self.is_create
        kwargs["names"] = selectors.names_for(connection=self.connection, actor=self.request.user)
        kwargs["seen_user_types"] = self.choices.user_types if self.choices else None
        kwargs["seen_languages"] = self.choices.languages if self.choices else None
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        names = selectors.names_for(connection=self.connection, actor=self.request.user)
        context["divisions"] = [(d, names.division(d)) for d in (self.choices.divisions.ids() if self.choices else [])]
        if not self.is_create and self.object:
            context["form_title"] = f"Edit user {self.object.get('username') or self.kwargs['user_id']}"
        return context

    def save(self, form):
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
            services.user_update(**self.connection_and_actor(), user_id=self.kwargs["user_id"], password=password,
                                 **changed_only(fields, form.initial))
            self.saved_id = self.kwargs["user_id"]
        else:
            self.saved_id = services.user_create(**self.connection_and_actor(), password=password, **fields)
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
                **self.connection_and_actor(), user_id=self.saved_id, username=form.cleaned_data["username"]
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
        return selectors.user_get(**self.connection_and_actor(), user_id=self.kwargs["user_id"])

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
        services.user_delete(**self.connection_and_actor(), user_id=self.kwargs["user_id"])


class UserDisableView(UserDeleteView):
    """Disabling an account locks a person out of Qualtrics at once: it is confirmed like a deletion."""

    verb = "Disable"
    verbose_name = "account"
    undo_note = "You can enable the account again at any time."

    def consequences(self, obj):
        name = selectors.user_display_name(obj)
        return (
            f"{name} can no longer log in to Qualtrics, and their API token stops working at once: "
            "integrations that use it fail until the account is enabled again.",
            "Everything the account owns (surveys, responses, libraries) and its groups are kept.",
        )

    def success_text(self, obj, result) -> str:
        return f"Disabled the account of “{self.object_label(obj)}”."

    def after_delete_url(self, obj) -> str:
        return self.detail_url(obj)

    def delete(self, obj):
        services.user_set_enabled(**self.connection_and_actor(), user_id=self.kwargs["user_id"], enabled=False)


@require_POST
@connection_view(Role.OPERATOR)
@handles_errors(error_on_user_page)
def user_toggle(request, connection_id, user_id):
    """Enable or disable a user's account (`enable` = "1" or "0")."""
    connection = request.connection
    detail = reverse("brandadmin:user_detail", kwargs={"connection_id": connection.pk, "user_id": user_id})
    enable = request.POST.get("enable") == "1"
    services.user_set_enabled(connection=connection, actor=request.user, user_id=user_id, enabled=enable)
    username = request.POST.get("username") or user_id
    messages.success(request, f"{'Enabled' if enable else 'Disabled'} the account of “{username}”.")
    return redirect_to(request, detail)
