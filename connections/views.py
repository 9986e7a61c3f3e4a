"""Connection screens. Thin: the access function decides, services and selectors do the work.

The connection's detail, its forms (create, edit, rotate the token) and its deletion are the generic
views of web/crud.py; the list, the share dialog and the audit trail are function views (each says why),
as are the actions that answer a button (test, switch, apply the datacenter, remove a share)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.services import notice_hide
from qualtrics.errors import AuthenticationError, InvalidScopeError
from web.crud import CrudDeleteView, CrudDetailView, CrudFormView
from web.csv import csv_response
from web.errors import error_text, explain
from web.forms import add_service_error
from web.htmx import is_partial, template_for
from web.sorting import heading, query_of, sort_from, unsorted_query

from . import selectors, services
from .access import connection_view
from .audit_words import action_words, outcome_words, target_words
from .context_processors import SECTIONS, section_url, sections_for
from .forms import AuditFilterForm, ConnectionForm, PendingToken, RotateForm, ShareForm
from .models import Role
from .scoping import ConnectionViewMixin

SECTION_LABELS = {section.name: section.label for section in SECTIONS}
AUDIT_PAGE_SIZE = 50


def _redirect(request, url: str):
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


# --- list / detail -----------------------------------------------------------------------------


# The connection list's sortable columns: heading -> field.
CONNECTION_SORTS = {"Name": "name", "Datacenter": "datacenter", "Expiry": "expires_on", "Last test": "last_checked_at"}


# Not a generic list: the connections a user may use are one page, every one of them (no cursor to page
# through), each row several facts and badges, and the same page doubles as the picker a section link
# opens when no connection is current.
@require_GET
def connection_list(request):
    search = (request.GET.get("q") or "").strip()[:100]
    section = request.GET.get("section") or ""
    section_label = SECTION_LABELS.get(section, "")
    sort = sort_from(request.GET.get("sort"), CONNECTION_SORTS.values())
    rows = selectors.connection_rows_for(request.user, search=search, sort=sort)
    for connection in rows:
        connection.open_url = (
            reverse("connections:connection_switch", args=[connection.pk]) + f"?section={section}"
            if section_label
            else connection.get_absolute_url()
        )
    context = {
        "rows": rows,
        "search": search,
        "headings": [heading(label, CONNECTION_SORTS.get(label, ""), sort, query_of(request)) for label in
                     ("Name", "Datacenter", "Brand", "Owner", "Shared with", "Expiry", "Last test", "Your role")],
        "current_sort": sort.param if sort else "",
        "unsorted_query": unsorted_query(request) if sort else "",
        "section": section if section_label else "",
        "section_label": section_label,
        "limit_reached": services.connection_limit_reached(),
        "limit_message": services.connection_limit_message(),
    }
    return render(request, template_for(request, "connections/connection_list.html", "table"), context)


class ConnectionScreenMixin:
    """A connection's own screens: the connection is the object (its id in the URL is the object's id),
    and their list is the connection list."""

    resource = "connections:connection"
    verbose_name = "connection"
    object_kwarg = "connection_id"

    def list_url(self) -> str:
        return reverse("connections:connection_list")


class ConnectionDetailView(ConnectionViewMixin, ConnectionScreenMixin, CrudDetailView):
    template_name = "connections/connection_detail.html"
    partials = {"shares", "status"}  # parts of the page refreshed on their own (after a share, a test)

    def get_object(self):
        return self.connection

    def get(self, request, *args, **kwargs):
        if request.GET.get("partial") in self.partials:
            self.partial = request.GET["partial"]
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connection, is_manager = self.connection, self.role >= Role.MANAGER
        context.update(
            is_manager=is_manager,
            shares=selectors.shares_of(connection),
            recipients=services.alert_recipients(connection) if is_manager else [],
            dependents=[work for work in selectors.dependents_of(connection) if work.items],
            budget_day=selectors.rate_budget_day(connection),
            sections=[
                {"label": s.label, "missing_scope": s.missing_scope(connection),
                 "url": reverse("connections:connection_switch", args=[connection.pk]) + f"?section={s.name}"}
                for s in sections_for(self.request.user, connection, self.role)
                if s.name != "audit"  # the audit trail has its own button (managers only)
            ],
        )
        return context


@require_GET
def switcher_search(request):
    """The switcher's search (htmx): the user's connections matching what was typed, as menu items."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    found = selectors.switcher_search(request.user, request.GET.get("q", "")[:100])
    return render(request, "connections/_switcher_items.html",
                  {"connections": found, "section": request.GET.get("section", ""), "searched": True})


