"""Screens of the API console. Thin: every read is a selector, every write a service."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET, require_POST

from connections.access import connection_view
from connections.models import Role
from connections.qualtrics_client import api_base_url
from connections.scoping import ConnectionViewMixin
from qualtrics import Exchange, UnsafeRequestError
from qualtrics.paths import page_request
from web.crud import CrudDeleteView
from web.errors import EXPLAINABLE_ERRORS, explain
from web.htmx import is_partial

from . import selectors, services
from .curl import curl_command
from .forms import AccessForm, ConsoleForm, SaveForm
from .models import SavedRequest
from .rendering import json_tree, pretty

PAGE = "apiconsole/console.html"


def console_view(view):
    """A console screen: the connection through the one access function (outsiders get 404), then the
    console's own rule (managers; operators where a manager allows it)."""

    @connection_view(Role.VIEWER)
    @wraps(view)
    def wrapper(request, connection_id, *args, **kwargs):
        selectors.check_console_access(connection=request.connection, role=request.connection_role)
        return view(request, connection_id, *args, **kwargs)

    return wrapper


class _ConsoleGate:
    """For class-based console screens: the console's rule, once ConnectionViewMixin resolved the connection."""

    def dispatch(self, request, *args, **kwargs):
        selectors.check_console_access(connection=self.connection, role=self.role)
        return super().dispatch(request, *args, **kwargs)


class ConsoleViewMixin(ConnectionViewMixin, _ConsoleGate):
    read_role = Role.VIEWER  # the console's own rule decides, in _ConsoleGate
    write_role = Role.VIEWER


# --- the workspace ------------------------------------------------------------------------------


def _initial(request) -> tuple[dict, dict]:
    """What the form starts with: a saved request or one of the user's calls (?saved= / ?call=), else a GET."""
    source = None
    if request.GET.get("saved"):
        source = selectors.saved_request_get(connection=request.connection, saved_id=request.GET["saved"])
    elif request.GET.get("call"):
        source = selectors.call_get(connection=request.connection, actor=request.user, call_id=request.GET["call"])
    if source is None:
        return {"method": "GET", "path": "/whoami"}, {}
    return ({"method": source.method, "path": source.path, "body": source.body},
            {"query": source.query, "headers": source.headers})


def _context(request, form: ConsoleForm, **extra) -> dict:
    connection, role = request.connection, request.connection_role
    context = {
        "connection": connection,
        "role": role,
        "is_manager": role >= Role.MANAGER,
        "api_base_url": api_base_url(connection),
        "form": form,
        "save_form": extra.pop("save_form", None) or SaveForm(),
        "saved": list(selectors.saved_requests(connection=connection)),
        "calls": list(selectors.recent_calls(connection=connection, actor=request.user)),
        "access": selectors.console_access_of(connection=connection),
    }
    if role >= Role.MANAGER:
        access = context["access"]
        context["access_form"] = AccessForm(initial={"operators_allowed": bool(access and access.operators_allowed)})
    context.update(extra)
    return context


def _workspace(request, form: ConsoleForm, **extra):
    template = f"{PAGE}#workspace" if is_partial(request) else PAGE
    return render(request, template, _context(request, form, **extra))


@require_GET
@console_view
def console(request, connection_id: int):
    initial, rows = _initial(request)
    return render(request, PAGE, _context(request, ConsoleForm(initial=initial, rows=rows)))


def confirmation_digest(request, console_request) -> str:
    """What the confirmation of a write names: this user, this connection and exactly this request."""
    fields = [request.connection.pk, request.user.pk, console_request.method, console_request.path,
              console_request.query, console_request.headers, console_request.body]
    return salted_hmac("apiconsole.confirm", json.dumps(fields)).hexdigest()


@require_POST
@console_view
def console_send(request, connection_id: int):
    """Send the request. A write (anything but GET) first shows a confirmation naming its method and path,
    and goes out only when that confirmation comes back for exactly the same request."""
    form = ConsoleForm(request.POST)
    if not form.is_valid():
        return _workspace(request, form)
    console_request = form.console_request()
    try:
        services.console_request_check(connection=request.connection, actor=request.user, request=console_request)
    except UnsafeRequestError as exc:
        return _workspace(request, _refused(request, exc))
    digest = confirmation_digest(request, console_request)
    if console_request.is_write and not constant_time_compare(request.POST.get("confirm", ""), digest):
        return _workspace(request, form, confirm={"request": console_request, "digest": digest})
    try:
        answer = services.console_call_send(connection=request.connection, actor=request.user,
                                            request=console_request)
    except UnsafeRequestError as exc:
        return _workspace(request, _refused(request, exc))
    except EXPLAINABLE_ERRORS as exc:
        return _workspace(request, form, failure=explain(exc), sent=console_request)
    return _workspace(request, form, answer=_answer(request, answer, console_request))


