"""Screens of the subscriptions app (managers only: a subscription sends the brand's responses somewhere).

Thin: every read is a selector, every write a service. Qualtrics' refusals are explained in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from surveys.selectors import survey_get
from web.errors import EXPLAINABLE_ERRORS, explain, explained
from web.forms import add_service_error
from web.htmx import is_partial

from . import selectors, services
from .forms import DestinationForm, SubscriptionForm
from .models import DeliveryState

MARKS = {
    "ours": ("This portal", "badge-soft-ok"),
    "orphan": ("This portal, unknown (orphan)", "badge-soft-warn"),
    "elsewhere": ("Elsewhere", "badge-soft-muted"),
    "missing": ("Gone from Qualtrics", "badge-soft-bad"),
}


def _redirect(request, url: str):
    return HttpResponseClientRedirect(url) if is_partial(request) else HttpResponseRedirect(url)


def _list_url(connection) -> str:
    return reverse("subscriptions:subscription_list", kwargs={"connection_id": connection.pk})


@require_GET
@connection_view(Role.MANAGER)
def subscription_list(request, connection_id: int):
    """Every subscription of the brand in Qualtrics, marked: this portal's, orphans, elsewhere."""
    rows, error = explained(selectors.brand_subscriptions, connection=request.connection, actor=request.user)
    for row in rows or ():
        row.mark_label, row.badge = MARKS[row.mark]
    return render(request, "subscriptions/subscription_list.html", {
        "connection": request.connection, "rows": rows or [], "error": error,
        "base_url_warning": services.base_url_warning(),
    })


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def subscription_create(request, connection_id: int):
    connection = request.connection
    form = SubscriptionForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = survey_get(connection=connection, actor=request.user, survey_id=data["survey_id"])
            subscription = services.subscription_create(
                connection=connection, actor=request.user, kind=data["kind"], survey_id=data["survey_id"],
                survey_name=survey.get("name") or survey.get("SurveyName") or "", answer_fields=data["answer_fields"])
        except ValidationError as exc:
            add_service_error(form, exc)
        except EXPLAINABLE_ERRORS as exc:
            error = explain(exc)
        else:
            messages.success(request, f"Subscribed: {subscription}. Qualtrics now posts its events to the portal.")
            return _redirect(request, subscription.get_absolute_url())
    return render(request, "subscriptions/subscription_form.html", {
        "connection": connection, "form": form, "error": error, "base_url_warning": services.base_url_warning(),
        "receiver_prefix": services.registering.receivers_prefix() + "…/",
    })


def _detail_context(request, subscription, **extra) -> dict:
    return {
        "connection": request.connection, "subscription": subscription,
        "destinations": selectors.destinations_of(subscription=subscription),
        "dead": selectors.dead_letters(subscription=subscription),
        "events": selectors.feed(connection=request.connection, survey_id=subscription.survey_id, limit=10)
        if subscription.survey_id else [],
        "destination_form": extra.pop("destination_form", None) or DestinationForm(),
        "base_url_warning": services.base_url_warning(),
        **extra,
    }


@require_GET
@connection_view(Role.MANAGER)
def subscription_detail(request, connection_id: int, subscription_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    return render(request, "subscriptions/subscription_detail.html", _detail_context(request, subscription))


@require_POST
@connection_view(Role.MANAGER)
def subscription_test(request, connection_id: int, subscription_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    problem = services.subscription_test(subscription=subscription, actor=request.user)
    if problem:
        messages.error(request, f"The test did not reach the receiver. {problem} "
                                "Check PORTAL_BASE_URL: Qualtrics posts there.")
    else:
        messages.success(request, "Test event received and stored: it shows in the live feed and goes to the "
                                  "destinations.")
    return _redirect(request, subscription.get_absolute_url())


@require_http_methods(["GET", "POST"])
@connection_view(Role.MANAGER)
def subscription_delete(request, connection_id: int, subscription_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    if request.method == "POST":
        services.subscription_delete(subscription=subscription, actor=request.user)
        messages.success(request, f"Deleted the subscription {subscription.qualtrics_id} in Qualtrics and here.")
        return _redirect(request, _list_url(request.connection))
    return render(request, "crud/confirm_delete.html", {
        "connection": request.connection, "object": subscription, "object_label": str(subscription),
        "verbose_name": "subscription", "verb": "Delete", "cancel_url": subscription.get_absolute_url(),
        "undo_note": "This cannot be undone: a new subscription gets a new address and key.",
        "consequences": [
            f"Qualtrics stops posting its events (the subscription {subscription.qualtrics_id} is deleted there).",
            "Its events, destinations and dead letters go with it here (the audit trail keeps what was done).",
        ],
    })


@require_POST
@connection_view(Role.MANAGER)
def orphan_delete(request, connection_id: int, qualtrics_id: str):
    try:
        services.orphan_delete(connection=request.connection, actor=request.user, qualtrics_id=qualtrics_id[:40])
    except services.NotAnOrphan as exc:
        messages.warning(request, exc.messages[0])
    else:
        messages.success(request, f"Cleaned up: {qualtrics_id[:40]} no longer posts to this portal.")
    return _redirect(request, _list_url(request.connection))


@require_POST
@connection_view(Role.MANAGER)
def destination_create(request, connection_id: int, subscription_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    form = DestinationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _destination, key = services.destination_create(
                subscription=subscription, actor=request.user, kind=data["kind"], emails=data["emails"],
                email_mode=data["email_mode"] or "each", url=data["url"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            context = _detail_context(request, subscription, signing_key=key)
            if not key:
                messages.success(request, "Added: each event goes there from now on.")
                return _redirect(request, subscription.get_absolute_url())
            return render(request, "subscriptions/subscription_detail.html", context)
    return render(request, "subscriptions/subscription_detail.html",
                  _detail_context(request, subscription, destination_form=form, open_destination_form=True))


@require_POST
@connection_view(Role.MANAGER)
def destination_delete(request, connection_id: int, subscription_id: int, destination_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    destination = selectors.destination_get(subscription=subscription, destination_id=destination_id)
    services.destination_delete(destination=destination, actor=request.user)
    messages.success(request, "Removed the destination.")
    return _redirect(request, subscription.get_absolute_url())


@require_POST
@connection_view(Role.MANAGER)
def delivery_replay(request, connection_id: int, subscription_id: int):
    subscription = selectors.subscription_get(connection=request.connection, subscription_id=subscription_id)
    count = services.delivery_replay(subscription=subscription, actor=request.user)
    if count:
        messages.success(request, f"Sending {count} dead letter{'s' if count != 1 else ''} again.")
    else:
        messages.info(request, "No dead letter to send again.")
    return _redirect(request, subscription.get_absolute_url())


@require_GET
@connection_view(Role.MANAGER)
def feed(request, connection_id: int):
    """The latest events of the connection (or of one survey), polled every 3 s for new ones."""
    survey_id = (request.GET.get("survey") or "").strip()[:40]
    context = {
        "connection": request.connection, "survey_id": survey_id,
        "surveys": selectors.feed_surveys(connection=request.connection),
        "events": selectors.feed(connection=request.connection, survey_id=survey_id),
        "DeliveryState": DeliveryState,
    }
    if request.GET.get("partial") == "rows":
        return render(request, "subscriptions/feed.html#rows", context)
    return render(request, "subscriptions/feed.html", context)
