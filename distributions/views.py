"""Screens of the distributions app. Thin: every read is a selector, every write a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from connections.access import connection_view
from connections.models import Role
from connections.qualtrics_client import connection_client
from connections.scoping import ConnectionViewMixin
from web.crud import (
    Column,
    CrudDeleteView,
    CrudDetailView,
    CrudListView,
    ResourceMixin,
    queryset_page,
)
from web.errors import EXPLAINABLE_ERRORS, explain, explained, handles_errors
from web.forms import add_service_error
from web.htmx import is_partial, stop_polling
from web.page_keys import sign_cursor, unsign_cursor
from web.params import whole_number

from . import guardrails, pickers, selectors, services
from .forms import DistributionFilterForm, EmailDistributionForm, SmsDistributionForm
from .models import FINAL_STATES, Channel, Distribution, Kind, State

STATE_BADGES = {
    State.DRAFT: "badge-soft-muted",
    State.SCHEDULED: "text-bg-primary",
    State.QUEUED: "text-bg-info",
    State.SENDING: "text-bg-info",
    State.CHECKING: "badge-soft-warn",
    State.SENT: "badge-soft-ok",
    State.FAILED: "badge-soft-bad",
    State.CANCELLED: "badge-soft-muted",
    State.HELD: "badge-soft-warn",
}


def state_badge(d: Distribution):
    return format_html('<span class="badge {}" data-state="{}">{}</span>', STATE_BADGES.get(d.state, ""),
                       d.state, d.get_state_display())


class DistributionMixin(ConnectionViewMixin):
    resource = "distributions:distribution"
    verbose_name = "distribution"
    object_kwarg = "distribution_id"

    def get_object(self) -> Distribution:
        return selectors.distribution_get(connection=self.connection, distribution_id=self.kwargs["distribution_id"])


# --- list -------------------------------------------------------------------------------------


class DistributionListView(DistributionMixin, CrudListView):
    template_name = "distributions/distribution_list.html"
    search_form_class = DistributionFilterForm
    default_page_size = 25
    empty_message = "No distributions yet. Compose an e-mail or SMS distribution to schedule your first."
    columns = [
        Column("Distribution", str, link=True),
        Column("Channel", lambda d: d.get_channel_display(), kind="badge", sort="channel"),
        Column("Survey", lambda d: d.survey_name or d.survey_id, sort="survey_name"),
        Column("Recipients", lambda d: d.recipients_label, css="text-body-secondary small"),
        Column("Send at", "send_at", kind="datetime", css="text-nowrap", sort="send_at"),
        Column("State", state_badge),
        Column("Qualtrics ID", "qualtrics_id", kind="mono"),
    ]

    def fetch_page(self, *, cursor, page_size, search):
        qs = selectors.distribution_list(
            connection=self.connection,
            state=search.get("state", ""),
            channel=search.get("channel", ""),
            survey=search.get("survey", ""),
            sent_from=search.get("sent_from"),
            sent_to=search.get("sent_to"),
            search=search.get("q", ""),
        )
        return queryset_page(self.sorted(qs), cursor=cursor, page_size=page_size)

    def row_url(self, item) -> str:
        return item.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["create_email_url"] = self.action_url("distribution_create_email") if self.can_write else None
        context["create_sms_url"] = self.action_url("distribution_create_sms") if self.can_write else None
        return context

    def action_url(self, name: str) -> str:
        return reverse(f"distributions:{name}", kwargs={"connection_id": self.connection.pk})


# --- detail -----------------------------------------------------------------------------------


class DistributionDetailView(DistributionMixin, CrudDetailView):
    template_name = "distributions/distribution_detail.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if request.GET.get("partial") == "status":
            return self.status(request)
        return self.render_page(self.get_context_data(object=self.object))

    def status(self, request):
        """The polled status line: reload the page when the state changed, stop polling when final."""
        seen = request.GET.get("seen", "")
        if seen and seen != self.object.state:
            return HttpResponseClientRefresh()
        response = render(request, f"{self.template_name}#status", self.get_context_data(object=self.object))
        return stop_polling(response) if self.object.state in FINAL_STATES else response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        d = self.object
        stale = d.state == State.SENT and (
            d.stats_refreshed_at is None or (timezone.now() - d.stats_refreshed_at).total_seconds() > 60
        )
        context.update(
            d=d,
            badge=state_badge(d),
            events=list(d.events.select_related("actor")),
            follow_ups=list(selectors.follow_ups_of(d)),
            funnel=selectors.stats_funnel(d.qualtrics_stats),
            stats_stale=stale,
            polling=d.state not in FINAL_STATES and d.state != State.DRAFT,
            urls=self.action_urls(d),
        )
        return context

    def action_urls(self, d: Distribution) -> dict[str, str]:
        kw = {"connection_id": self.connection.pk, "distribution_id": d.pk}
        urls = {
            "edit": reverse("distributions:distribution_edit", kwargs=kw),
            "cancel": reverse("distributions:distribution_cancel", kwargs=kw),
            "duplicate": reverse("distributions:distribution_duplicate", kwargs=kw),
            "refresh": reverse("distributions:distribution_refresh", kwargs=kw),
            "history": reverse("distributions:distribution_history", kwargs=kw),
        }
        pk = {"connection_id": self.connection.pk, "parent_id": d.pk}
        if d.channel == Channel.EMAIL:
            urls["reminder"] = reverse("distributions:distribution_reminder", kwargs=pk)
            urls["thankyou"] = reverse("distributions:distribution_thankyou", kwargs=pk)
        else:
            base = reverse("distributions:distribution_create_sms", kwargs={"connection_id": self.connection.pk})
            urls["reminder"] = f"{base}?parent={d.pk}&method=reminder"
            urls["thankyou"] = f"{base}?parent={d.pk}&method=thankyou"
        return urls


# --- compose ----------------------------------------------------------------------------------


class DistributionComposeView(DistributionMixin, ResourceMixin, FormView):
    """Create (e-mail, SMS, reminder, thank-you) and edit, with a preview step before scheduling.

    Buttons post `action`: "preview" shows who and what it would send; "schedule" needs the preview
    of exactly these values (else the preview is shown again); "draft" saves without scheduling.
    """

    template_name = "distributions/distribution_form.html"
    partial = "form"
    write_screen = True
    channel: str = Channel.EMAIL
    kind: str = Kind.INVITE

    @property
    def is_create(self) -> bool:
        return "distribution_id" not in self.kwargs

    @cached_property
    def object(self) -> Distribution | None:
        if self.is_create:
            return None
        d = self.get_object()
        if not d.is_editable:
            raise PermissionDenied(
                f"This distribution is {d.get_state_display().lower()}, so it can no longer be changed. "
                "Duplicate it to send a changed copy."
            )
        return d

    @cached_property
    def parent(self) -> Distribution | None:
        if self.object is not None:
            return self.object.parent
        parent_id = self.kwargs.get("parent_id") or self.request.GET.get("parent")
        if not parent_id:
            return None
        parent = selectors.distribution_get(connection=self.connection, distribution_id=parent_id)
        if not parent.can_follow_up:
            raise PermissionDenied(
                "Reminders and thank-yous follow a sent invite; this distribution is "
                f"{parent.get_state_display().lower()}."
            )
        return parent

    def form_channel(self) -> str:
        return self.object.channel if self.object is not None else self.channel

    def form_kind(self) -> str:
        if self.object is not None:
            return self.object.kind
        method = self.request.GET.get("method", "")
        if self.form_channel() == Channel.SMS and method in Kind.values:
            return method
        return self.kind

    def get_form_class(self):
        return SmsDistributionForm if self.form_channel() == Channel.SMS else EmailDistributionForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(connection=self.connection, kind=self.form_kind(), parent=self.parent, instance=self.object)
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.object is None:
            user = self.request.user
            if self.form_channel() == Channel.EMAIL:
                initial.update(link_type="Individual", from_name=user.get_full_name() or "",
                               from_email="noreply@qualtrics.com", reply_to_email=user.email or "")
                if self.parent is not None:
                    initial.update(from_name=self.parent.from_name, from_email=self.parent.from_email,
                                   reply_to_email=self.parent.reply_to_email)
            elif self.parent is not None:
                word = "Reminder" if self.form_kind() == Kind.REMINDER else "Thank you"
                initial.update(name=f"{word}: {self.parent.name}"[:80], survey_id=self.parent.survey_id)
            directory_id, error = explained(pickers.default_directory, self.connection)
            if error is None:  # else the directory picker explains it
                initial.setdefault("directory_id", directory_id)
        return initial

    def title(self) -> str:
        if self.object is not None:
            return f"Edit “{self.object}”"
        channel = "SMS" if self.form_channel() == Channel.SMS else "e-mail"
        kind = self.form_kind()
        if self.parent is not None and kind in (Kind.REMINDER, Kind.THANKYOU):
            word = "reminder" if kind == Kind.REMINDER else "thank-you"
            return f"New {channel} {word} for “{self.parent}”"
        return f"New {channel} distribution"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context.update(
            form_title=self.title(),
            object=self.object,
            parent=self.parent,
            channel=self.form_channel(),
            kind=form.current_kind(),
            is_follow_up=form.current_kind() in (Kind.REMINDER, Kind.THANKYOU),
            cancel_url=self.object.get_absolute_url() if self.object else
            (self.parent.get_absolute_url() if self.parent else self.list_url()),
            message_category=form.message_category(),
            subject_category=form.message_category(subject=True),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        action = request.POST.get("action", "preview")
        if not form.check_rules(for_draft=action == "draft"):
            return self.render_form(form)
        if action == "schedule" and not form.previewed():
            action = "preview"
            form.stale_preview = True
        if action == "preview":
            return self.render_preview(form)
        if action == "schedule":
            # The guardrails are checked again as the schedule is asked for: the survey or the list may have
            # changed since the preview, and a blocked or unacknowledged preview must not be scheduled.
            preview, error, checks = self.preview_with_guardrails(form)
            acknowledged = self.request.POST.get("send_anyway") == "on"
            if error is not None or checks.blocks or (checks.warnings and not acknowledged):
                return self.render_form(form, preview=preview, preview_error=error, checks=checks,
                                        digest=form.digest(), needs_acknowledgement=bool(checks.warnings))
        return self.save(form, schedule=action == "schedule")

    def render_form(self, form, **extra):
        return self.render_page(self.get_context_data(form=form, **extra))

    def preview_with_guardrails(self, form):
        """The preview, and what it blocks or warns about (Guardrails()) when it could be made."""
        candidate = form.candidate()
        preview, error = explained(selectors.distribution_preview, candidate)
        if error is not None:
            return None, error, guardrails.Guardrails()
        survey, error = explained(guardrails.survey_of, candidate, actor=self.request.user)
        if error is not None:
            return None, error, guardrails.Guardrails()
        return preview, None, guardrails.guardrails(candidate, preview, survey=survey)

    def render_preview(self, form):
        preview, error, checks = self.preview_with_guardrails(form)
        return self.render_form(form, preview=preview, preview_error=error, checks=checks, digest=form.digest(),
                                stale_preview=getattr(form, "stale_preview", False))

    def save(self, form, *, schedule: bool):
        user = self.request.user
        try:
            if self.object is None:
                parent = form.parent_value()
                d = services.distribution_create(
                    connection=self.connection, actor=user, channel=self.form_channel(), kind=form.current_kind(),
                    fields=form.composed(), parent=parent, schedule=schedule,
                )
            else:
                d = services.distribution_update(distribution=self.object, actor=user, fields=form.composed(),
                                                 schedule=schedule)
        except services.DistributionInvalid as exc:
            for field, problems in exc.problems.items():
                for problem in problems:
                    form.add_rule_error(field, problem)
            return self.render_form(form)
        except services.DistributionStateError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form)
        except EXPLAINABLE_ERRORS as exc:
            add_service_error(form, exc)
            return self.render_form(form)
        if schedule:
            when = "now" if d.send_at <= timezone.now() else \
                timezone.localtime(d.send_at).strftime("for %-d %b %Y at %H:%M %Z")
            messages.success(self.request, f"Scheduled “{d}” {when}.")
        else:
            messages.success(self.request, f"Saved “{d}” as a draft.")
        url = d.get_absolute_url()
        return HttpResponseClientRedirect(url) if is_partial(self.request) else HttpResponseRedirect(url)


# --- cancel, duplicate, schedule a draft, stats, history ------------------------------------------


class DistributionCancelView(DistributionMixin, CrudDeleteView):
    template_name = "distributions/distribution_cancel.html"
    partial = "confirm"
    success_message = "Cancelled “{name}”."

    def object_label(self, obj) -> str:
        return str(obj)

    def consequences(self, obj):
        if obj.state == State.DRAFT:
            yield "The draft stays in the list as cancelled."
        else:
            yield f"It will not be sent (it was due {services.compose.when_text(obj.send_at)})."
        yield "It stays in the list as cancelled; you can duplicate it later."

    def after_delete_url(self, obj) -> str:
        return obj.get_absolute_url()

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        if not obj.is_cancellable:
            return self.render_page(self.context_for(obj, error=_state_error(obj, "cancelled")))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            services.distribution_cancel(distribution=obj, actor=request.user)
        except services.DistributionStateError as exc:
            return self.render_page(self.context_for(obj, error=_state_error(obj, "cancelled", str(exc))))
        messages.success(request, self.success_message.format(name=obj))
        url = obj.get_absolute_url()
        return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


def _state_error(d: Distribution, verb: str, message: str = "") -> dict:
    return {
        "title": f"It can no longer be {verb}",
        "hint": message or f"It is {d.get_state_display().lower()}.",
        "message": "", "code": "", "request_id": "", "status": None,
    }


def _redirect(request, url: str):
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


@require_POST
@connection_view(Role.OPERATOR)
def distribution_duplicate(request, connection_id: int, distribution_id: int):
    d = selectors.distribution_get(connection=request.connection, distribution_id=distribution_id)
    copy = services.distribution_duplicate(distribution=d, actor=request.user)
    messages.success(request, f"Made a draft copy of “{d}”: adjust it, preview it and schedule it.")
    return _redirect(request, reverse("distributions:distribution_edit",
                                      kwargs={"connection_id": connection_id, "distribution_id": copy.pk}))


@require_POST
@connection_view(Role.VIEWER)
def distribution_refresh(request, connection_id: int, distribution_id: int):
    """Fetch status and stats from Qualtrics now (a read, so viewers may do it too)."""
    d = selectors.distribution_get(connection=request.connection, distribution_id=distribution_id)
    error = None
    try:
        d = services.distribution_refresh_stats(distribution=d, actor=request.user)
    except services.DistributionStateError as exc:
        error = {"title": "No statistics yet", "hint": str(exc), "message": "", "code": "", "request_id": ""}
    except EXPLAINABLE_ERRORS as exc:
        error = explain(exc)
    context = {
        "d": d,
        "funnel": selectors.stats_funnel(d.qualtrics_stats),
        "stats_error": error,
        "connection": request.connection,
        "urls": {"refresh": request.path},
    }
    if is_partial(request):
        return render(request, "distributions/distribution_detail.html#stats", context)
    if error:
        messages.error(request, f"{error['title']}. {error.get('message') or error.get('hint')}")
    return HttpResponseRedirect(d.get_absolute_url())


@require_GET
@connection_view(Role.VIEWER)
def distribution_history(request, connection_id: int, distribution_id: int):
    """One page of per-recipient history, paged with Qualtrics' nextPage (signed)."""
    d = selectors.distribution_get(connection=request.connection, distribution_id=distribution_id)
    page_url = unsign_cursor(request.GET.get("cursor"))
    page, error = explained(
        lambda: selectors.distribution_history_page(
            client=connection_client(request.connection, actor=request.user), distribution=d, page_url=page_url
        )
    )
    context = {
        "d": d,
        "history": page,
        "history_error": error,
        "next_cursor": sign_cursor(page.next_page) if page and page.next_page else "",
        "page_number": whole_number(request.GET.get("n"), 1, minimum=1, maximum=100_000),
        "first_page": not page_url,
        "connection": request.connection,
    }
    template = "distributions/distribution_detail.html#history"
    if not is_partial(request):
        return render(request, "distributions/distribution_history.html", context)
    return render(request, template, context)


