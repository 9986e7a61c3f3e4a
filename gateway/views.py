"""Screens of the API keys: for a connection's managers only (a key is a way into its Qualtrics brand).

Thin: every read is a selector, every write a service.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections.access import connection_view
from connections.models import Role
from connections.scoping import ConnectionViewMixin
from qualtrics import Page
from web.crud import Column, CrudFormView, CrudListView, queryset_page
from web.csv import csv_response
from web.htmx import template_for

from . import selectors, services
from .forms import KeyIssueForm
from .models import ApiKey
from .scopes import PRESETS

STATUS_BADGES = {"active": "badge-soft-ok", "expired": "badge-soft-warn", "revoked": "badge-soft-muted"}


class KeysMixin(ConnectionViewMixin):
    resource = "gateway:key"
    verbose_name = "API key"
    object_kwarg = "key_id"
    read_role = Role.MANAGER
    write_role = Role.MANAGER


class KeyListView(KeysMixin, CrudListView):
    """Who uses this connection through the gateway: its keys with their last use, calls and errors today."""

    template_name = "gateway/key_list.html"
    default_page_size = 50
    empty_message = "No API keys yet. Issue one for each integration that calls Qualtrics through this connection."
    create_label = "Issue a key"
    columns = [
        Column("Name", "name", link=True, sort="name"),
        Column("Key", lambda k: f"{k.prefix}…", kind="mono"),
        Column("Scope", lambda k: PRESETS.get(k.preset, ("Custom",))[0], kind="badge"),
        Column("Status", "status", kind="badge"),
        Column("Expires", "expires_on", kind="date", css="text-nowrap", sort="expires_on"),
        Column("Last use", "last_used_at", kind="datetime", css="text-nowrap", sort="last_used_at"),
        Column("Calls today", "calls_today", kind="number", sort="calls_today"),
        Column("Errors today", "errors_today", kind="number", sort="errors_today"),
    ]

    def fetch_page(self, *, cursor, page_size, search) -> Page:
        return queryset_page(self.sorted(selectors.key_list(connection=self.connection)), cursor=cursor,
                             page_size=page_size)

    def row_url(self, item) -> str:
        return reverse("gateway:key_detail", kwargs={"connection_id": self.connection.pk, "key_id": item.pk})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["gateway_url"] = self.request.build_absolute_uri(
            reverse("gateway_api", kwargs={"connection_id": self.connection.pk, "path": "x"})
        )[: -len("/x")]
        return context


class KeyIssueView(KeysMixin, CrudFormView):
    """Issue a key; the answer shows it once, and never again."""

    template_name = "gateway/key_form.html"
    form_class = KeyIssueForm
    submit_label = "Issue the key"

    def save(self, form):
        return services.api_key_issue(connection=self.connection, actor=self.request.user, role=self.role,
                                      **form.cleaned_data)

    def saved_response(self, form, result):
        key, text = result
        context = self.get_context_data(form=form, issued=key, key_text=text)
        # Signed-in pages are never cached (web.headers), so the key is not kept by the browser either.
        return render(self.request, template_for(self.request, "gateway/key_issued.html", "issued"), context)


key_issue = KeyIssueView.as_view()


def _detail_context(request, key: ApiKey) -> dict:
    return {
        "connection": request.connection,
        "role": request.connection_role,
        "key": key,
        "badge": STATUS_BADGES[key.status],
        "preset_label": PRESETS.get(key.preset, ("Custom",))[0],
        "calls": selectors.key_calls(key=key)[: selectors.RECENT_CALLS],
    }


@require_GET
@connection_view(Role.MANAGER)
def key_detail(request, connection_id, key_id):
    key = selectors.key_get(connection=request.connection, key_id=key_id)
    return render(request, template_for(request, "gateway/key_detail.html", "status"), _detail_context(request, key))


@require_POST
@connection_view(Role.MANAGER)
def key_revoke(request, connection_id, key_id):
    """One click: the key is refused from its next call on; htmx swaps the key's status in place."""
    key = selectors.key_get(connection=request.connection, key_id=key_id)
    services.api_key_revoke(key=key, actor=request.user, role=request.connection_role)
    key = selectors.key_get(connection=request.connection, key_id=key_id)
    return render(request, template_for(request, "gateway/key_detail.html", "status"), _detail_context(request, key))


@require_GET
@connection_view(Role.MANAGER)
def key_calls_csv(request, connection_id, key_id):
    key = selectors.key_get(connection=request.connection, key_id=key_id)
    calls = selectors.key_calls(key=key).iterator()
    header = ["time", "method", "path", "status", "request id", "duration ms", "client address", "refused by portal",
              "error code"]
    rows = ([c.created_at.isoformat(), c.method, c.path, c.status, c.request_id, c.duration_ms, c.client_address,
             c.refused, c.error_code] for c in calls)
    return csv_response(_with_header(header, rows), filename=f"api-key-{key.prefix}.csv")


def _with_header(header, rows):
    yield header
    yield from rows
