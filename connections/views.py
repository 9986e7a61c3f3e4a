"""Connection screens. Thin: the access function decides, services and selectors do the work."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from qualtrics.errors import AuthenticationError
from web.csv import csv_response
from web.errors import EXPLAINABLE_ERRORS, error_text, explain
from web.forms import add_service_error
from web.htmx import is_partial, template_for

from . import selectors, services
from .access import connection_view
from .context_processors import SECTIONS, section_url, sections_for
from .forms import AuditFilterForm, ConnectionForm, PendingToken, RotateForm, ShareForm
from .models import Role

SECTION_LABELS = {section.name: section.label for section in SECTIONS}
AUDIT_PAGE_SIZE = 50


def _redirect(request, url: str):
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _show_refusal(form, exc: Exception) -> None:
    """What a service refused, on the form. A token of another brand waits for the user to confirm the
    change; a token Qualtrics rejects is the token field's error."""
    if isinstance(exc, services.BrandMismatchError):
        form.ask_brand_confirmation()
        form.add_error(None, exc.message_dict["token"][0])
    elif isinstance(exc, AuthenticationError) and "token" in form.fields:
        form.add_error("token", error_text(exc))
    else:
        add_service_error(form, exc)


# --- list / detail -----------------------------------------------------------------------------


@require_GET
def connection_list(request):
    search = (request.GET.get("q") or "").strip()[:100]
    section = request.GET.get("section") or ""
    section_label = SECTION_LABELS.get(section, "")
    rows = selectors.connection_rows_for(request.user, search=search)
    for connection in rows:
        connection.open_url = (
            reverse("connections:connection_switch", args=[connection.pk]) + f"?section={section}"
            if section_label
            else connection.get_absolute_url()
        )
    context = {
        "rows": rows,
        "search": search,
        "section": section if section_label else "",
        "section_label": section_label,
        "limit_reached": services.connection_limit_reached(),
        "limit_message": services.connection_limit_message(),
    }
    return render(request, template_for(request, "connections/connection_list.html", "table"), context)


@require_GET
@connection_view(Role.VIEWER)
def connection_detail(request, connection_id):
    connection = request.connection
    context = {
        "connection": connection,
        "role": request.connection_role,
        "is_manager": request.connection_role >= Role.MANAGER,
        "shares": selectors.shares_of(connection),
        "recipients": services.alert_recipients(connection) if request.connection_role >= Role.MANAGER else [],
        "dependents": [work for work in selectors.dependents_of(connection) if work.items],
        "sections": [
            {"label": s.label,
             "url": reverse("connections:connection_switch", args=[connection.pk]) + f"?section={s.name}"}
            for s in sections_for(request.user, connection, request.connection_role)
            if s.name != "audit"  # the audit trail has its own button (managers only)
        ],
    }
    partial = request.GET.get("partial")
    if is_partial(request):
        partial = partial if partial in {"shares", "status"} else "content"
        return render(request, f"connections/connection_detail.html#{partial}", context)
    return render(request, "connections/connection_detail.html", context)


@require_GET
@connection_view(Role.VIEWER)
def connection_switch(request, connection_id):
    """Make this the current connection and open the section asked for (or the connection itself)."""
    request.session[selectors.SESSION_KEY] = request.connection.pk
    section = request.GET.get("section") or ""
    url = None
    allowed = {s.name for s in sections_for(request.user, request.connection, request.connection_role)}
    if section in allowed:
        url = section_url(section, request.connection.pk)
    return _redirect(request, url or request.connection.get_absolute_url())


# --- create / edit -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def connection_create(request):
    pending = PendingToken(request, "create")
    if request.method == "GET":
        pending.clear()
    form = ConnectionForm(request.POST or None, pending=pending)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(
                owner=request.user, token=form.cleaned_data["token"], **_create_fields(form)
            )
        except (ValidationError, *EXPLAINABLE_ERRORS) as exc:
            _show_refusal(form, exc)
            if isinstance(exc, AuthenticationError):
                form.forget_pending_token()
        else:
            form.forget_pending_token()
            request.session[selectors.SESSION_KEY] = connection.pk
            messages.success(
                request,
                f"Connection “{connection.name}” saved: Qualtrics accepted the token "
                f"(brand {connection.brand_id or '?'}, user {connection.qualtrics_user_name or '?'}).",
            )
            return _redirect(request, connection.get_absolute_url())
    if request.method == "POST":
        form.keep_pending_token()
    context = {
        "form": form,
        "is_create": True,
        "form_title": "New connection",
        "cancel_url": reverse("connections:connection_list"),
        "limit_reached": services.connection_limit_reached(),
        "limit_message": services.connection_limit_message(),
    }
    return render(request, template_for(request, "connections/connection_form.html", "form"), context)