# --- pickers ----------------------------------------------------------------------------------


def _picker_options(request, items, selected: str, *, empty: str = "—", note: str = ""):
    return render(request, "distributions/picker_options.html",
                  {"items": items, "selected": selected, "empty": empty, "note": note})


def _picker_error(request, exc, **_kwargs) -> HttpResponse:
    """A picker that could not load says why in its empty option."""
    error = explain(exc)
    return render(request, "distributions/picker_options.html",
                  {"items": [], "selected": "", "empty": f"Could not load: {error['title']}", "note": ""})


def _picker(fetch):
    @handles_errors(_picker_error)
    def view(request, connection_id: int):
        items, empty = fetch(request, request.connection)
        return _picker_options(request, items, _selected(request), empty=empty)

    view.__name__ = fetch.__name__
    return require_GET(connection_view(Role.OPERATOR)(view))


def _picker_field(request) -> str:
    return (request.GET.get("field") or "").strip()


def _search_text(request) -> str:
    """What the user typed into the picker's search box."""
    field = _picker_field(request)
    return (request.GET.get("q") or request.GET.get(f"q_{field}") or "").strip()[:100]


def _selected(request) -> str:
    """The value the picker's field holds now."""
    field = _picker_field(request)
    return (request.GET.get("selected") or (request.GET.get(field) if field else "") or "").strip()


