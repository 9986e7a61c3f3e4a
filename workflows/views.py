"""Screens of the workflows app. Thin: every read is a selector, every write a service.

Every screen needs the operator role: a trigger URL is itself a way to start the workflow, so viewers see
none of them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from connections.scoping import ConnectionViewMixin
from qualtrics import Page
from web.crud import Column, CrudDeleteView, CrudDetailView, CrudFormView, CrudListView, queryset_page
from web.errors import EXPLAINABLE_ERRORS, ExplainableError, explain, explained, handles_errors
from web.forms import add_service_error
from web.htmx import is_partial, stop_polling
from web.params import whole_number

from . import selectors, services
from .forms import ListRunForm, SearchRunForm, SendOneForm, TriggerForm
from .models import ItemState, Run, RunKind, RunState, Trigger
from .payloads import contact_label

RUN_BADGES = {
    RunState.PLANNING: "text-bg-info",
    RunState.SENDING: "text-bg-info",
    RunState.HELD: "badge-soft-warn",
    RunState.DONE: "badge-soft-ok",
    RunState.CANCELLED: "badge-soft-muted",
}
ITEM_BADGES = {
    ItemState.PENDING: "badge-soft-muted",
    ItemState.SENDING: "text-bg-info",
    ItemState.SENT: "badge-soft-ok",
    ItemState.FAILED: "badge-soft-bad",
    ItemState.IN_DOUBT: "badge-soft-warn",
    ItemState.CANCELLED: "badge-soft-muted",
}


def _with_badge(obj, badges: dict):
    obj.badge_class = badges.get(obj.state, "")
    return obj


def _redirect(request, url: str):
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


def contact_query(request) -> dict[str, str]:
    """The contact a screen was opened for (from a contact's page), as query parameters to carry along."""
    directory_id = (request.GET.get("directory_id") or "").strip()[:40]
    contact_id = (request.GET.get("contact_id") or "").strip()[:40]
    return {"directory_id": directory_id, "contact_id": contact_id} if directory_id and contact_id else {}


class WorkflowsMixin(ConnectionViewMixin):
    resource = "workflows:trigger"
    verbose_name = "trigger"
    object_kwarg = "trigger_id"
    read_role = Role.OPERATOR
    write_role = Role.OPERATOR

    def get_object(self) -> Trigger:
        return selectors.trigger_get(connection=self.connection, trigger_id=self.kwargs["trigger_id"])


# --- triggers ------------------------------------------------------------------------------------


class TriggerListView(WorkflowsMixin, CrudListView):
    template_name = "workflows/trigger_list.html"
    default_page_size = 25
    empty_message = "No triggers yet. Add one with the URL of a workflow's JSON event trigger."
    create_label = "New trigger"
    columns = [
        Column("Trigger", "name", link=True, sort="name"),
        Column("Authentication", lambda t: t.get_auth_display(), css="small"),
        Column("URL form", "url_form", kind="badge"),
        Column("Runs", "run_count", kind="number", sort="run_count"),
        Column("Last run", "last_run_at", kind="datetime", css="text-nowrap", sort="last_run_at"),
    ]

    def fetch_page(self, *, cursor, page_size, search) -> Page:
        return queryset_page(self.sorted(selectors.trigger_list(connection=self.connection)), cursor=cursor,
                             page_size=page_size)

    def row_url(self, item) -> str:
        url = item.get_absolute_url()
        contact = contact_query(self.request)
        return f"{url}?{urlencode(contact)}" if contact else url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["for_contact"] = contact_query(self.request)
        return context


class TriggerFormView(WorkflowsMixin, CrudFormView):
    template_name = "workflows/trigger_form.html"
    form_class = TriggerForm
    success_message = "Saved the trigger “{name}”."

    def initial_from(self, obj: Trigger) -> dict:
        return {"name": obj.name, "description": obj.description, "url": obj.url, "auth": obj.auth,
                "payload_template": obj.payload_template}

    def save(self, form):
        fields = {k: form.cleaned_data[k] for k in ("name", "description", "url", "auth", "payload_template")}
        if self.is_create:
            return services.trigger_create(connection=self.connection, actor=self.request.user, **fields)
        return services.trigger_update(trigger=self.object, actor=self.request.user, **fields)

    def detail_url(self, obj) -> str:
        trigger_id = obj.pk if isinstance(obj, Trigger) else obj
        return reverse("workflows:trigger_detail", kwargs={"connection_id": self.connection.pk,
                                                           "trigger_id": trigger_id})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["username"] = services.connection_username(self.connection)
        return context


class TriggerInUseError(ExplainableError):
    title = "The trigger is in use"


class TriggerDeleteView(WorkflowsMixin, CrudDeleteView):
    def consequences(self, obj: Trigger):
        yield "Its run history goes with it (the audit trail keeps what was sent)."
        yield "The workflow in Qualtrics is not changed."

    def delete(self, obj: Trigger) -> None:
        try:
            services.trigger_delete(trigger=obj, actor=self.request.user)
        except services.TriggerInUse as exc:
            raise TriggerInUseError(exc.messages[0]) from None


class TriggerDetailView(WorkflowsMixin, CrudDetailView):
    """The trigger, the form to send one event, the forms to start a run, and the run history.

    The same screen answers the forms it holds (`action` is set per URL): "send" sends one event and shows
    Qualtrics' answer; "list" and "search" start a run and go to its progress.
    """

    template_name = "workflows/trigger_detail.html"
    action = ""

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_page(self.context_for(self.object))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.action == "send":
            return self.send(request)
        if self.action in (RunKind.LIST, RunKind.SEARCH):
            return self.start_run(request)
        return HttpResponseNotAllowed(["GET"])

    @property
    def lists_url(self) -> str:
        return reverse("workflows:mailing_list_options", kwargs={"connection_id": self.connection.pk})

    @cached_property
    def directories(self):
        return explained(selectors.directory_choices, connection=self.connection, actor=self.request.user)

    def context_for(self, trigger: Trigger, **extra) -> dict:
        contact_params = contact_query(self.request)
        contact, contact_error = None, None
        if contact_params:
            contact, contact_error = explained(selectors.contact_get, connection=self.connection,
                                               actor=self.request.user, **contact_params)
        if "send_form" not in extra:
            payload = services.payload_for_contact(trigger=trigger, contact=contact,
                                                   directoryId=contact_params.get("directory_id") or None)
            extra["send_form"] = SendOneForm(initial={
                "payload": payload, "contact_id": (contact or {}).get("contactId", ""),
                "label": contact_label(contact) if contact else "",
            })
        directories, directories_error = self.directories
        extra.setdefault("list_form", ListRunForm(directories=directories or (), lists_url=self.lists_url))
        extra.setdefault("search_form", SearchRunForm(directories=directories or ()))
        return self.get_context_data(
            object=trigger,
            trigger=trigger,
            contact=contact,
            contact_error=contact_error,
            directories_error=directories_error,
            runs=[_with_badge(run, RUN_BADGES) for run in selectors.runs_of(trigger=trigger)],
            active_run=selectors.active_run_of(trigger=trigger),
            username=services.connection_username(self.connection),
            **extra,
        )

    def send(self, request):
        """Send one event now and show Qualtrics' answer."""
        form = SendOneForm(request.POST)
        item, error = None, None
        if form.is_valid():
            try:
                item = _with_badge(services.run_send_one(
                    trigger=self.object, actor=request.user, payload=form.cleaned_data["payload"],
                    contact_id=form.cleaned_data["contact_id"], label=form.cleaned_data["label"],
                ), ITEM_BADGES)
            except ValidationError as exc:
                add_service_error(form, exc)
            except EXPLAINABLE_ERRORS as exc:
                error = explain(exc)
        if is_partial(request):
            context = self.get_context_data(trigger=self.object, send_form=form, item=item, send_error=error)
            return render(request, f"{self.template_name}#send", context)
        return render(request, self.template_name,
                      self.context_for(self.object, send_form=form, item=item, send_error=error))

    def start_run(self, request):
        """Start sending the trigger's event to every member of a list, or every contact a search finds."""
        directories = self.directories[0] or ()
        lists = ()
        if self.action == RunKind.LIST:
            directory_id = request.POST.get("directory_id", "")
            if directory_id:
                lists = explained(selectors.mailing_list_choices, connection=self.connection, actor=request.user,
                                  directory_id=directory_id)[0] or ()
            form = ListRunForm(request.POST, directories=directories, lists=lists, lists_url=self.lists_url)
        else:
            form = SearchRunForm(request.POST, directories=directories)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if self.action == RunKind.LIST:
                    run = services.run_start_list(
                        trigger=self.object, actor=request.user, directory_id=data["directory_id"],
                        mailing_list_id=data["mailing_list_id"],
                        mailing_list_name=dict(lists).get(data["mailing_list_id"], "").rsplit(" (", 1)[0],
                        skip_opted_out=data["skip_opted_out"],
                    )
                else:
                    run = services.run_start_search(
                        trigger=self.object, actor=request.user, directory_id=data["directory_id"],
                        field=data["field"], comparison=data["comparison"], value=data["value"], key=data["key"],
                        skip_opted_out=data["skip_opted_out"],
                    )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Started: {run.source_label}. Events go out as the members are read.")
                return _redirect(request, run.get_absolute_url())
        key = "list_form" if self.action == RunKind.LIST else "search_form"
        return render(request, self.template_name, self.context_for(self.object, **{key: form},
                                                                     open_tab=self.action))


def _picker_error(request, exc, **_kwargs):
    return render(request, "workflows/list_options.html",
                  {"choices": [], "empty": f"Could not load: {explain(exc)['title']}"})


@require_GET
@connection_view(Role.OPERATOR)
@handles_errors(_picker_error)
def mailing_list_options(request, connection_id: int):
    directory_id = (request.GET.get("directory_id") or "").strip()
    if not directory_id:
        return render(request, "workflows/list_options.html", {"choices": [], "empty": "— choose a directory —"})
    choices = selectors.mailing_list_choices(connection=request.connection, actor=request.user,
                                             directory_id=directory_id)
    # The select sends its own value along: a list already chosen stays chosen when the options come again.
    return render(request, "workflows/list_options.html", {"choices": choices, "empty": "— choose a mailing list —",
                                                           "selected": request.GET.get("mailing_list_id", "")})


# --- runs ----------------------------------------------------------------------------------------


def run_badge(run: Run):
    return format_html('<span class="badge {}" data-state="{}">{}</span>', RUN_BADGES.get(run.state, ""), run.state,
                       run.get_state_display())


def _run_context(request, run: Run) -> dict:
    single = selectors.run_single_item(run=run)
    return {
        "connection": request.connection,
        "run": run,
        "trigger": run.trigger,
        "badge": run_badge(run),
        "progress": selectors.run_progress(run=run),
        "problems": [_with_badge(item, ITEM_BADGES) for item in selectors.run_problems(run=run)],
        "single": single and _with_badge(single, ITEM_BADGES),
        "polling": run.is_active and run.state != RunState.HELD,
    }


@require_GET
@connection_view(Role.OPERATOR)
def run_detail(request, connection_id: int, run_id: int):
    """A run's progress (polled every 2 s while it works), then its outcome, with the failures to retry."""
    run = selectors.run_get(connection=request.connection, run_id=run_id)
    context = _run_context(request, run)
    if request.GET.get("partial") == "progress":
        response = render(request, "workflows/run_detail.html#progress", context)
        return response if context["polling"] else stop_polling(response)
    return render(request, "workflows/run_detail.html", context)


@require_POST
@connection_view(Role.OPERATOR)
def run_retry(request, connection_id: int, run_id: int):
    run = selectors.run_get(connection=request.connection, run_id=run_id)
    item_ids, states = None, (ItemState.FAILED, ItemState.IN_DOUBT)
    if request.POST.get("item"):
        item = whole_number(request.POST["item"], 0, maximum=2**31 - 1)
        item_ids = [item] if item else []
    elif request.POST.get("which") in (ItemState.FAILED, ItemState.IN_DOUBT):
        states = (request.POST["which"],)
    count = services.run_retry(run=run, actor=request.user, item_ids=item_ids, states=states)
    if count:
        messages.success(request, f"Sending {count} event{'s' if count != 1 else ''} again.")
    else:
        messages.info(request, "Nothing to send again: no event of this run failed.")
    return _redirect(request, run.get_absolute_url())


@require_POST
@connection_view(Role.OPERATOR)
def run_cancel(request, connection_id: int, run_id: int):
    run = selectors.run_get(connection=request.connection, run_id=run_id)
    try:
        dropped = services.run_cancel(run=run, actor=request.user)
    except services.RunStateError as exc:
        messages.warning(request, exc.messages[0])
    else:
        messages.info(request, f"Cancelled: {dropped:,} event(s) will not be sent; those on their way finish.")
    return _redirect(request, run.get_absolute_url())


@require_POST
@connection_view(Role.OPERATOR)
def run_resume(request, connection_id: int, run_id: int):
    run = selectors.run_get(connection=request.connection, run_id=run_id)
    try:
        services.run_resume(run=run, actor=request.user)
    except services.RunStateError as exc:
        messages.warning(request, exc.messages[0])
    else:
        messages.success(request, "Resumed.")
    return _redirect(request, run.get_absolute_url())