def _create_fields(form) -> dict:
    fields = form.service_fields()
    fields.pop("confirm_brand_change", None)
    return fields


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def connection_edit(request, connection_id):
    connection = request.connection
    pending = PendingToken(request, f"edit:{connection.pk}")
    if request.method == "GET":
        pending.clear()
    form = ConnectionForm(request.POST or None, instance=connection, pending=pending)
    if request.method == "POST" and form.is_valid():
        fields = _create_fields(form)
        try:
            connection = services.connection_update(
                connection=connection,
                actor=request.user,
                token=form.cleaned_data["token"],
                confirm_brand_change=form.cleaned_data.get("confirm_brand_change", False),
                **fields,
            )
        except (ValidationError, *EXPLAINABLE_ERRORS) as exc:
            _show_refusal(form, exc)
            if isinstance(exc, AuthenticationError):
                form.forget_pending_token()
        else:
            form.forget_pending_token()
            messages.success(request, f"Connection “{connection.name}” saved.")
            return _redirect(request, connection.get_absolute_url())
    if request.method == "POST":
        form.keep_pending_token()
    context = {
        "form": form,
        "connection": connection,
        "object": connection,
        "is_create": False,
        "form_title": f"Edit “{connection.name}”",
        "cancel_url": connection.get_absolute_url(),
    }
    return render(request, template_for(request, "connections/connection_form.html", "form"), context)


# --- test / rotate / datacenter ------------------------------------------------------------------


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
            f"Qualtrics accepted the token: brand {connection.brand_id}, user {connection.qualtrics_user_name}.",
        )
    else:
        messages.error(request, error_text(result.error))
    return HttpResponseRedirect(connection.get_absolute_url())


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def connection_rotate(request, connection_id):
    connection = request.connection
    pending = PendingToken(request, f"rotate:{connection.pk}")
    if request.method == "GET":
        pending.clear()
    form = RotateForm(request.POST or None, pending=pending, initial={"expires_on": connection.expires_on})
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_rotate(
                connection=connection,
                actor=request.user,
                token=form.cleaned_data["token"],
                confirm_brand_change=form.cleaned_data["confirm_brand_change"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except (ValidationError, *EXPLAINABLE_ERRORS) as exc:
            _show_refusal(form, exc)
            if isinstance(exc, AuthenticationError):
                form.forget_pending_token()
        else:
            form.forget_pending_token()
            messages.success(
                request,
                f"Token of “{connection.name}” replaced ({connection.token_mask}). Work already under way "
                "continues with the new token.",
            )
            return _redirect(request, connection.get_absolute_url())
    if request.method == "POST":
        form.keep_pending_token()
    context = {
        "form": form,
        "connection": connection,
        "object": connection,
        "is_create": False,
        "form_title": f"Rotate the token of “{connection.name}”",
        "cancel_url": connection.get_absolute_url(),
    }
    return render(request, template_for(request, "connections/connection_rotate.html", "form"), context)


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


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def connection_delete(request, connection_id):
    connection = request.connection
    if request.method == "POST":
        name = connection.name
        cancelled = services.connection_delete(connection=connection, actor=request.user)
        if request.session.get(selectors.SESSION_KEY) == int(connection_id):
            request.session.pop(selectors.SESSION_KEY, None)
        request.connection = None  # gone: the layout must not offer it as the current connection
        text = f"Connection “{name}” deleted."
        text += "".join(f" Cancelled {work.summary()}." for work in cancelled)
        messages.success(request, text)
        return _redirect(request, reverse("connections:connection_list"))
    context = {
        "connection": connection,
        "object": connection,
        "object_label": connection.name,
        "verbose_name": "connection",
        "consequences": _delete_consequences(connection),
        "error": None,
        "cancel_url": connection.get_absolute_url(),
    }
    return render(request, template_for(request, "crud/confirm_delete.html", "confirm"), context)


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


@require_GET
@connection_view(Role.MANAGER)
def connection_audit(request, connection_id):
    form, events = _audit_queryset(request)
    paginator = Paginator(events, AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
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
    yield [f"time ({zone})", "who", "connection", "action", "target", "outcome", "Qualtrics request id", "detail"]
    for event in events.iterator(chunk_size=500):
        yield [
            timezone.localtime(event.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
            event.actor_label,
            event.connection_label,
            event.action,
            event.target,
            event.get_outcome_display(),
            event.request_id,
            event.detail,
        ]