@_picker
def picker_directories(request, connection):
    return pickers.directories_for_picker(connection), "— choose a directory —"


@_picker
def picker_libraries(request, connection):
    return pickers.libraries_for_picker(connection, _search_text(request), _selected(request)), "— no library message —"


@_picker
def picker_messages(request, connection):
    library_id = request.GET.get("library_id", "")
    if not library_id:
        return [], "— choose a library first —"
    category = request.GET.get("category", "")
    items = pickers.messages_for_picker(connection, library_id, category, _search_text(request), _selected(request))
    return items, "— choose a message —"


@_picker
def picker_mailing_lists(request, connection):
    directory_id = request.GET.get("directory_id", "")
    if not directory_id:
        return [], "— choose a directory first —"
    items = pickers.mailing_lists_for_picker(connection, directory_id, _search_text(request), _selected(request))
    return items, "— choose a mailing list —"


@_picker
def picker_contacts(request, connection):
    directory_id = request.GET.get("directory_id", "")
    mailing_list_id = request.GET.get("mailing_list_id", "")
    if not directory_id or not mailing_list_id:
        return [], "— choose a mailing list first —"
    items = pickers.contacts_for_picker(connection, directory_id, mailing_list_id, _search_text(request),
                                        _selected(request))
    return items, "— everyone in the list —"