@require_GET
@connection_view(Role.VIEWER)
def connection_switch(request, connection_id):
    """Make this the current connection and open the section asked for (or the connection itself)."""
    selectors.remember_current(request.session, request.connection.pk)
    section = request.GET.get("section") or ""
    url = None
    allowed = {s.name for s in sections_for(request.user, request.connection, request.connection_role)}
    if section in allowed:
        url = section_url(section, request.connection.pk)
    return _redirect(request, url or request.connection.get_absolute_url())


# --- create / edit / rotate --------------------------------------------------------------------


class TokenFormScreenMixin(ConnectionScreenMixin):
    """The forms that take an API token (create, edit, rotate). The service checks the token with Qualtrics
    before saving. A token typed into a form that fails for another reason is kept, encrypted, in the
    session (`PendingToken`), so the user need not paste it again; a token of another brand waits for the
    user to confirm the change (the form then shows the confirmation box, and the next submit may leave
    the token blank)."""

    pending_purpose = ""  # the session key of the pending token: one per form (and connection)

    @cached_property
    def pending(self) -> PendingToken:
        purpose = self.pending_purpose if self.is_create else f"{self.pending_purpose}:{self.connection.pk}"
        return PendingToken(self.request, purpose)

    def get(self, request, *args, **kwargs):
        self.pending.clear()  # a form opened afresh forgets a token typed into an earlier one
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pending": self.pending}

    def get_object(self):
        return self.connection

    def show_refusal(self, form, exc: Exception) -> None:
        if isinstance(exc, services.BrandMismatchError):
            form.ask_brand_confirmation()
            form.add_error(None, exc.message_dict["token"][0])
        elif isinstance(exc, services.UserChangeError):
            form.ask_user_confirmation()
            form.add_error(None, exc.message_dict["token"][0])
        elif isinstance(exc, AuthenticationError):
            field = "client_secret" if "client_secret" in form.fields and form.wants_oauth else "token"
            form.add_error(field, error_text(exc))
            form.forget_pending_token()  # Qualtrics refused it: not worth keeping
        elif isinstance(exc, InvalidScopeError) and "scopes" in form.fields:
            form.add_error("scopes", f"The OAuth client may not be granted these scopes. {error_text(exc)}")
        else:
            super().show_refusal(form, exc)

    def form_invalid(self, form):
        form.keep_pending_token()
        return super().form_invalid(form)

    def saved_response(self, form, result):
        form.forget_pending_token()
        return super().saved_response(form, result)

    def success_url_for(self, connection) -> str:
        return connection.get_absolute_url()


def _connection_fields(form) -> dict:
    fields = form.service_fields()
    fields.pop("confirm_brand_change", None)
    fields.pop("confirm_user_change", None)
    return fields


class ConnectionCreateView(TokenFormScreenMixin, CrudFormView):
    """A new connection, owned by whoever creates it (any user may)."""

    template_name = "connections/connection_form.html"
    form_class = ConnectionForm
    pending_purpose = "create"
    can_write = True

    def form_title(self) -> str:
        return "New connection"

    def save(self, form):
        connection = services.connection_create(
            owner=self.request.user, token=form.cleaned_data.get("token", ""), **_connection_fields(form)
        )
        self.request.session[selectors.SESSION_KEY] = connection.pk
        return connection

    def success_text(self, form, connection) -> str:
        accepted = (f"gave the OAuth client a token (scopes granted: {connection.oauth_scopes_granted or 'none'})"
                    if connection.uses_oauth else "accepted the token")
        return (
            f"Connection “{connection.name}” saved: Qualtrics {accepted} "
            f"(brand {connection.brand_id or '?'}, user {connection.qualtrics_user_name or '?'})."
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            limit_reached=services.connection_limit_reached(),
            limit_message=services.connection_limit_message(),
        )
        return context


class ConnectionEditView(ConnectionViewMixin, TokenFormScreenMixin, CrudFormView):
    template_name = "connections/connection_form.html"
    form_class = ConnectionForm
    pending_purpose = "edit"
    write_role = Role.MANAGER

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.connection}

    def form_title(self) -> str:
        return f"Edit “{self.connection.name}”"

    def save(self, form):
        return services.connection_update(
            connection=self.connection,
            actor=self.request.user,
            token=form.cleaned_data.get("token", ""),
            confirm_brand_change=form.cleaned_data.get("confirm_brand_change", False),
            confirm_user_change=form.cleaned_data.get("confirm_user_change", False),
            **_connection_fields(form),
        )

    def success_text(self, form, connection) -> str:
        return f"Connection “{connection.name}” saved."


# --- test / rotate / datacenter ------------------------------------------------------------------


@require_POST
@connection_view(Role.MANAGER)
def connection_expiry_alert(request, connection_id):
    """Send the expiry alert now if one is due, instead of waiting for the daily sweep; say what happened."""
    sent, text = services.connection_expiry_alert_now(connection=request.connection)
    (messages.success if sent else messages.info)(request, text)
    return _redirect(request, request.connection.get_absolute_url())


