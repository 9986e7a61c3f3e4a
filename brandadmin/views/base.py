"""What the screens of a brand's users and groups share.

A token that is not a brand administrator's gets 403 from Qualtrics on these routes: the screens then
explain that in plain words instead of failing (`explain_brandadmin_error`, this app's case of the one
error path: a list or a form the token can never use gives its whole page to the explanation).
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from connections.scoping import ConnectionViewMixin
from qualtrics.errors import MissingScopeError, PermissionDeniedError
from web.errors import EXPLAINABLE_ERRORS, error_response, explain
from web.htmx import is_partial

from .. import selectors
from ..templatetags.brandadmin import status_badge_html


def explain_brandadmin_error(exc: Exception, connection) -> dict:
    """An error on a users/groups screen explained; Qualtrics' 403 means the token is not a brand
    administrator's, which no screen here can work around."""
    error = explain(exc)
    if isinstance(exc, MissingScopeError):  # an OAuth client without the scope: also nothing to work around
        return {**error, "replaces_page": True}
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
    return error_response(request, explain_brandadmin_error(exc, connection), template="brandadmin/error.html",
                          context=context, status=200, in_place=True)


def error_on_user_page(request, exc, *, connection_id, user_id, **_kwargs):
    back = reverse("brandadmin:user_detail", kwargs={"connection_id": connection_id, "user_id": user_id})
    return error_page(request, exc, back_url=back, back_label="Back to the user", tab="users")


def error_on_group_page(request, exc, *, connection_id, group_id, **_kwargs):
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


class BrandAdminMixin(ConnectionViewMixin):
    """Explains Qualtrics errors on the page (403: not a brand administrator)."""

    back_label = "Back to users"

    def back_url(self) -> str:
        return reverse("brandadmin:user_list", kwargs={"connection_id": self.connection.pk})

    def explain_error(self, exc: Exception) -> dict:
        return explain_brandadmin_error(exc, self.connection)

    def error_response(self, exc: Exception):
        return error_page(self.request, exc, back_url=self.back_url(), back_label=self.back_label,
                          tab=getattr(self, "tab", ""))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = getattr(self, "tab", "")
        return context


class BrandAdminListMixin(BrandAdminMixin):
    """Lists read in the background; a 403 replaces the whole page with the explanation (no empty table,
    no search box: `explain_brandadmin_error` marks it so)."""

    fetch_in_background = True


class BrandAdminFormMixin(BrandAdminMixin):
    """Form views: a 403 from Qualtrics on save reads as “not a brand administrator” on the form."""

    template_name = "brandadmin/form.html"
    partial_template_name = "crud/form.html"
    choices_error = None

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


def changed_only(fields: dict, initial: dict) -> dict:
    """The fields whose value differs from what the form was filled with (sent on edit, nothing else)."""
    return {key: value for key, value in fields.items() if (value or None) != (initial.get(key) or None)}