def _refused(request, exc: UnsafeRequestError) -> ConsoleForm:
    """The form as typed, the token masked wherever it was, with the reason for the refusal on it."""
    values = services.console_scrub(connection=request.connection, actor=request.user,
                                    values={key: request.POST.getlist(key) for key in request.POST})
    data = request.POST.copy()
    for key, items in values.items():
        data.setlist(key, items)
    form = ConsoleForm(data)
    form.is_valid()
    form.add_error(None, f"This request is refused: {exc.message}.")
    return form


def _answer(request, answer: Exchange, sent) -> dict:
    """What the answer panel shows of an exchange."""
    base_url = api_base_url(request.connection)
    following = None
    following_refused = ""
    if answer.next_page and sent.method == "GET":
        try:
            path, query = page_request(answer.next_page, base_url=base_url)
            following = {"path": path, "query": query, "headers": sent.headers}
        except UnsafeRequestError as exc:
            following_refused = exc.message
    error = None
    if answer.error is not None:
        error = {**explain(answer.error), "title": f"Qualtrics answered {answer.status} {answer.reason}".strip()}
    meta = answer.meta
    return {
        "exchange": answer,
        "sent": sent,
        "ok": answer.ok,
        "duration_ms": round(answer.duration_s * 1000),
        "error": error,
        "envelope_error": meta.get("error") if isinstance(meta.get("error"), dict) else None,
        "http_status": meta.get("httpStatus") or "",
        "notice": meta.get("notice") or "",
        "tree": json_tree(answer.text) if answer.text else None,
        "raw": pretty(answer.text) if answer.text else "",
        "size": len(answer.text.encode("utf-8")),
        "next": following,
        "next_refused": following_refused,
        "curl": curl_command(base_url=base_url, method=sent.method, path=sent.path, query=sent.query,
                             headers=sent.headers, body=sent.body, bearer=request.connection.uses_oauth),
    }


@require_POST
@console_view
def console_curl(request, connection_id: int):
    """The form's request as a curl command (nothing is sent)."""
    form = ConsoleForm(request.POST)
    context = {"form": form, "curl": None, "curl_errors": []}
    if form.is_valid():
        try:
            context["curl"] = services.console_curl(connection=request.connection, actor=request.user,
                                                    request=form.console_request())
        except UnsafeRequestError as exc:
            context["curl_errors"] = [f"This request is refused: {exc.message}."]
    else:
        context["curl_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, f"{PAGE}#curl", context)


@require_POST
@console_view
def console_save(request, connection_id: int):
    form = ConsoleForm(request.POST)
    save_form = SaveForm(request.POST)
    if not (form.is_valid() & save_form.is_valid()):
        return _workspace(request, form, save_form=save_form)
    try:
        services.console_request_check(connection=request.connection, actor=request.user,
                                       request=form.console_request())
    except UnsafeRequestError as exc:
        return _workspace(request, _refused(request, exc), save_form=save_form)
    saved = services.saved_request_save(connection=request.connection, actor=request.user,
                                        name=save_form.cleaned_data["name"], request=form.console_request())
    messages.success(request, f"Saved “{saved.name}”; everyone who may use this console sees it.")
    return _workspace(request, form, save_form=SaveForm())


@require_POST
@connection_view(Role.MANAGER)
def console_access(request, connection_id: int):
    form = AccessForm(request.POST)
    form.is_valid()
    allowed = bool(form.cleaned_data.get("operators_allowed"))
    services.console_access_set(connection=request.connection, actor=request.user, role=request.connection_role,
                                operators_allowed=allowed)
    messages.success(request, "Operators may now use this console." if allowed else
                     "Only managers may use this console now.")
    return HttpResponseRedirect(reverse("apiconsole:console", kwargs={"connection_id": connection_id}))


class SavedRequestDeleteView(ConsoleViewMixin, CrudDeleteView):
    resource = "apiconsole:saved"
    verbose_name = "saved request"
    object_kwarg = "saved_id"
    has_detail = False

    def get_object(self) -> SavedRequest:
        return selectors.saved_request_get(connection=self.connection, saved_id=self.kwargs["saved_id"])

    def object_label(self, obj) -> str:
        return obj.name

    def consequences(self, obj):
        yield f"{obj.method} {obj.path} is no longer offered to anyone using this console."

    def list_url(self) -> str:
        return reverse("apiconsole:console", kwargs={"connection_id": self.connection.pk})

    def delete(self, obj) -> None:
        services.saved_request_delete(saved=obj, actor=self.request.user, role=self.role)