@require_POST
@connection_view(Role.VIEWER)
def expiry_banner_hide(request, connection_id):
    """Put this connection's expiry banner away for a day, for this user only."""
    connection = request.connection
    notice_hide(user=request.user, key=connection.expiry_notice_key, until=timezone.now() + datetime.timedelta(days=1))
    if is_partial(request):
        return HttpResponse("")  # the banner is swapped for nothing
    return HttpResponseRedirect(connection.get_absolute_url())


@require_POST
@connection_view(Role.VIEWER)
def connection_test(request, connection_id):
    result = services.connection_test(connection=request.connection, actor=request.user)
    connection = request.connection
    connection.refresh_from_db()
    context = {
        "connection": connection,
        "result": result,
        "error": explain(result.error) if result.error is not None else None,
        "is_manager": request.connection_role >= Role.MANAGER,
    }
    if is_partial(request):
        return render(request, "connections/connection_test_result.html", context)
    if result.ok:
        messages.success(
            request,
            f"Qualtrics {'gave the OAuth client a token' if connection.uses_oauth else 'accepted the token'}: "
            f"brand {connection.brand_id}, user {connection.qualtrics_user_name}.",
        )
    else:
        messages.error(request, error_text(result.error))
    return HttpResponseRedirect(connection.get_absolute_url())


class ConnectionRotateView(ConnectionViewMixin, TokenFormScreenMixin, CrudFormView):
    template_name = "connections/connection_rotate.html"
    form_class = RotateForm
    pending_purpose = "rotate"
    write_role = Role.MANAGER

    def initial_from(self, connection) -> dict:
        return {}  # a new token has its own expiration: the old one's date is only mentioned

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.connection.expires_on:
            form.fields["expires_on"].help_text = (
                f"The token being replaced expires on {date_format(self.connection.expires_on, 'j F Y')}. "
                "Leave blank if the new token has no planned expiration."
            )
        return form

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "oauth": self.connection.uses_oauth}

    def form_title(self) -> str:
        return f"Rotate {self.connection.secret_noun} of “{self.connection.name}”"

    def save(self, form):
        return services.connection_rotate(
            connection=self.connection,
            actor=self.request.user,
            token=form.cleaned_data["token"],
            confirm_brand_change=form.cleaned_data["confirm_brand_change"],
            confirm_user_change=form.cleaned_data["confirm_user_change"],
            expires_on=form.cleaned_data["expires_on"] if "expires_on" in form.fields else ...,
        )

    def success_text(self, form, connection) -> str:
        if connection.uses_oauth:
            return (
                f"Secret of the OAuth client of “{connection.name}” replaced (scopes granted: "
                f"{connection.oauth_scopes_granted or 'none'}). Work already under way continues with it."
            )
        return (
            f"Token of “{connection.name}” replaced ({connection.token_mask}). Work already under way "
            "continues with the new token."
        )