@_picker
def picker_samples(request, connection):
    directory_id = request.GET.get("directory_id", "")
    mailing_list_id = request.GET.get("mailing_list_id", "")
    if not directory_id or not mailing_list_id:
        return [], "— choose a mailing list first —"
    items = pickers.samples_for_picker(connection, directory_id, mailing_list_id, _search_text(request),
                                       _selected(request))
    return items, "— the whole list —"


@_picker
def picker_transaction_batches(request, connection):
    directory_id = request.GET.get("directory_id", "")
    if not directory_id:
        return [], "— choose a directory first —"
    items = pickers.transaction_batches_for_picker(connection, directory_id, _search_text(request),
                                                   _selected(request))
    return items, "— no batch —"


@require_GET
@connection_view(Role.OPERATOR)
def picker_message_preview(request, connection_id: int):
    """The text of the chosen library message, under the message picker."""
    library_id = request.GET.get("library_id", "")
    message_id = request.GET.get("message_id", "")
    context = {"message": None, "error": None, "channel": request.GET.get("channel", "email")}
    if library_id and message_id:
        context["message"], context["error"] = explained(pickers.message_for_preview, request.connection, library_id,
                                                         message_id)
        if context["message"] and context["channel"] == Channel.SMS:
            from django.utils.html import strip_tags

            from .sms import sms_length

            context["length"] = sms_length(strip_tags(context["message"]["text"]))
    return render(request, "distributions/message_preview.html", context)


@require_GET
@connection_view(Role.OPERATOR)
def sms_length_view(request, connection_id: int):
    """Live segment count under the SMS text box."""
    from .sms import sms_length

    text = request.GET.get("message_text", "")
    return render(request, "distributions/message_preview.html#length", {"length": sms_length(text)})