@require_POST
@connection_view(Role.MANAGER)
def connection_fix_datacenter(request, connection_id):
    try:
        connection = services.connection_apply_suggested_datacenter(
            connection=request.connection, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Datacenter of “{connection.name}” set to {connection.datacenter}.")
    return _redirect(request, request.connection.get_absolute_url())


# --- sharing -----------------------------------------------------------------------------------


# Not a generic form: the share dialog lists the shares and adds one in place, staying open (for htmx)
# and telling the page behind it ("shares-changed") after each change, where a generic form leaves for
# the object's page once saved.
@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def connection_share(request, connection_id):
    connection = request.connection
    form = ShareForm(request.POST or None, connection=connection)
    saved = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.connection_share(
                connection=connection,
                actor=request.user,
                user=form.cleaned_data.get("user"),
                team=form.cleaned_data.get("team"),
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if not is_partial(request):
                messages.success(request, f"Shared with {selectors.share_label(saved)} as {saved.get_role_display()}.")
                return HttpResponseRedirect(reverse("connections:connection_share", args=[connection.pk]))
            form = ShareForm(connection=connection)
    response = _render_share_dialog(request, connection, form, saved=saved)
    if saved is not None:
        trigger_client_event(response, "shares-changed")
    return response


def _render_share_dialog(request, connection, form, *, saved=None, removed: str = ""):
    context = {
        "connection": connection,
        "form": form,
        "shares": selectors.shares_of(connection),
        "saved": saved,
        "saved_label": selectors.share_label(saved) if saved is not None else "",
        "removed": removed,
    }
    return render(request, template_for(request, "connections/connection_share.html", "dialog"), context)


@require_POST
@connection_view(Role.MANAGER)
def connection_unshare(request, connection_id, share_id):
    connection = request.connection
    removed = ""
    try:
        share = next((s for s in selectors.shares_of(connection) if s.pk == share_id), None)
        removed = selectors.share_label(share) if share else ""
        services.connection_unshare(connection=connection, actor=request.user, share_id=share_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        removed = ""
    if not is_partial(request):
        if removed:
            messages.success(request, f"{removed} no longer has access through this share.")
        return HttpResponseRedirect(reverse("connections:connection_share", args=[connection.pk]))
    response = _render_share_dialog(request, connection, ShareForm(connection=connection), removed=removed)
    trigger_client_event(response, "shares-changed")
    return response


# --- delete ------------------------------------------------------------------------------------


class ConnectionDeleteView(ConnectionViewMixin, ConnectionScreenMixin, CrudDeleteView):
    write_role = Role.MANAGER

    def get_object(self):
        return self.connection

    def object_label(self, connection) -> str:
        return connection.name

    def consequences(self, connection):
        return _delete_consequences(connection)

    def delete(self, connection):
        """Delete it; what the other apps cancelled with it (their answers to the deletion)."""
        pk = connection.pk
        cancelled = services.connection_delete(connection=connection, actor=self.request.user)
        if self.request.session.get(selectors.SESSION_KEY) == pk:
            self.request.session.pop(selectors.SESSION_KEY, None)
        self.request.connection = None  # gone: the layout must not offer it as the current connection
        return cancelled

    def success_text(self, connection, cancelled) -> str:
        return f"Connection “{connection.name}” deleted." + "".join(
            f" Cancelled {work.summary()}." for work in cancelled
        )


def _delete_consequences(connection) -> list[str]:
    shares = selectors.shares_of(connection)
    lines = [line for work in selectors.dependents_of(connection) for line in work.confirmation_lines()]
    if shares:
        lines.append(
            "Access ends for everyone it is shared with: " + ", ".join(selectors.share_label(s) for s in shares) + "."
        )
    lines.append("The encrypted API token is erased. Nothing is deleted in Qualtrics.")
    lines.append("Its audit trail is kept (visible to administrators in the Django admin).")
    return lines


# --- audit trail -------------------------------------------------------------------------------


def _audit_queryset(request):
    connection = request.connection
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_actions_for(connection))
    filters: dict = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        since, until = form.date_range()
        filters = {
            "action": data.get("action") or "",
            "actor": (data.get("actor") or "").strip(),
            "outcome": data.get("outcome") or "",
            "since": _start_of_day(since),
            "until": _start_of_day(until + datetime.timedelta(days=1)) if until else None,
        }
    events = selectors.audit_events_for(connection=connection, **filters).select_related("actor")
    return form, events


def _start_of_day(day: datetime.date | None):
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone())


# Not a generic list: the audit trail is the portal's own table, paged by page number with "events 1 to 50
# of 55", its filters explain a wrong date range instead of ignoring it, and its CSV export takes the same
# filters; the generic list pages forward through cursors, as Qualtrics lists do.
@require_GET
@connection_view(Role.MANAGER)
def connection_audit(request, connection_id):
    form, events = _audit_queryset(request)
    paginator = Paginator(events, AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for event in page.object_list:  # words for the screen; the CSV keeps the codes beside them
        event.what = action_words(event.action)
        event.target_words = target_words(event.target)
        event.outcome_words = outcome_words(event.outcome)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "connection": request.connection,
        "form": form,
        "page": page,
        "zone": timezone.get_current_timezone_name(),
        "query": query.urlencode(),
        "csv_url": reverse("connections:connection_audit_csv", args=[request.connection.pk])
        + (f"?{query.urlencode()}" if query else ""),
    }
    return render(request, template_for(request, "connections/connection_audit.html", "table"), context)


@require_GET
@connection_view(Role.MANAGER)
def connection_audit_csv(request, connection_id):
    _form, events = _audit_queryset(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = _audit_rows(events, timezone.get_current_timezone())
    return csv_response(rows, filename=f"audit-connection-{request.connection.pk}-{stamp}.csv")


def _audit_rows(events, zone: datetime.tzinfo):
    """Rows of the audit export. Written while the response streams, after the view has returned and the
    user's time zone is no longer active: hence the zone passed in."""
    yield [f"time ({zone})", "who", "connection", "what", "action", "target", "outcome", "Qualtrics request id",
           "detail"]
    for event in events.iterator(chunk_size=500):
        yield [
            timezone.localtime(event.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
            event.actor_label,
            event.connection_label,
            action_words(event.action),
            event.action,
            event.target,
            outcome_words(event.outcome),
            event.request_id,
            event.detail,
        ]
